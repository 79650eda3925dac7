import type { ResolvedWorkerConfig } from './config';
import type { QueuedJob } from './core/partition-work';
import { deadLetterRecord } from './dead-letter-record';
import type { DeadLetterSink } from './engine';
import type { DeadLetterInfo } from './events';
import type { Envelope } from '@partita/job';
import { getProducer, ProducerHandle } from '@partita/enqueuer';

/** The part of the enqueuer's producer that dead-lettering uses. */
export type RecordProducer = Pick<ProducerHandle, 'produce' | 'partitionCount' | 'close'>;

/**
 * Writes dead jobs to their dead letter topic with the same key, in the partition equal to the
 * source partition modulo the DLQ's partition count (so the DLQ keeps per-key order), and resolves
 * only once the broker acknowledged the write.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly config: ResolvedWorkerConfig,
    private readonly producer: RecordProducer,
  ) {}

  async write(job: QueuedJob, error: Error): Promise<DeadLetterInfo> {
    const topic = this.topicFor(job);
    if (topic === false) {
      console.warn(`[partita] job ${job.message.topic}/${job.message.partition}@${job.message.offset} failed for good and was dropped (deadLetter: false): ${error.message}`);
      return { topic: null, error };
    }
    const record = deadLetterRecord(job, error, topic, this.config.groupId);
    const partitions = await this.producer.partitionCount(topic);
    const partition = record.sourcePartition % partitions;
    const ack = await this.producer.produce({ topic, partition, key: record.key, value: record.value, headers: record.headers, id: record.jobId }, { awaitAck: true });
    return { topic, partition: ack.partition, offset: ack.offset, error };
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  /** The job's own `deadLetter` option wins over the worker's. */
  private topicFor(job: QueuedJob): string | false {
    const own = (job.decoded as Envelope | undefined)?.opts?.deadLetter;
    if (own !== undefined) return own;
    return this.config.deadLetter(job.message.topic);
  }
}

export function createDeadLetterSink(config: ResolvedWorkerConfig): KafkaDeadLetterSink {
  return new KafkaDeadLetterSink(config, getProducer(config.connection));
}
