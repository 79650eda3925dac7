import { JobInfo } from '@partita/job';
import { TypedEmitter } from '@partita/job/emitter';

export { TypedEmitter };
export type { JobInfo };

/** A topic partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Details of a failed try. */
export interface FailureInfo {
  /** The try that failed, 1-based. */
  attempt: number;
  /** True when another try follows after `delayMs`. */
  willRetry: boolean;
  delayMs?: number;
}

/** Where a dead job went. */
export interface DeadLetterInfo {
  /** The dead letter topic, or null when dead-lettering is disabled (`deadLetter: false`). */
  topic: string | null;
  partition?: number;
  offset?: number;
  error: Error;
  /**
   * Set when the topic refused the full record for good (too large for its `max.message.bytes`, or
   * invalid) and a smaller form was written: `reduced` keeps the first bytes of the value, `minimal`
   * only partita's headers. `why` is the refusal; the original stays in its queue until retention.
   */
  reduced?: { form: 'reduced' | 'minimal'; originalBytes: number; keptBytes: number; why: string };
}

/** The worker's events and their arguments. */
export interface WorkerEvents {
  /** A try of a job starts. */
  active: [job: JobInfo];
  completed: [job: JobInfo, result: unknown];
  /** A try failed; `info.willRetry` says whether another try follows. */
  failed: [job: JobInfo, error: Error, info: FailureInfo];
  /** A job's tries are over and it was written to the dead letter queue (or dropped). */
  deadLettered: [job: JobInfo, info: DeadLetterInfo];
  progress: [job: JobInfo, progress: number | object];
  log: [job: JobInfo, line: string];
  assigned: [partitions: TopicPartition[]];
  revoked: [partitions: TopicPartition[]];
  /**
   * No broker can be reached (librdkafka's all-brokers-down): fetching and committing wait, running
   * jobs go on, and the consumer reconnects by itself. Emitted once until `brokerUp`.
   */
  brokerDown: [error: Error];
  /** A broker answers again after `brokerDown`; `downMs` is how long none did. */
  brokerUp: [downMs: number];
  /** Every received job has finished; nothing is buffered or running. */
  drained: [];
  error: [error: Error];
  closed: [];
}
