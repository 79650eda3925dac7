import { randomUUID } from 'node:crypto';
import { encodeEnvelope, envelopeHeaders } from '@partita/job/wire';
import { ConnectionOptions, getProducer, validateTopicName } from '@partita/kafka';
import type { DeadJob } from './dead-job';

/** Headers a replayed job carries, next to its own. */
export const REPLAY_HEADERS = {
  /** The id the job had when it died. */
  originalId: 'partita-original-id',
  /** Where it was replayed from: `<dlq topic>/<partition>@<offset>`. */
  replayedFrom: 'partita-replayed-from',
} as const;

/** What {@link replayDeadJobs} did with each dead job it was given. */
export interface ReplayOutcome {
  /** Jobs written to the queue again: the new id, and where the new message landed. */
  replayed: Array<{ job: DeadJob; id: string; topic: string; partition: number; offset: number }>;
  /** Records that are not replayed, and why: not a valid job, or from another queue. */
  skipped: Array<{ job: DeadJob; why: string }>;
}

/**
 * Re-enqueues dead jobs to `queue`: same key, same data and options, a new id (the original one in a
 * header) and fresh attempts. Waits for the broker's acknowledgement of each.
 *
 * A record is input, not configuration: it is written to `queue` and nowhere else, whatever its
 * headers say. A record whose source header names another queue (a DLQ shared by queues, or a
 * forged header) is skipped, as is one whose value is not a valid envelope (checked as the worker
 * checks it, options included) and one whose `deadLetter` option names `queue` itself.
 */
export async function replayDeadJobs(jobs: DeadJob[], connection: ConnectionOptions, queue: string): Promise<ReplayOutcome> {
  validateTopicName(queue, 'queue');
  const outcome: ReplayOutcome = { replayed: [], skipped: [] };
  const producer = getProducer(connection);
  try {
    for (const job of jobs) {
      const why = refusal(job, queue);
      if (why !== undefined) {
        outcome.skipped.push({ job, why });
        continue;
      }
      const envelope = job.envelope!;
      const id = randomUUID();
      const fresh = { ...envelope, id, enqueuedAt: Date.now() };
      const headers = {
        ...envelopeHeaders(fresh),
        [REPLAY_HEADERS.originalId]: envelope.id,
        [REPLAY_HEADERS.replayedFrom]: `${job.dlqTopic}/${job.dlqPartition}@${job.dlqOffset}`,
      };
      // Keyed jobs go where their key belongs (murmur2), keyless ones where the partitioner puts them.
      const ack = await producer.produce({ topic: queue, key: job.key, value: encodeEnvelope(fresh), headers, id }, { awaitAck: true });
      outcome.replayed.push({ job, id, topic: queue, partition: ack.partition, offset: ack.offset });
    }
  } finally {
    await producer.close();
  }
  return outcome;
}

function refusal(job: DeadJob, queue: string): string | undefined {
  if (job.sourceTopic !== null && job.sourceTopic !== queue) {
    return `it came from queue ${JSON.stringify(job.sourceTopic).slice(0, 260)} (as its header says), not ${queue}; replay it with --queue set to that queue`;
  }
  if (!job.envelope) return `not a job (${job.reason ?? 'undecodable'}): ${job.envelopeProblem ?? 'no envelope'}`;
  if (job.envelope.opts.deadLetter === queue) return `its deadLetter option names the queue ${queue} itself, which enqueueing refuses`;
  return undefined;
}
