import { parseJsonArray } from '@partita/job/wire';
import { decodeValue } from '../codec';
import { isJobState, JobState } from '../states';

/** The events of a queue's event stream and what each carries. */
export interface QueueEventMap {
  /** A job was enqueued (recorded by an enqueuer with state enabled). */
  added: { jobId: string; name: string };
  /** A try started. */
  active: { jobId: string; attempt: number; prev: JobState | undefined };
  /** The job reported progress. */
  progress: { jobId: string; data: number | object };
  /** A try failed and another one follows after `delayMs`. */
  retrying: { jobId: string; failedReason: string; attemptsMade: number; delayMs: number };
  /** A try succeeded; `returnvalue` is what the job returned. */
  completed: { jobId: string; returnvalue: unknown; attemptsMade: number };
  /**
   * The job failed for good: its tries are over. `deadLetterTopic` names the dead letter topic
   * it went to (a `dead` event follows), null when dead-lettering is disabled (state `failed`).
   */
  failed: { jobId: string; failedReason: string; attemptsMade: number; deadLetterTopic: string | null };
  /** The job went to its dead letter topic (state `dead`). */
  dead: { jobId: string; failedReason: string; attemptsMade: number; deadLetterTopic: string };
}

/** The name of a queue event (`added`, `active`, `progress`, `retrying`, `completed`, `failed`, `dead`). */
export type QueueEventName = keyof QueueEventMap;

/** One entry of the event stream, decoded. `eventId` is its stream id (resume after it). */
export type QueueEvent = { [K in QueueEventName]: { name: K; eventId: string; args: QueueEventMap[K] } }[QueueEventName];

/**
 * Decodes a stream entry written by the apply script into its events, in order: one for an
 * entry of a single event, or the events of a whole write batch (`event` = `batch`). A job that
 * started and completed within one batch is one `completed` event marked `active`, read as
 * `active` then `completed`; in a batch, such a job written as its id alone (a string, not an
 * array) started and completed on its first try and returned undefined; its state before was the
 * entry's `prev` field (none: it had no record).
 * Every event of an entry shares the entry's id. Unknown or malformed events are skipped.
 */
export function parseStreamEntry(eventId: string, fields: string[]): QueueEvent[] {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1]!;
  if (f.event !== 'batch') return eventsOf(eventId, f);
  const batch = parseJsonArray(f.events);
  if (!batch) return [];
  const events: QueueEvent[] = [];
  for (const item of batch) {
    if (typeof item === 'string') {
      const g: Record<string, string> = { event: 'completed', jobId: item, attemptsMade: '1', active: '1' };
      if (f.prev !== undefined) g.prev = f.prev;
      events.push(...eventsOf(eventId, g));
      continue;
    }
    if (!Array.isArray(item) || item.length < 2) continue;
    const g: Record<string, string> = { event: String(item[0]), jobId: String(item[1]) };
    for (let i = 2; i + 1 < item.length; i += 2) g[String(item[i])] = String(item[i + 1]);
    events.push(...eventsOf(eventId, g));
  }
  return events;
}

function eventsOf(eventId: string, f: Record<string, string>): QueueEvent[] {
  const event = decodeFields(eventId, f);
  if (!event) return [];
  if (event.name === 'completed' && f.active === '1') {
    const active: QueueEvent = {
      name: 'active',
      eventId,
      args: { jobId: event.args.jobId, attempt: event.args.attemptsMade, prev: isJobState(f.prev) ? f.prev : undefined },
    };
    return [active, event];
  }
  return [event];
}

function decodeFields(eventId: string, f: Record<string, string>): QueueEvent | undefined {
  const jobId = f.jobId;
  if (jobId === undefined) return undefined;
  switch (f.event) {
    case 'added':
      return { name: 'added', eventId, args: { jobId, name: f.name ?? 'unknown' } };
    case 'active':
      return { name: 'active', eventId, args: { jobId, attempt: int(f.attempt), prev: isJobState(f.prev) ? f.prev : undefined } };
    case 'progress': {
      const data = decodeValue(f.data);
      return { name: 'progress', eventId, args: { jobId, data: typeof data === 'number' || (typeof data === 'object' && data !== null) ? data : 0 } };
    }
    case 'retrying':
      return { name: 'retrying', eventId, args: { jobId, failedReason: f.failedReason ?? '', attemptsMade: int(f.attemptsMade), delayMs: int(f.delayMs) } };
    case 'completed':
      return { name: 'completed', eventId, args: { jobId, returnvalue: decodeValue(f.returnvalue), attemptsMade: int(f.attemptsMade) } };
    case 'failed':
      return {
        name: 'failed',
        eventId,
        args: { jobId, failedReason: f.failedReason ?? '', attemptsMade: int(f.attemptsMade), deadLetterTopic: f.deadLetterTopic ? f.deadLetterTopic : null },
      };
    case 'dead':
      return {
        name: 'dead',
        eventId,
        args: { jobId, failedReason: f.failedReason ?? '', attemptsMade: int(f.attemptsMade), deadLetterTopic: f.deadLetterTopic ?? '' },
      };
    default:
      return undefined;
  }
}

function int(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}
