import type { EnqueueResult, JobOptions } from '@partita/job';
import type { JobDispatcher, JobRequest } from '@partita/job/dispatch';
import { validateJobOptions } from '@partita/job/options';
import {
  ConnectionOptions,
  DeliveryFailureListener,
  EnqueuerClosedError,
  EnqueueTimeoutError,
  getProducer,
  ProducerHandle,
  ProducerOptions,
  TopicInfo,
  TopicSpec,
} from '@partita/kafka';
import { assertMessageSize, DEFAULT_MAX_MESSAGE_BYTES, JobMessage, placeJob, PreparedJob, prepareJob } from './job-message';

/** Options of an {@link Enqueuer} (and of `Queue` and `configure`). */
export interface EnqueuerOptions extends ProducerOptions {
  /**
   * Where Kafka is.
   * @defaultValue brokers from env `PARTITA_BROKERS`, else `127.0.0.1:9092`
   */
  connection?: ConnectionOptions;
  /**
   * Job options applied under every job's own (class options and per-call options win).
   * @defaultValue `{}`
   */
  defaultJobOptions?: JobOptions;
}

/**
 * Turns job requests into Kafka messages and produces them. Every input check happens before the
 * first message of a call is produced, so a bad job (or a bad job in a batch) produces nothing.
 */
export class Enqueuer implements JobDispatcher {
  private readonly producer: ProducerHandle;
  private readonly defaults: JobOptions | undefined;
  private readonly maxMessageBytes: number;
  private closed = false;
  /**
   * Calls waiting for a partition count; while there are any, later calls wait too (concurrent
   * lookups of a topic share one request, so they resume in the order they were made).
   */
  private pendingLookups = 0;
  /** Calls that had to wait for a partition count, as promises that settle with the call (its jobs are in the producer by then). */
  private readonly waitingForCounts = new Set<Promise<void>>();

  constructor(options: EnqueuerOptions = {}) {
    const { connection, defaultJobOptions, ...producerOptions } = options;
    if (defaultJobOptions !== undefined) validateJobOptions(defaultJobOptions, 'defaultJobOptions');
    this.defaults = defaultJobOptions;
    const configured = Number(connection?.kafka?.['message.max.bytes']);
    this.maxMessageBytes = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_MAX_MESSAGE_BYTES;
    // Validates the connection and producer options now; connects on first use.
    this.producer = getProducer(connection, producerOptions);
  }

  /** The bootstrap servers this enqueuer produces to. */
  get brokers(): string {
    return this.producer.brokers;
  }

  async enqueue(request: JobRequest): Promise<EnqueueResult> {
    this.assertOpen();
    const [result] = await this.dispatch([prepareJob(request, this.defaults)], false);
    return result;
  }

  async enqueueAll(requests: JobRequest[]): Promise<EnqueueResult[]> {
    this.assertOpen();
    if (!Array.isArray(requests)) throw new TypeError('enqueueAll expects an array of job requests');
    // A plain loop, no closure per job: this is the bulk hot path.
    const jobs = new Array<PreparedJob>(requests.length);
    for (let i = 0; i < requests.length; i++) {
      try {
        jobs[i] = prepareJob(requests[i], this.defaults);
      } catch (error) {
        throw numbered(i, error);
      }
    }
    return this.dispatch(jobs, true);
  }

  /** Creates the topic unless it exists; see `TopicAdmin.ensureTopic`. */
  async ensureTopic(topic: string, spec: TopicSpec): Promise<TopicInfo> {
    this.assertOpen();
    return (await this.producer.admin()).ensureTopic(topic, spec);
  }

  /** The topic's partition count (cached for a minute). */
  partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return this.partitionCountOf(topic);
  }

  /**
   * Calls `listener` with the id of every async job that could not be delivered (see
   * `ProducerHandle.onDeliveryFailed` for which jobs a handle hears of). Returns a remover.
   */
  onDeliveryFailed(listener: DeliveryFailureListener): () => void {
    return this.producer.onDeliveryFailed(listener);
  }

  /** Waits until every job enqueued here is acknowledged by the broker (or reports why not). */
  async flush(timeoutMs?: number): Promise<void> {
    await this.untilSubmitted();
    await this.producer.flush(timeoutMs);
  }

  /**
   * Flushes the jobs enqueued here (async ones included) and releases the producer. Rejects when
   * jobs could not be delivered, so that a lost job is never silent.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.untilSubmitted();
    await this.producer.close();
  }

  /**
   * Places prepared jobs on their partitions and hands them to the producer. Every job is checked
   * against its topic: the topic must exist (partita never relies on auto-creation) and an
   * explicit partition must be in range. The counts are cached, so this is one metadata request
   * per topic and minute; with every count cached and no call waiting for one, the jobs reach the
   * producer within this call (no await), so calls keep their order. `numberErrors` prefixes an
   * error with the failing job's position in its batch.
   */
  private dispatch(jobs: PreparedJob[], numberErrors: boolean): Promise<EnqueueResult[]> {
    const topics = new Set<string>();
    for (const job of jobs) topics.add(job.topic);
    const counts = this.pendingLookups === 0 ? this.cachedCounts(topics) : undefined;
    if (counts !== undefined) return this.produce(jobs, counts, numberErrors);
    const dispatched = this.lookUpThenProduce(jobs, topics, numberErrors);
    // flush() and close() wait for these: the jobs are not in the producer yet.
    const settled = dispatched.then(
      () => undefined,
      () => undefined,
    );
    this.waitingForCounts.add(settled);
    void settled.then(() => this.waitingForCounts.delete(settled));
    return dispatched;
  }

  private async lookUpThenProduce(jobs: PreparedJob[], topics: Set<string>, numberErrors: boolean): Promise<EnqueueResult[]> {
    const counts = new Map<string, number>();
    const generation = this.producer.generation;
    // Counted down here, right before these jobs are produced, so no later call can slip ahead.
    this.pendingLookups++;
    try {
      for (const topic of topics) counts.set(topic, await this.partitionCountOf(topic));
    } finally {
      this.pendingLookups--;
    }
    if (this.producer.generation !== generation) {
      // The producer gave up on jobs added before these while they waited: writing these now
      // would put them after failed jobs of their keys.
      const { deliveryTimeoutMs } = this.producer.options;
      throw new EnqueueTimeoutError(
        jobs.length === 1 ? jobs[0].id : undefined,
        deliveryTimeoutMs,
        `not produced: while ${jobs.length === 1 ? `job ${jobs[0].id}` : `these ${jobs.length} jobs`} waited for the partition count of ${[...topics].join(', ')}, the producer gave up on the jobs added before (not acknowledged by Kafka at ${this.producer.brokers} within ${deliveryTimeoutMs} ms)`,
      );
    }
    return this.produce(jobs, counts, numberErrors);
  }

  /** Resolves once every call made so far has handed its jobs to the producer (or failed). */
  private async untilSubmitted(): Promise<void> {
    while (this.waitingForCounts.size > 0) await Promise.all([...this.waitingForCounts]);
  }

  private async produce(jobs: PreparedJob[], counts: Map<string, number>, numberErrors: boolean): Promise<EnqueueResult[]> {
    const messages = new Array<JobMessage>(jobs.length);
    let syncCount = 0;
    for (let i = 0; i < jobs.length; i++) {
      try {
        const message = placeJob(jobs[i], counts.get(jobs[i].topic));
        assertMessageSize(message, this.maxMessageBytes);
        messages[i] = message;
        if (message.dispatch === 'sync') syncCount++;
      } catch (error) {
        throw numberErrors ? numbered(i, error) : error;
      }
    }
    const awaitAck = syncCount === 0 ? false : syncCount === messages.length ? true : messages.map((m) => m.dispatch === 'sync');
    const results = await this.producer.produceAll(messages, awaitAck);
    return messages.map((message, i) => toResult(message, results[i]));
  }

  /** The partition counts of `topics` when every one is cached, else undefined. */
  private cachedCounts(topics: Set<string>): Map<string, number> | undefined {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const cached = this.producer.cachedPartitionCount(topic);
      if (cached === undefined) return undefined;
      counts.set(topic, cached);
    }
    return counts;
  }

  private partitionCountOf(topic: string): Promise<number> {
    return this.producer.partitionCount(topic);
  }

  private assertOpen(): void {
    if (this.closed) throw new EnqueuerClosedError('this enqueuer (queue) was closed');
  }
}

function toResult(message: JobMessage, delivery: { partition: number; offset: number } | undefined): EnqueueResult {
  if (delivery) return { id: message.id, partition: delivery.partition, offset: delivery.offset };
  return message.partition === undefined ? { id: message.id } : { id: message.id, partition: message.partition };
}

/** Prefixes an error of the i-th job of a batch with its position, so the caller can find it. */
function numbered(index: number, error: unknown): unknown {
  if (error instanceof Error) error.message = `job #${index}: ${error.message}`;
  return error;
}
