import { randomUUID } from 'node:crypto';
import { decodeEnvelope, encodeEnvelope, envelopeHeaders } from '@partita/job';
import { ConnectionOptions, getProducer } from '@partita/enqueuer';
import type { DeadJob } from './dead-job';

/** Headers a replayed job carries, next to its own. */
export const REPLAY_HEADERS = {
  /** The id the job had when it died. */
  originalId: 'partita-original-id',
  /** Where it was replayed from: `<dlq topic>/<partition>@<offset>`. */
  replayedFrom: 'partita-replayed-from',
} as const;

export interface ReplayOutcome {
  replayed: Array<{ job: DeadJob; id: string; topic: string; partition: number; offset: number }>;
  /** Poison records (not jobs) and records without a source topic are not replayed. */
  skipped: Array<{ job: DeadJob; why: string }>;
}

/**
 * Re-enqueues dead jobs to their source queue: same key, same data, a new id (the original one in
 * a header) and fresh attempts. Waits for the broker's acknowledgement of each.
 */
export async function replayDeadJobs(jobs: DeadJob[], connection: ConnectionOptions = {}, fallbackQueue?: string): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: [], skipped: [] };
  const producer = getProducer(connection);
  try {
    for (const job of jobs) {
      const topic = job.sourceTopic ?? fallbackQueue;
      if (!topic) {
        outcome.skipped.push({ job, why: 'no source topic' });
        continue;
      }
      let envelope;
      try {
        envelope = decodeEnvelope(job.value);
      } catch (error) {
        outcome.skipped.push({ job, why: `not a job (${job.reason ?? 'undecodable'}): ${(error as Error).message}` });
        continue;
      }
      const id = randomUUID();
      const fresh = { ...envelope, id, enqueuedAt: Date.now() };
      const headers = {
        ...envelopeHeaders(fresh),
        [REPLAY_HEADERS.originalId]: envelope.id,
        [REPLAY_HEADERS.replayedFrom]: `${job.dlqTopic}/${job.dlqPartition}@${job.dlqOffset}`,
      };
      // Keyed jobs go where their key belongs (murmur2), keyless ones where the partitioner puts them.
      const ack = await producer.produce({ topic, key: job.key, value: encodeEnvelope(fresh), headers, id }, { awaitAck: true });
      outcome.replayed.push({ job, id, topic, partition: ack.partition, offset: ack.offset });
    }
  } finally {
    await producer.close();
  }
  return outcome;
}

