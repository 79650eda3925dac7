import { Backoff, backoffProblem, MAX_DELAY_MS, validateBackoff } from './backoff';
import { describeOption, describeValue } from './describe-value';
import { JobValidationError } from './errors';
import { isTopicName, topicNameProblem } from './topic-name';

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
   * Total tries of the job, the first included, before it goes to the dead letter queue:
   * an integer from 1 to {@link MAX_ATTEMPTS}.
   * @defaultValue 4 (three retries, as Karafka)
   */
  attempts?: number;
  /**
   * Wait between tries: a number of milliseconds, or `{ type, delay, jitter }`; at most
   * `MAX_DELAY_MS` (2^31-1 ms, about 24.8 days), which also caps exponential growth.
   * @defaultValue 0 (retry at once)
   */
  backoff?: Backoff;
  /**
   * The dead letter topic of this job, or `false` to drop it (with a log line) after its last attempt.
   * Never the job's own queue. A worker writes to it only if it allows it: the topic declared on the
   * job class the worker runs, its own dead letter topic, or one listed in its `deadLetterTopics`.
   * @defaultValue `<queue>.dlq`
   */
  deadLetter?: string | false;
  /**
   * How long one try may run, in milliseconds. When it passes, `ctx.signal` aborts with a
   * `JobTimeoutError` and the try fails (retried or dead-lettered as usual); the key's next job
   * still waits until `perform` settles, but the partition's commit point no longer waits for it.
   * @defaultValue the worker's `jobTimeoutMs`, else no limit
   */
  timeout?: number;
}

/**
 * Options that travel with each job on the wire (the worker reads them). A worker checks them
 * with the rules of the API ({@link wireOptionsProblem}): the message is input, not configuration.
 */
export interface WireJobOptions {
  attempts?: number;
  backoff?: Backoff;
  deadLetter?: string | false;
  timeout?: number;
}

/** Default total tries: the first run plus Karafka's default of three retries. */
export const DEFAULT_ATTEMPTS = 4;

/**
 * The most tries a job may have. High enough for any real retry policy, low enough that a job
 * that always fails reaches its dead letter queue (a message asking for 1e9 tries would never).
 */
export const MAX_ATTEMPTS = 1000;

const JOB_OPTION_KEYS = ['partitioner', 'partitionKeyType', 'partition', 'dispatch', 'attempts', 'backoff', 'deadLetter', 'timeout'] as const;

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
    throw new JobValidationError(
      'partitionKeyType',
      `${where}.partitionKeyType must be 'key', 'partitionKey' or 'partition', got ${describeOption(o.partitionKeyType)}`,
    );
  }
  if (o.partition !== undefined && typeof o.partition !== 'function') validatePartition(o.partition, `${where}.partition`);
  if (o.dispatch !== undefined && o.dispatch !== 'async' && o.dispatch !== 'sync') {
    throw new JobValidationError('dispatch', `${where}.dispatch must be 'async' or 'sync', got ${describeOption(o.dispatch)}`);
  }
  if (o.attempts !== undefined) validateAttempts(o.attempts, `${where}.attempts`);
  if (o.backoff !== undefined) validateBackoff(o.backoff, `${where}.backoff`);
  if (o.deadLetter !== undefined) validateDeadLetter(o.deadLetter, `${where}.deadLetter`);
  if (o.timeout !== undefined) validateTimeout(o.timeout, `${where}.timeout`);
}

/** A try's `timeout`: whole milliseconds, at most what a timer can hold ({@link MAX_DELAY_MS}). */
/** Throws a {@link JobValidationError} unless `timeout` is a whole number of ms from 1 to `MAX_DELAY_MS`. */
export function validateTimeout(timeout: unknown, field = 'timeout'): asserts timeout is number {
  if (!isTimeout(timeout)) {
    throw new JobValidationError('timeout', `${field} must be an integer number of milliseconds between 1 and ${MAX_DELAY_MS}, got ${describeValue(timeout)}`);
  }
}

function isTimeout(timeout: unknown): timeout is number {
  return typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_DELAY_MS;
}

/** Throws a {@link JobValidationError} unless `attempts` is an integer from 1 to {@link MAX_ATTEMPTS}. */
export function validateAttempts(attempts: unknown, field = 'attempts'): asserts attempts is number {
  if (!isAttempts(attempts)) {
    throw new JobValidationError(field, `${field} must be an integer >= 1 and <= ${MAX_ATTEMPTS} (total tries), got ${String(attempts)}`);
  }
}

function isAttempts(attempts: unknown): attempts is number {
  return typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1 && attempts <= MAX_ATTEMPTS;
}

/**
 * A `deadLetter` option: `false` or a topic name (see `topicNameProblem`). With `queue`, also
 * refuses the job's own queue: its dead jobs would run again, fail again, and loop for ever.
 */
export function validateDeadLetter(deadLetter: unknown, field = 'deadLetter', queue?: string): asserts deadLetter is string | false {
  if (deadLetter === false) return;
  const problem = topicNameProblem(deadLetter);
  if (problem !== undefined) {
    // `field` stays the option's name ('deadLetter'), as for the other options of validateJobOptions.
    throw new JobValidationError('deadLetter', `${field} must be a topic name or false (a topic name ${problem})`);
  }
  if (queue !== undefined && deadLetter === queue) {
    throw new JobValidationError(
      'deadLetter',
      `${field} is '${queue}', the job's own queue: its dead jobs would run again and loop for ever; use another topic (the default is '${queue}.dlq') or false`,
    );
  }
}

/**
 * What is wrong with a message's `opts`, naming the option; undefined when nothing is. The rules of
 * the API ({@link validateJobOptions}), checked without allocating for a valid object: the worker
 * checks every job's. Keys it does not know are ignored (a newer partita may have written them).
 */
export function wireOptionsProblem(opts: object): string | undefined {
  const o = opts as WireJobOptions & Record<string, unknown>;
  const attempts = o.attempts;
  if (attempts !== undefined && !isAttempts(attempts)) {
    return `opts.attempts must be an integer >= 1 and <= ${MAX_ATTEMPTS}, got ${describeValue(attempts)}`;
  }
  const backoff = o.backoff;
  if (backoff !== undefined) {
    const problem = backoffProblem(backoff, 'opts.backoff', true);
    if (problem) return problem.message;
  }
  const deadLetter = o.deadLetter;
  if (deadLetter !== undefined && deadLetter !== false && deadLetter !== lastTopicName) {
    if (!isTopicName(deadLetter)) return `opts.deadLetter must be a topic name or false (a topic name ${topicNameProblem(deadLetter) ?? 'is invalid'})`;
    lastTopicName = deadLetter;
  }
  const timeout = o.timeout;
  if (timeout !== undefined && !isTimeout(timeout)) {
    return `opts.timeout must be an integer number of milliseconds between 1 and ${MAX_DELAY_MS}, got ${describeValue(timeout)}`;
  }
  return undefined;
}

/** The last dead letter topic found valid: a queue's jobs mostly name the same one (saves a regex per job). */
let lastTopicName: string | undefined;

/** Throws a {@link JobValidationError} unless `partition` is a non-negative integer. */
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
