import { EnqueueResult, JobDispatcher, JobOptions, JobRequest, validateJobOptions } from '@partita/job';
import { ConnectionOptions } from './connection';
import { EnqueuerClosedError } from './errors';
import { assertMessageSize, DEFAULT_MAX_MESSAGE_BYTES, JobMessage, placeJob, PreparedJob, prepareJob } from './job-message';
import { getProducer, ProducerHandle, ProducerOptions } from './producer';
import { TopicInfo, TopicSpec } from './topic-admin';

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
    const job = prepareJob(request, this.defaults);
    // With the partition count cached and no lookup under way, the job goes to the producer in
    // this very call (no await): calls stay in order and cost one promise less.
    let count = this.pendingLookups === 0 ? this.producer.cachedPartitionCount(job.topic) : undefined;
    if (count === undefined) {
      // Counted down here, right before this job is produced, so no later call can slip ahead.
      this.pendingLookups++;
      try {
        count = await this.partitionCountOf(job.topic);
      } finally {
        this.pendingLookups--;
      }
    }
    const message = placeJob(job, count);
    assertMessageSize(message, this.maxMessageBytes);
    // A JobMessage is an OutgoingMessage (topic, partition, key, value, headers, id).
    const result = await this.producer.produce(message, { awaitAck: message.dispatch === 'sync' });
    return toResult(message, result);
  }

  async enqueueAll(requests: JobRequest[]): Promise<EnqueueResult[]> {
    this.assertOpen();
    if (!Array.isArray(requests)) throw new TypeError('enqueueAll expects an array of job requests');
    // Plain loops, no closure per job: this is the bulk hot path.
    const jobs: PreparedJob[] = new Array(requests.length);
    const topics = new Set<string>();
    for (let i = 0; i < requests.length; i++) {
      try {
        jobs[i] = prepareJob(requests[i]!, this.defaults);
      } catch (error) {
        throw numbered(i, error);
      }
      topics.add(jobs[i]!.topic);
    }
    // As in `enqueue`: no await when every count is cached and no call is waiting for one.
    const counts = new Map<string, number>();
    if (this.pendingLookups === 0) {
      for (const topic of topics) {
        const cached = this.producer.cachedPartitionCount(topic);
        if (cached === undefined) break;
        counts.set(topic, cached);
      }
    }
    if (counts.size < topics.size) {
      this.pendingLookups++;
      try {
        for (const topic of topics) counts.set(topic, await this.partitionCountOf(topic));
      } finally {
        this.pendingLookups--;
      }
    }
    const messages: JobMessage[] = new Array(jobs.length);
    let syncCount = 0;
    for (let i = 0; i < jobs.length; i++) {
      try {
        const message = placeJob(jobs[i]!, counts.get(jobs[i]!.topic));
        assertMessageSize(message, this.maxMessageBytes);
        messages[i] = message;
        if (message.dispatch === 'sync') syncCount++;
      } catch (error) {
        throw numbered(i, error);
      }
    }
    const awaitAck = syncCount === 0 ? false : syncCount === messages.length ? true : messages.map((m) => m.dispatch === 'sync');
    const results = await this.producer.produceAll(messages, awaitAck);
    return messages.map((message, i) => toResult(message, results[i]));
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

  /** Waits until every job enqueued here is acknowledged by the broker (or reports why not). */
  flush(timeoutMs?: number): Promise<void> {
    return this.producer.flush(timeoutMs);
  }

  /**
   * Flushes the jobs enqueued here (async ones included) and releases the producer. Rejects when
   * jobs could not be delivered, so that a lost job is never silent.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.producer.close();
  }

  /**
   * Every job is checked against its topic: the topic must exist (partita never relies on
   * auto-creation) and an explicit partition must be in range. The count is cached, so this is
   * one metadata request per topic and minute.
   */


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
