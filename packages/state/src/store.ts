import { TypedEmitter } from '@partita/job/emitter';
import { ResolvedStateOptions, resolveStateOptions, StateStoreOptions } from './options';
import { JobRecord, JobRecordSource } from './read/job-record';
import { WaitOptions } from './read/finish-watcher';
import { StoreReads } from './read/store-reads';
import { QueueKeys } from './redis/keys';
import { StoreConnections } from './redis/store-connections';
import { JOB_STATES, JobState } from './states';
import { cleanJobs } from './write/clean';
import { releaseJobIds, reserveJobIds } from './write/job-ids';
import type { StateOp } from './write/ops';
import { StateStoreEvents, StoreWrites, WaitingJob } from './write/store-writes';

export type { StateStoreEvents, WaitingJob } from './write/store-writes';

/**
 * partita's job-state store in Redis. Workers record state through `attachStateRecorder` (writes
 * are batched and never block or fail the worker), enqueuers through `reserveJobIds` and
 * `recordWaiting`, and anyone reads it: `getJob`, `getJobs`, `getJobCounts`, `waitUntilFinished`.
 *
 * Create it with {@link createStateStore}; close it with `close()`.
 */
export class StateStore extends TypedEmitter<StateStoreEvents> implements JobRecordSource {
  /** The key prefix of every key the store writes (see {@link StateStoreOptions.prefix}). */
  readonly prefix: string;
  /** The store's options, defaults filled in. */
  readonly options: ResolvedStateOptions;
  /** A try's completion may join its start while that waits to be written (see `write/try-join.ts`). */
  readonly joinsTries = true;
  private readonly connections: StoreConnections;
  private readonly reads: StoreReads;
  private readonly writes: StoreWrites;
  private readonly queueKeys = new Map<string, QueueKeys>();
  private closing: Promise<void> | undefined;

  constructor(options: StateStoreOptions = {}) {
    super();
    this.options = resolveStateOptions(options);
    this.prefix = this.options.prefix;
    this.connections = new StoreConnections(this.options);
    const keys = (queue: string): QueueKeys => this.keys(queue);
    this.writes = new StoreWrites(this.connections, keys, this.options, this);
    this.reads = new StoreReads(this.connections, keys, this, this.options);
  }

  /** Writes dropped since the store was created (buffer full while Redis was down or slow). */
  get droppedWrites(): number {
    return this.writes.dropped;
  }

  /** Writes waiting to be sent or in flight. */
  get bufferedWrites(): number {
    return this.writes.buffered;
  }

  /** True while writes fail (between `degraded` and `recovered`). */
  get degraded(): boolean {
    return this.writes.degraded;
  }

  /** The Redis keys of a queue. */
  keys(queue: string): QueueKeys {
    let keys = this.queueKeys.get(queue);
    if (!keys) {
      keys = new QueueKeys(this.prefix, queue);
      this.queueKeys.set(queue, keys);
    }
    return keys;
  }

  /** Resolves once both connections are ready; rejects after `timeoutMs`. */
  waitUntilReady(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    return this.connections.whenReady(timeoutMs);
  }

  // ---- writes (write/) ----------------------------------------------------------------------

  /**
   * Buffers one state change; it is written with the next batch. Never throws, never blocks:
   * with Redis away the write waits in a bounded buffer (then the oldest writes are dropped).
   */
  record(op: StateOp): void {
    this.writes.record(op);
  }

  /**
   * Records enqueued jobs as `waiting` (call it after producing them). Buffered like `record`:
   * returns at once, never throws for Redis reasons. A job a worker already took keeps its state;
   * the enqueuer's fields (data, options, partition, offset) are added to it.
   */
  recordWaiting(queue: string, jobs: WaitingJob[]): void {
    this.writes.recordWaiting(queue, jobs);
  }

  /**
   * Reserves job ids before their jobs are produced, atomically (one Lua script): for each id,
   * `true` when it is new (or its job finished: it may run again) and is now reserved, `false`
   * when a job with this id is known and not finished (BullMQ semantics: adding it again is a
   * no-op). An id twice in `ids` is new once. A reservation expires after `reservationTtlMs`
   * unless `recordWaiting` (or a worker) records the job; `releaseJobIds` drops it at once.
   *
   * Rejects with a {@link StateUnavailableError} when Redis does not answer in `readTimeoutMs`.
   */
  async reserveJobIds(queue: string, ids: string[]): Promise<boolean[]> {
    const keys = this.keys(queue);
    return reserveJobIds(this.connections, keys, ids, this.options.reservationTtlMs);
  }

  /** Drops reservations of `reserveJobIds` whose jobs were not produced. Resolves with how many. */
  async releaseJobIds(queue: string, ids: string[]): Promise<number> {
    const keys = this.keys(queue);
    return releaseJobIds(this.connections, keys, ids);
  }

  /**
   * Sends what is buffered now; resolves true once it is written, false when `timeoutMs` passed
   * first (Redis down). Never rejects.
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    return this.writes.flush(timeoutMs);
  }

  /**
   * Removes jobs of `state` that entered it more than `graceMs` ago (finish time for finished
   * states; enqueue, start or retry time otherwise), at most `limit` (0: all), as BullMQ's
   * `clean`. Resolves with the removed ids.
   */
  async clean(queue: string, graceMs: number, limit = 0, state: JobState = 'completed'): Promise<string[]> {
    const keys = this.keys(queue);
    return cleanJobs(this.connections, keys, graceMs, limit, state);
  }

  // ---- reads (read/) ------------------------------------------------------------------------

  /** The job with this id, or undefined when the store does not know it (never recorded, or removed). */
  getJob<TData = unknown, TResult = unknown>(queue: string, id: string): Promise<JobRecord<TData, TResult> | undefined> {
    return this.reads.getJob<TData, TResult>(queue, id);
  }

  /** The job's state now, `unknown` when the store does not know it. */
  getState(queue: string, id: string): Promise<JobState | 'unknown'> {
    return this.reads.getState(queue, id);
  }

  /**
   * Jobs in the given states, BullMQ style: per state, the range `start..end` (inclusive, -1 for
   * the last) ordered by the time they entered it, newest first unless `asc`; the states' lists
   * are concatenated.
   */
  getJobs<TData = unknown, TResult = unknown>(
    queue: string,
    states: JobState | JobState[] = [...JOB_STATES],
    start = 0,
    end = -1,
    asc = false,
  ): Promise<Array<JobRecord<TData, TResult>>> {
    return this.reads.getJobs<TData, TResult>(queue, states, start, end, asc);
  }

  /**
   * How many jobs are in each of the given states (all states when none is given). Finished
   * states count the jobs retention keeps, not every job that ever finished.
   */
  getJobCounts<S extends JobState = JobState>(queue: string, ...states: S[]): Promise<Record<S, number>> {
    return this.reads.getJobCounts(queue, states);
  }

  /**
   * Resolves with the job's result once it completed, rejects with a `JobFailedError` once it
   * failed or went to the dead letter topic (see `JobRecord.waitUntilFinished`). A job the store
   * does not know yet is waited for: it may not have been recorded yet.
   */
  waitUntilFinished<TResult = unknown>(queue: string, id: string, options: WaitOptions = {}): Promise<TResult> {
    return this.reads.waitUntilFinished(queue, id, options, this.closing !== undefined) as Promise<TResult>;
  }

  /**
   * Writes what is buffered (for up to `timeoutMs`), then closes the connections. Writes still
   * buffered after that are dropped (and counted). Safe to call more than once.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      this.connections.markClosed();
      await this.writes.close(timeoutMs);
      await this.reads.close();
      await this.connections.close();
    })();
    return this.closing;
  }
}

/** Creates a {@link StateStore}; it connects in the background (see `waitUntilReady`). */
export function createStateStore(options: StateStoreOptions = {}): StateStore {
  return new StateStore(options);
}
