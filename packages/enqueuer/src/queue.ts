import { EnqueueOptions, EnqueueResult, JobRequest, JobValidationError } from '@partita/job';
import { Enqueuer, EnqueuerOptions } from './enqueuer';
import { TopicInfo, TopicSpec, validateTopicName } from './topic-admin';

/** Options of a {@link Queue}: where Kafka is, producer tuning and default job options. */
export type QueueOptions = EnqueuerOptions;

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

  constructor(
    /** The queue's name, which is its Kafka topic. */
    readonly name: string,
    options: QueueOptions = {},
  ) {
    validateTopicName(name, 'queue name');
    this.options = options;
    this.enqueuer = new Enqueuer(options);
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
    return this.enqueuer.enqueue(this.request(name, data, opts));
  }

  /** Adds many jobs in one batch, in order. If any job is invalid, none is produced. */
  async addBulk(jobs: Array<BulkJob<TData>>): Promise<EnqueueResult[]> {
    if (!Array.isArray(jobs)) throw new JobValidationError('jobs', 'addBulk expects an array of { name, data, opts? }');
    const requests = jobs.map((job, i) => {
      if (typeof job !== 'object' || job === null) throw new JobValidationError('jobs', `job #${i}: expected { name, data, opts? }, got ${String(job)}`);
      return this.request(job.name, job.data, job.opts, i);
    });
    return this.enqueuer.enqueueAll(requests);
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

  /** Flushes every job added (async ones included) and releases the producer. */
  close(): Promise<void> {
    return this.enqueuer.close();
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
