import { decodeEnvelope, Envelope, readJobHeader } from '@partita/job/wire';
import { DLQ_HEADERS } from './record';

/** A record of a dead letter topic, with the headers partita wrote decoded. */
export interface DeadJob {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /**
   * The job's name and id: its envelope's when the value is one, else what its job header says (a
   * poison record). Shown by `dlq list`; `--job` filters on the envelope's name only.
   */
  name: string | null;
  id: string | null;
  /**
   * The decoded envelope, checked as the worker checks it (options included); null when the value
   * is not a valid envelope: a poison message, or a reduced record whose value was cut.
   */
  envelope: Envelope | null;
  /** Why {@link envelope} is null. */
  envelopeProblem: string | null;
  /** Set on a reduced record: why the full one could not be written (its value is then cut). */
  reduced: string | null;
  /** On a reduced record: the original value's size in bytes. */
  originalBytes: number | null;
  sourceTopic: string | null;
  sourcePartition: number | null;
  sourceOffset: number | null;
  group: string | null;
  attempts: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  /** `failed`, or the poison reason. */
  reason: string | null;
  firstFailedAt: Date | null;
  lastFailedAt: Date | null;
}

function intOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isInteger(n) ? n : null;
}

function dateOrNull(text: string | undefined): Date | null {
  if (!text) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Reads the partita headers of a dead letter record. Records from elsewhere decode with nulls. */
export function toDeadJob(
  dlqTopic: string,
  record: { partition: number; offset: number; key: string | null; value: Buffer | null; headers: Record<string, string> },
): DeadJob {
  const h = record.headers;
  const job = readJobHeader(h);
  let envelope: Envelope | null = null;
  let envelopeProblem: string | null = null;
  const reduced = h[DLQ_HEADERS.reduced] ?? null;
  if (reduced !== null) {
    envelopeProblem = `a reduced record: only ${h[DLQ_HEADERS.keptBytes] ?? '?'} of its ${h[DLQ_HEADERS.originalBytes] ?? '?'} value bytes were kept (${reduced})`;
  } else {
    try {
      envelope = decodeEnvelope(record.value);
    } catch (error) {
      envelopeProblem = (error as Error).message;
    }
  }
  return {
    dlqTopic,
    dlqPartition: record.partition,
    dlqOffset: record.offset,
    key: record.key,
    value: record.value,
    headers: h,
    name: envelope?.name ?? job?.name ?? null,
    id: envelope?.id ?? job?.id ?? null,
    envelope,
    envelopeProblem,
    reduced,
    originalBytes: intOrNull(h[DLQ_HEADERS.originalBytes]),
    sourceTopic: h[DLQ_HEADERS.sourceTopic] ?? null,
    sourcePartition: intOrNull(h[DLQ_HEADERS.sourcePartition]),
    sourceOffset: intOrNull(h[DLQ_HEADERS.sourceOffset]),
    group: h[DLQ_HEADERS.group] ?? null,
    attempts: intOrNull(h[DLQ_HEADERS.attempts]),
    errorClass: h[DLQ_HEADERS.errorClass] ?? null,
    errorMessage: h[DLQ_HEADERS.errorMessage] ?? null,
    reason: h[DLQ_HEADERS.reason] ?? null,
    firstFailedAt: dateOrNull(h[DLQ_HEADERS.firstFailedAt]),
    lastFailedAt: dateOrNull(h[DLQ_HEADERS.lastFailedAt]),
  };
}

/** Which dead jobs a `dlq list` / `dlq replay` takes. */
export interface DeadJobFilter {
  /** Only jobs that failed for the last time at or after this time. */
  since?: Date;
  /** Only jobs of this name (as their envelope says: a header can say anything). */
  job?: string;
  /** At most this many (the oldest first). */
  limit?: number;
}

export function filterDeadJobs(jobs: DeadJob[], filter: DeadJobFilter): DeadJob[] {
  const selected = jobs.filter(
    (j) => (!filter.since || (j.lastFailedAt !== null && j.lastFailedAt >= filter.since)) && (!filter.job || j.envelope?.name === filter.job),
  );
  return filter.limit === undefined ? selected : selected.slice(0, filter.limit);
}

/**
 * Parses `--since`: an ISO date/time, or a duration back from now such as `30m`, `2h`, `7d`.
 * Returns undefined for an unparsable value.
 */
export function parseSince(text: string, now = Date.now()): Date | undefined {
  const relative = text.match(/^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/);
  if (relative) {
    const unit = { s: 1000, m: 60000, h: 3600000, d: 86400000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
