import { PartitaError } from '@partita/job';
import type { JobInfo } from '@partita/job';

/** A partition and one of its offsets, as an error reports them. */
interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A worker option, or a combination of them, is invalid. Names the option and the fix. */
export class WorkerConfigError extends PartitaError {
  constructor(
    /** The option at fault, e.g. `virtualPartitions.maxPartitions`. */
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** A queue the worker should consume has no topic. */
export class QueueTopicMissingError extends PartitaError {
  constructor(
    /** The queue without a topic. */
    readonly queue: string,
  ) {
    super(`queue ${queue} has no Kafka topic: create it with queue.ensureTopic({ partitions }) or \`partita topic create ${queue} --partitions <n>\``);
  }
}

/** The reason a revoked partition's running jobs see on `ctx.signal`. */
export class RevokedError extends PartitaError {
  constructor(tp: { topic: string; partition: number }) {
    super(`partition ${tp.topic}/${tp.partition} was revoked from this worker`);
  }
}

/** The reason running jobs see on `ctx.signal` when shutdown cannot wait any longer. */
export class ShutdownError extends PartitaError {}

/** A dead-letter write was not acknowledged; the job stays uncommitted and the write is retried. */
export class DeadLetterWriteError extends PartitaError {
  constructor(
    /** The job whose dead-letter write failed. */
    readonly job: JobInfo,
    cause: Error,
  ) {
    super(`dead-letter write of job ${job.id} (${job.queue}/${job.partition}@${job.offset}) failed, will retry: ${cause.message}`, { cause });
  }
}

/** Committing offsets failed (e.g. the group rebalanced meanwhile); the jobs may run again. */
export class CommitError extends PartitaError {
  constructor(
    /** The offsets that were not committed. */
    readonly offsets: PartitionOffset[],
    cause: Error,
  ) {
    super(`commit of ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(', ')} failed: ${cause.message}`, { cause });
  }
}

/** An error the Kafka client reported (librdkafka's error objects are not `Error`s), with its code. */
export class KafkaClientError extends PartitaError {
  constructor(
    /** librdkafka's error code (see `CODES.ERRORS` of `@confluentinc/kafka-javascript`). */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The brokers could not be reached at startup. */
export class KafkaConnectError extends PartitaError {
  constructor(brokers: string, cause: Error) {
    super(
      `could not connect to Kafka at ${brokers}: ${cause.message}. Check that a broker runs there and that the connection.brokers option (or PARTITA_BROKERS) names it`,
      { cause },
    );
  }
}

/** A listener of a worker event threw; the worker reports it and goes on. */
export class ListenerError extends PartitaError {
  constructor(
    /** The event whose listener threw. */
    readonly event: string,
    cause: Error,
  ) {
    super(`a '${event}' listener threw: ${cause.message}`, { cause });
  }
}

/**
 * The shutdown reached its deadline (`shutdownTimeoutMs`) with steps unfinished; `close()` resolved
 * anyway. A process should exit now; when `steps` includes leaving the consumer group, the group
 * gives its partitions to others only after `session.timeout.ms`.
 */
export class ShutdownTimeoutError extends PartitaError {
  constructor(
    /** The deadline that was reached, in milliseconds. */
    readonly timeoutMs: number,
    /** The steps that had not finished, in order. */
    readonly steps: string[],
  ) {
    super(`shutdown did not finish within ${timeoutMs} ms (shutdownTimeoutMs); unfinished: ${steps.join(', ')}`);
  }
}

/** The dead letter topic to read does not exist. */
export class DeadLetterTopicMissingError extends PartitaError {}

/** The jobs module given to `partita worker --jobs` is missing or exports no Job classes. */
export class JobsModuleError extends PartitaError {}

/**
 * A job threw (or rejected with) something that is not an Error: a string, a number, `undefined`,
 * an object without a prototype, or an Error-like value whose properties cannot be read. The value
 * is kept in {@link ThrownValueError.value}; the message describes it.
 */
export class ThrownValueError extends PartitaError {
  constructor(
    message: string,
    /** What was thrown, as it was. */
    readonly value: unknown,
  ) {
    super(message);
  }
}

export { StateModuleMissingError } from '@partita/job';
