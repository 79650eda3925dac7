import { EventEmitter } from 'node:events';
import { EnqueueOptions, EnqueueResult, JobValidationError } from '@partita/job';
import type { JobRequest } from '@partita/job/dispatch';
import type { JobRecord, JobState, StateStore } from '@partita/state';
import { Enqueuer, EnqueuerOptions } from './enqueuer';
import { StateNotEnabledError } from './errors';
import { openQueueState, QueueStateOption } from './queue-state';
import { stateModule } from './state-module';
import { TopicInfo, TopicSpec, validateTopicName } from '@partita/kafka';

/** Options of a {@link Queue}: where Kafka is, producer tuning, default job options, job state. */
export interface QueueOptions extends EnqueuerOptions {
  /**
   * The job-state store in Redis (@partita/state): enables `getJob`, `getJobs`, `getJobCounts`,
   * `clean` and `jobId` de-duplication. `{ redis: 'redis://…' }`, a `StateStore`, or `false`.
   * @defaultValue enabled with `{ redis: PARTITA_REDIS_URL }` when that env is set, else off
   */
  state?: QueueStateOption;
}

/** The events of a {@link Queue}, with their listeners' signatures. */
export interface QueueListener {
  /**
   * An async job (its `add` had resolved) could not be delivered: the broker refused it, or it was
   * not acknowledged within `deliveryTimeoutMs` (then it may still have been written if it was in
   * flight). Emitted once per job, as soon as that is known; `flush()`/`close()` also reject with
   * a `DeliveryError` whose `jobIds` lists them. The producer is shared per process and connection,
   * and its async channel does not know which queue a failed job came from: a queue hears of every
   * job that failed while it had async jobs outstanding. Sync jobs are not reported here: their
   * `add` rejects.
   */
  deliveryFailed: (jobId: string, error: Error) => void;
}

/** One job of {@link Queue.addBulk}. */
export interface BulkJob<TData = unknown> {
  /** The job's name; the worker runs the job class (or processor) registered under it. */
  name: string;
  data: TData;
  opts?: EnqueueOptions;
}

/**
 * A queue (one Kafka topic) to add jobs to, BullMQ style:
 *
 * ```ts
 * const queue = new Queue('emails', { connection: { brokers: 'kafka:9092' } });
 * await queue.ensureTopic({ partitions: 12 });
 * await queue.add('welcome', { userId: '42' }, { key: 'user-42' });
 * await queue.close();
 * ```
 *
 * Jobs with the same `key` go to the same partition and run one at a time, in the order added.
 * `queue.defaultJobOptions` (e.g. a `partitioner`) apply to every job of the queue.
 */
export class Queue<TData = unknown> {
  private readonly enqueuer: Enqueuer;
  private readonly options: QueueOptions;
  private readonly state?: { store: StateStore; owned: boolean };
  private readonly events = new EventEmitter();

  constructor(
    /** The queue's name, which is its Kafka topic. */
    readonly name: string,
    options: QueueOptions = {},
  ) {
    validateTopicName(name, 'queue name');
    this.options = options;
    const { state, ...enqueuerOptions } = options;
    this.enqueuer = new Enqueuer(enqueuerOptions);
    this.state = openQueueState(state);
    this.enqueuer.onDeliveryFailed((jobId, error) => {
      if (jobId !== undefined) this.events.emit('deliveryFailed', jobId, error);
    });
  }

  /** Listens to an event of this queue (see {@link QueueListener}). */
  on<E extends keyof QueueListener>(event: E, listener: QueueListener[E]): this {
    this.events.on(event, listener);
    return this;
  }

  /** Listens to the next occurrence of an event of this queue. */
  once<E extends keyof QueueListener>(event: E, listener: QueueListener[E]): this {
    this.events.once(event, listener);
    return this;
  }

  /** Removes a listener added with {@link Queue.on} or {@link Queue.once}. */
  off<E extends keyof QueueListener>(event: E, listener: QueueListener[E]): this {
    this.events.off(event, listener);
    return this;
  }

  /** The job options every job of this queue starts from. */
  get defaultJobOptions(): QueueOptions['defaultJobOptions'] {
    return this.options.defaultJobOptions;
  }

  /**
   * Adds one job. Resolves with its id; with `dispatch: 'sync'` also with the partition and offset
   * the broker wrote it at. Bad input rejects before anything is produced.
   */
  async add(name: string, data: TData, opts?: EnqueueOptions): Promise<EnqueueResult> {
    const request = this.request(name, data, opts);
    if (!this.state) return this.enqueuer.enqueue(request);
    const [result] = await this.addWithState([{ name, data, opts }]);
    return result;
  }

  /** Adds many jobs in one batch, in order. If any job is invalid, none is produced. */
  async addBulk(jobs: Array<BulkJob<TData>>): Promise<EnqueueResult[]> {
    if (!Array.isArray(jobs)) throw new JobValidationError('jobs', 'addBulk expects an array of { name, data, opts? }');
    const requests = jobs.map((job, i) => {
      if (typeof job !== 'object' || job === null) throw new JobValidationError('jobs', `job #${i}: expected { name, data, opts? }, got ${String(job)}`);
      return this.request(job.name, job.data, job.opts, i);
    });
    if (!this.state) return this.enqueuer.enqueueAll(requests);
    return this.addWithState(jobs);
  }

  /** The job's recorded state (needs `state`); undefined when unknown or removed by retention. */
  getJob<TResult = unknown>(id: string): Promise<JobRecord<TData, TResult> | undefined> {
    return this.stateStore('getJob').getJob<TData, TResult>(this.name, id);
  }

  /** Jobs in the given states, newest first (needs `state`). */
  getJobs(states?: JobState | JobState[], start = 0, end = -1, asc = false): Promise<Array<JobRecord<TData>>> {
    return this.stateStore('getJobs').getJobs<TData>(this.name, states, start, end, asc);
  }

  /** How many jobs are in each of the given states (needs `state`). */
  getJobCounts<S extends JobState>(...states: S[]): Promise<Record<S, number>> {
    return this.stateStore('getJobCounts').getJobCounts(this.name, ...states);
  }

  /** Removes up to `limit` (0: all) jobs in `state` finished more than `graceMs` ago; returns their ids. */
  clean(graceMs: number, limit = 0, state: JobState = 'completed'): Promise<string[]> {
    return this.stateStore('clean').clean(this.name, graceMs, limit, state);
  }

  private async addWithState(jobs: Array<BulkJob<TData>>): Promise<EnqueueResult[]> {
    const { addJobsWithState } = stateModule();
    return addJobsWithState(this.stateStore('add'), this.name, jobs, (fresh) =>
      this.enqueuer.enqueueAll(fresh.map((job) => this.request(job.name, job.data as TData, job.opts))),
    );
  }

  private stateStore(method: string): StateStore {
    if (!this.state) {
      throw new StateNotEnabledError(
        `queue.${method} needs the job-state store: new Queue('${this.name}', { state: { redis: 'redis://127.0.0.1:6379' } }) or env PARTITA_REDIS_URL`,
      );
    }
    return this.state.store;
  }

  /** Creates the queue's topic unless it exists (see `TopicAdmin.ensureTopic`). */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return this.enqueuer.ensureTopic(this.name, spec);
  }

  /** The topic's partition count. */
  partitionCount(): Promise<number> {
    return this.enqueuer.partitionCount(this.name);
  }

  /** Waits until every job added so far is acknowledged by the broker. */
  flush(timeoutMs?: number): Promise<void> {
    return this.enqueuer.flush(timeoutMs);
  }

  /** Flushes every job added (async ones included) and releases the producer (and its state store). */
  async close(): Promise<void> {
    try {
      await this.enqueuer.close();
    } finally {
      if (this.state?.owned) await this.state.store.close();
    }
  }

  private request(name: string, data: TData, opts: EnqueueOptions | undefined, index?: number): JobRequest {
    if (typeof name !== 'string' || name === '') {
      const where = index === undefined ? '' : `job #${index}: `;
      throw new JobValidationError('name', `${where}a job's name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    // The queue's defaultJobOptions are applied by the enqueuer, under the per-call opts.
    return { queue: this.name, name, data, classOptions: {}, opts };
  }
}
