import { JobInfo, TypedEmitter } from '@partita/job';

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
  /** Every received job has finished; nothing is buffered or running. */
  drained: [];
  error: [error: Error];
  closed: [];
}
