import { Backoff, validateBackoff } from './backoff';
import { JobValidationError } from './errors';

/** What a partitioner sees of a job about to be enqueued. */
export interface JobDescriptor<TData = unknown> {
  /** The job's name (its class's `jobName`). */
  readonly name: string;
  /** The job's data as given to `performLater`/`add`. */
  readonly data: TData;
  /** The job's id. */
  readonly id: string;
}

/**
 * How the job's key is used on the wire.
 * - `key`: stored as the Kafka message key; it picks the partition (murmur2, as every Java and
 *   librdkafka client) and the worker's virtual partitioner reads it.
 * - `partitionKey`: only picks the partition; the message has no key.
 * - `partition`: the partition is given explicitly (the `partition` option); a key, if any, is stored.
 */
export type PartitionKeyType = 'key' | 'partitionKey' | 'partition';

/** When `performLater`/`add` returns. */
export type DispatchMethod = 'async' | 'sync';

/** Options of a job class (`static options`), merged from parent classes per key. */
export interface JobOptions<TData = unknown> {
  /**
   * Returns the job's key: jobs with the same key go to the same partition and run one at a time,
   * in the order they were enqueued. Without a partitioner (and without `key` at enqueue time)
   * jobs have no key and spread over partitions.
   * @defaultValue undefined
   */
  partitioner?: (job: JobDescriptor<TData>) => string;
  /**
   * How the key is used on the wire, see {@link PartitionKeyType}.
   * @defaultValue 'key'
   */
  partitionKeyType?: PartitionKeyType;
  /**
   * The partition for `partitionKeyType: 'partition'`: a number or a function of the job.
   * @defaultValue undefined
   */
  partition?: number | ((job: JobDescriptor<TData>) => number);
  /**
   * `async`: returns once the job is queued in the process (batched, flushed on close);
   * `sync`: returns once the broker acknowledged it, with its partition and offset.
   * @defaultValue 'async'
   */
  dispatch?: DispatchMethod;
  /**
   * Total tries of the job, the first included, before it goes to the dead letter queue.
   * @defaultValue 4 (three retries, as Karafka)
   */
  attempts?: number;
  /**
   * Wait between tries: a number of milliseconds, or `{ type, delay, jitter }`.
   * @defaultValue 0 (retry at once)
   */
  backoff?: Backoff;
  /**
   * The dead letter topic of this job, or `false` to drop it (with a log line) after its last attempt.
   * @defaultValue `<queue>.dlq`
   */
  deadLetter?: string | false;
}

/** Options that travel with each job on the wire (the worker reads them). */
export interface WireJobOptions {
  attempts?: number;
  backoff?: Backoff;
  deadLetter?: string | false;
}

/** Default total tries: the first run plus Karafka's default of three retries. */
export const DEFAULT_ATTEMPTS = 4;

const JOB_OPTION_KEYS = ['partitioner', 'partitionKeyType', 'partition', 'dispatch', 'attempts', 'backoff', 'deadLetter'] as const;

/** Throws a {@link JobValidationError} naming the first invalid job option. */
export function validateJobOptions(options: unknown, where = 'options'): asserts options is JobOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new JobValidationError(where, `${where} must be an object`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(JOB_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new JobValidationError(key, `unknown option '${key}' in ${where}; allowed: ${JOB_OPTION_KEYS.join(', ')}`);
    }
  }
  if (o.partitioner !== undefined && typeof o.partitioner !== 'function') {
    throw new JobValidationError('partitioner', `${where}.partitioner must be a function (job) => string`);
  }
  if (o.partitionKeyType !== undefined && !['key', 'partitionKey', 'partition'].includes(o.partitionKeyType as string)) {
    throw new JobValidationError('partitionKeyType', `${where}.partitionKeyType must be 'key', 'partitionKey' or 'partition', got ${String(o.partitionKeyType)}`);
  }
  if (o.partition !== undefined && typeof o.partition !== 'function') validatePartition(o.partition, `${where}.partition`);
  if (o.dispatch !== undefined && o.dispatch !== 'async' && o.dispatch !== 'sync') {
    throw new JobValidationError('dispatch', `${where}.dispatch must be 'async' or 'sync', got ${String(o.dispatch)}`);
  }
  if (o.attempts !== undefined) validateAttempts(o.attempts, `${where}.attempts`);
  if (o.backoff !== undefined) validateBackoff(o.backoff, `${where}.backoff`);
  if (o.deadLetter !== undefined && o.deadLetter !== false && (typeof o.deadLetter !== 'string' || o.deadLetter === '')) {
    throw new JobValidationError('deadLetter', `${where}.deadLetter must be a topic name or false`);
  }
}

export function validateAttempts(attempts: unknown, field = 'attempts'): asserts attempts is number {
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1) {
    throw new JobValidationError(field, `${field} must be an integer >= 1 (total tries), got ${String(attempts)}`);
  }
}

export function validatePartition(partition: unknown, field = 'partition'): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw new JobValidationError(field, `${field} must be an integer >= 0, got ${String(partition)}`);
  }
}

/** Merges option objects from the most basic to the most derived: later ones win per key. */
export function mergeJobOptions<TData>(...layers: Array<JobOptions<TData> | undefined>): JobOptions<TData> {
  const merged: JobOptions<TData> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}
