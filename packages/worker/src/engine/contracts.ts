import type { Backoff } from '@partita/job';
import type { QueuedJob } from '../core/partition-work';
import type { DeadLetterInfo, JobInfo, TopicPartition } from '../events';

/** A partition's offset to commit, with its commit metadata. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  /** Commit metadata: the finished offsets above `offset` (see commit-metadata.ts). */
  metadata?: string;
}

/** What the engine needs from the Kafka consumer; the consumer shell implements it. */
export interface ConsumerControl {
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Stores offsets for the background commit. */
  storeOffsets(offsets: TopicPartitionOffset[]): void;
  /** Commits offsets now (on revocation and shutdown), without blocking the thread. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Commits offsets before returning: for a process that is exiting, where nothing asynchronous runs any more. */
  commitBlocking(offsets: TopicPartitionOffset[]): void;
}

/** What a rebalance needs from the Kafka consumer; the consumer shell implements it. */
export interface AssignmentControl {
  /** Adds partitions to the consumer's assignment (cooperative rebalancing: incrementally). */
  take(partitions: TopicPartition[]): void;
  /** Removes partitions from the assignment; the rebalance completes once this is called. */
  release(partitions: TopicPartition[]): void;
  /** True when the partitions being revoked were lost (the group went on without this worker). */
  assignmentLost(): boolean;
  /** The committed offsets and metadata of partitions; offset -1 when none or unknown. Never rejects. */
  fetchCommitted(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
}

/** A running try's view of its fate: aborted on revocation or forced shutdown. */
export interface RunHandle {
  readonly signal: AbortSignal;
  isRevoked(): boolean;
}

/** How a try ended. */
export type ExecutionResult = { status: 'completed'; result: unknown } | { status: 'failed'; error: Error; attempts: number; backoff?: Backoff };

/** What bounds a job's tries, as its envelope, its class and the worker's options say. */
export interface JobLimits {
  /** Total tries. */
  attempts: number;
  backoff?: Backoff;
  /** How long one try may run, in milliseconds; undefined for no limit. */
  timeoutMs?: number;
}

/** Runs one try of a job. Never rejects: failures are results. */
export interface JobExecutor {
  execute(job: QueuedJob, handle: RunHandle): Promise<ExecutionResult>;
  /** The job's limits, read before a try starts; never throws (a poison message gets one try). */
  limits(job: QueuedJob): JobLimits;
  /** The job as events show it. */
  describe(job: QueuedJob): JobInfo;
}

/** Writes a dead job to its dead letter topic; resolves once the broker acknowledged. */
export interface DeadLetterSink {
  write(job: QueuedJob, error: Error): Promise<DeadLetterInfo>;
}
