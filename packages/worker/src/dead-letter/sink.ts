import type { ResolvedWorkerConfig } from '../config';
import type { QueuedJob } from '../core/partition-work';
import { toError } from '../core/thrown-value';
import type { DeadLetterSink } from '../engine/contracts';
import type { DeadLetterInfo } from '../events';
import { DeadLetterForm, DeadLetterRecord, deadLetterRecord, minimalDeadLetterRecord, reducedDeadLetterRecord } from './record';
import { deadLetterTarget, refusedDeadLetterWarning } from './target';
import { classifyWriteFailure } from './write-failure';
import { ConnectionOptions, getProducer, ProducerHandle } from '@partita/kafka';

/** The part of the enqueuer's producer that dead-lettering uses. */
export type RecordProducer = Pick<ProducerHandle, 'produce' | 'partitionCount' | 'close'>;

/**
 * Writes of one form of a record that may fail with an error of unknown kind before the next, smaller
 * form is written (each retried by the engine after its delay). Errors that refuse the record move on
 * at once; errors that say Kafka is unavailable are retried for as long as it takes.
 */
export const UNKNOWN_FAILURES_PER_FORM = 5;

/**
 * The dead-letter producer's `message.max.bytes` (librdkafka's upper bound): the dead letter topic's own
 * limit, not the client's 1 MB default, decides what fits, so a queue's large messages can be copied.
 */
export const DEAD_LETTER_PRODUCER_MAX_BYTES = 1_000_000_000;

/** How far a job's dead-lettering got: the form being written and the unknown failures it had. */
interface WriteProgress {
  form: DeadLetterForm;
  unknownFailures: number;
  /** Why the larger forms were refused, for the record's `partita-dlq-reduced` header. */
  why?: string;
}

const NEXT_FORM: Record<DeadLetterForm, DeadLetterForm | undefined> = { full: 'reduced', reduced: 'minimal', minimal: undefined };

/**
 * Writes dead jobs to their dead letter topic with the same key, in the partition equal to the
 * source partition modulo the DLQ's partition count (so the DLQ keeps per-key order), and resolves
 * only once the broker acknowledged the write.
 *
 * A record the broker refuses for good (too large for the topic, invalid) is written in a reduced
 * form instead (see {@link reducedDeadLetterRecord}), then a minimal one; write() rejects only for
 * failures worth retrying the same record later (Kafka or the topic unavailable, or an unknown error
 * fewer than {@link UNKNOWN_FAILURES_PER_FORM} times), so every job ends in its DLQ in bounded tries.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  private readonly progress = new WeakMap<QueuedJob, WriteProgress>();

  constructor(
    private readonly config: ResolvedWorkerConfig,
    private readonly producer: RecordProducer,
    private readonly reportLine: (line: string) => void = (line) => console.error(line),
  ) {}

  /** A failing log line (e.g. a closed stderr) must not fail a write the broker acknowledged: it would be written again. */
  private report(line: string): void {
    try {
      this.reportLine(line);
    } catch {
      // Nothing better to do with it.
    }
  }

  async write(job: QueuedJob, thrown: Error): Promise<DeadLetterInfo> {
    // Whatever the job threw: its fields go into headers and log lines below.
    const error = toError(thrown);
    const topic = this.topicFor(job);
    if (topic === false) {
      this.report(
        `[partita] job ${job.message.topic}/${job.message.partition}@${job.message.offset} failed for good and was dropped (deadLetter: false): ${error.message}`,
      );
      return { topic: null, error };
    }
    const full = deadLetterRecord(job, error, topic, this.config.groupId);
    const partitions = await this.producer.partitionCount(topic);
    const partition = full.sourcePartition % partitions;
    let state = this.progress.get(job);
    if (!state) {
      state = { form: 'full', unknownFailures: 0 };
      this.progress.set(job, state);
    }
    for (;;) {
      const record = formOf(full, state);
      try {
        const ack = await this.producer.produce(
          { topic, partition, key: record.key, value: record.value, headers: record.headers, id: record.jobId },
          { awaitAck: true },
        );
        this.progress.delete(job);
        const info: DeadLetterInfo = { topic, partition: ack.partition, offset: ack.offset, error };
        if (record.form !== 'full') {
          info.reduced = { form: record.form, originalBytes: full.value?.length ?? 0, keptBytes: record.value?.length ?? 0, why: state.why ?? '' };
          this.report(
            `[partita] ${describe(job, full)} was written to ${topic} in ${record.form} form (${info.reduced.keptBytes} of ${info.reduced.originalBytes} value bytes kept): ${state.why}`,
          );
        }
        return info;
      } catch (writeError) {
        const kind = classifyWriteFailure(writeError);
        // Kafka unavailable: the same record later; and a minimal record is refused only by something other than its content.
        if (kind === 'transient' || (kind === 'unknown' && state.form === 'minimal')) throw writeError;
        if (kind === 'unknown' && ++state.unknownFailures < UNKNOWN_FAILURES_PER_FORM) throw writeError;
        const next = NEXT_FORM[state.form];
        state.why ??= messageOf(writeError);
        if (next === undefined) {
          // Refused even as headers alone (e.g. a compacted DLQ topic and a job without a key).
          this.progress.delete(job);
          this.report(
            `[partita] ${describe(job, full)} failed for good and could not be written to ${topic} in any form, so it was dropped: ${messageOf(writeError)}. ` +
              `Check the topic's configuration (kafka-configs.sh --bootstrap-server <broker> --describe --entity-type topics --entity-name ${topic}).`,
          );
          return { topic: null, error };
        }
        state.form = next;
        state.unknownFailures = 0;
      }
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  /** The job's own `deadLetter` option wins over the worker's. */
  private topicFor(job: QueuedJob): string | false {
    // The job's own `deadLetter` comes from its message: honoured only where this worker allows it.
    const envelope = job.envelope;
    const queue = job.message.topic;
    const target = deadLetterTarget(this.config, queue, envelope?.name, envelope?.opts?.deadLetter);
    const warning = refusedDeadLetterWarning(this.config, queue, target);
    if (warning !== undefined) this.report(warning);
    return target.topic;
  }
}

function formOf(full: DeadLetterRecord, state: WriteProgress): DeadLetterRecord {
  if (state.form === 'full') return full;
  const why = state.why ?? 'refused by Kafka';
  return state.form === 'reduced' ? reducedDeadLetterRecord(full, why) : minimalDeadLetterRecord(full, why);
}

function describe(job: QueuedJob, record: DeadLetterRecord): string {
  return `job ${record.jobId ?? '(no id)'} (${job.message.topic}/${job.message.partition}@${job.message.offset})`;
}

function messageOf(error: unknown): string {
  try {
    const message: unknown = (error as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message.slice(0, 500) : String(error).slice(0, 500);
  } catch {
    return 'unreadable error';
  }
}

/**
 * The dead-letter sink of a worker. Its producer is its own (see {@link deadLetterConnection}): the
 * topic, not the client, decides what fits, and a refused record must not stop the producer.
 */
export function createDeadLetterSink(config: ResolvedWorkerConfig): KafkaDeadLetterSink {
  return new KafkaDeadLetterSink(config, getProducer(deadLetterConnection(config.connection)));
}

/**
 * The connection the dead-letter producer uses: `message.max.bytes` as large as librdkafka allows,
 * and no gapless guarantee, which turns any refused record into a fatal error of the whole producer
 * (the enqueuer wants that for order across async jobs; a dead-letter write is awaited one at a time
 * per key, and a refused one is written again in a smaller form). `connection.kafka` still wins.
 */
export function deadLetterConnection(connection: ConnectionOptions): ConnectionOptions {
  return { ...connection, kafka: { 'message.max.bytes': DEAD_LETTER_PRODUCER_MAX_BYTES, 'enable.gapless.guarantee': false, ...connection.kafka } };
}
