import { PartitaError } from '@partita/job';

/** A connection or producer option is invalid. Thrown when the option is first used. */
export class ConfigurationError extends PartitaError {
  constructor(
    /** The option at fault, e.g. `connection.brokers`. */
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No Kafka broker answered within the connect timeout. Nothing was produced. */
export class BrokerUnavailableError extends PartitaError {
  constructor(
    /** The bootstrap servers that were tried, comma-separated. */
    readonly brokers: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A job was handed to the producer but the broker did not acknowledge it within the delivery
 * timeout (`deliveryTimeoutMs`). The job was not written (librdkafka gives up on it at that time).
 */
export class EnqueueTimeoutError extends PartitaError {
  constructor(
    /** The job's id, when the error is about one job. */
    readonly jobId: string | undefined,
    /** The bound that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The broker (or librdkafka) refused a job for a reason other than a timeout. */
export class DeliveryError extends PartitaError {
  constructor(
    /** The job's id, when known. */
    readonly jobId: string | undefined,
    /** The librdkafka error code (see `CODES.ERRORS` of @confluentinc/kafka-javascript). */
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The queue's topic does not exist; partita never relies on broker auto-creation. */
export class TopicNotFoundError extends PartitaError {
  constructor(
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(
      `topic ${topic} does not exist: create it with queue.ensureTopic({ partitions }) or \`partita topic create ${topic} --partitions N\``,
      options,
    );
  }
}

/** A topic exists but does not match what was asked for (e.g. it has fewer partitions). */
export class TopicMismatchError extends PartitaError {
  constructor(
    readonly topic: string,
    message: string,
  ) {
    super(message);
  }
}

/** An admin request (create topic, describe topic) failed. */
export class TopicAdminError extends PartitaError {
  constructor(
    readonly topic: string,
    /** The librdkafka error code, when there is one. */
    readonly code: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `add`/`performLater` was called on a queue or enqueuer after `close()`. */
export class EnqueuerClosedError extends PartitaError {}
