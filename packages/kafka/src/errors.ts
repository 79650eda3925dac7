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
 * timeout (`deliveryTimeoutMs`), so partita gave up on it (and on every job the producer still
 * held). The job may still have been written if it was in flight: re-adding it can run it twice.
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

/**
 * Jobs were not delivered: the broker (or librdkafka) refused a job, or, from `flush()`/`close()`,
 * async jobs failed (for any reason, timeouts included). `jobIds` names every one of them.
 */
export class DeliveryError extends PartitaError {
  /**
   * The ids of every job this error is about (all of them, not a sample), in the order their
   * failures were reported. Empty when no job id was known.
   */
  readonly jobIds: readonly string[];

  constructor(
    /** The job's id (the first one's, when the error is about several), when known. */
    readonly jobId: string | undefined,
    /** The librdkafka error code (see `CODES.ERRORS` of @confluentinc/kafka-javascript); -1 when none. */
    readonly code: number,
    message: string,
    options?: { cause?: unknown; jobIds?: readonly string[] },
  ) {
    super(message, options);
    this.jobIds = options?.jobIds ?? (jobId === undefined ? [] : [jobId]);
  }
}

/** The queue's topic does not exist; partita never relies on broker auto-creation. */
export class TopicNotFoundError extends PartitaError {
  constructor(
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(`topic ${topic} does not exist: create it with queue.ensureTopic({ partitions }) or \`partita topic create ${topic} --partitions N\``, options);
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

/**
 * Topic configuration could not be read. The librdkafka binding has no DescribeConfigs, so partita
 * sends that one request itself, over a plain connection to a bootstrap broker; it cannot when the
 * brokers need TLS or SASL, or none answers.
 */
export class TopicConfigUnavailableError extends PartitaError {}
