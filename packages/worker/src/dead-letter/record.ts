import { PoisonMessageError, WorkerCrashedError } from '@partita/job';
import { JOB_HEADER, jobHeaderValue, readJobHeader } from '@partita/job/wire';
import type { QueuedJob } from '../core/partition-work';
import { toError, truncateText } from '../core/thrown-value';

/** Header names of a dead letter record, next to the job's own headers. */
export const DLQ_HEADERS = {
  sourceTopic: 'partita-dlq-source-topic',
  sourcePartition: 'partita-dlq-source-partition',
  sourceOffset: 'partita-dlq-source-offset',
  group: 'partita-dlq-group',
  attempts: 'partita-dlq-attempts',
  errorClass: 'partita-dlq-error-class',
  errorMessage: 'partita-dlq-error-message',
  errorStack: 'partita-dlq-error-stack',
  firstFailedAt: 'partita-dlq-first-failed-at',
  lastFailedAt: 'partita-dlq-last-failed-at',
  /** `failed`, or the poison reason: `undecodable`, `unknown-version`, `unknown-job`, ... */
  reason: 'partita-dlq-reason',
  /**
   * Only on a reduced record: why the full record could not be written (the broker's error). Its
   * value is then cut to {@link DLQ_HEADERS.keptBytes} of {@link DLQ_HEADERS.originalBytes}.
   */
  reduced: 'partita-dlq-reduced',
  /** Only on a reduced record: the size of the job's original message value, in bytes. */
  originalBytes: 'partita-dlq-original-bytes',
  /** Only on a reduced record: how many bytes of the value it keeps (its first ones). */
  keptBytes: 'partita-dlq-kept-bytes',
  /** Only on a reduced record that left out some of the job's own headers: how many. */
  droppedHeaders: 'partita-dlq-dropped-headers',
} as const;

/** A header of a record on its way out: name and value, repeats allowed, in order. */
export type OutgoingHeader = readonly [name: string, value: string | Buffer];

/** How complete a dead letter record is. */
export type DeadLetterForm = 'full' | 'reduced' | 'minimal';

/** A record ready for the dead letter topic (the partition is chosen by the sink). */
export interface DeadLetterRecord {
  topic: string;
  key: string | null;
  value: Buffer | null;
  /** The job's own headers (exact bytes, repeats kept), then partita's: a reader taking the last of a name gets partita's. */
  headers: OutgoingHeader[];
  sourcePartition: number;
  /** The job's id, when its envelope or its job header names one. */
  jobId: string | undefined;
  form: DeadLetterForm;
  /** The job's own headers alone (for a reduced form). */
  ownHeaders: readonly OutgoingHeader[];
  /** partita's headers alone: where and why the job died. */
  dlqHeaders: readonly OutgoingHeader[];
}

const MAX_STACK_CHARS = 2000;
const MAX_MESSAGE_CHARS = 1000;
const MAX_CLASS_CHARS = 200;
/** How much of the value a reduced record keeps. */
export const REDUCED_VALUE_BYTES = 64 * 1024;
/** How many bytes of the job's own headers a reduced record keeps (in order, whole headers). */
export const REDUCED_OWN_HEADER_BYTES = 8 * 1024;

/**
 * Builds the dead letter record of a job: its original key, bytes and headers, plus where and why it
 * died. Never throws, whatever the job threw: a record that cannot be built would hold its key.
 */
export function deadLetterRecord(job: QueuedJob, error: unknown, topic: string, groupId: string): DeadLetterRecord {
  const { message } = job;
  const envelope = job.envelope;
  const failure = toError(error);
  const now = Date.now();
  const ownHeaders = safely(() => ownHeadersOf(job), []);
  const dlqHeaders: OutgoingHeader[] = [
    [DLQ_HEADERS.sourceTopic, message.topic],
    [DLQ_HEADERS.sourcePartition, String(message.partition)],
    [DLQ_HEADERS.sourceOffset, String(message.offset)],
    [DLQ_HEADERS.group, groupId],
    [DLQ_HEADERS.attempts, String(job.attempt)],
    [DLQ_HEADERS.errorClass, safely(() => truncateText(errorClassOf(failure), MAX_CLASS_CHARS), 'Error')],
    [DLQ_HEADERS.errorMessage, truncateText(failure.message, MAX_MESSAGE_CHARS)],
    [DLQ_HEADERS.errorStack, safely(() => truncateText(trimStack(failure.stack ?? ''), MAX_STACK_CHARS), '')],
    [DLQ_HEADERS.firstFailedAt, isoTime(job.firstFailedAt, now)],
    [DLQ_HEADERS.lastFailedAt, isoTime(job.lastFailedAt, now)],
    [DLQ_HEADERS.reason, safely(() => poisonReasonOf(failure), 'failed')],
  ];
  // A job that came without the header (e.g. produced by another tool) gets one, for `dlq list`.
  if (envelope && !ownHeaders.some(([name]) => name === JOB_HEADER)) {
    const value = safely(() => jobHeaderValue(envelope), undefined);
    if (typeof value === 'string') dlqHeaders.push([JOB_HEADER, value]);
  }
  const jobId = safely(() => {
    const id: unknown = envelope?.id ?? readJobHeader(message.headers)?.id;
    return typeof id === 'string' ? id : undefined;
  }, undefined);
  return {
    topic,
    key: message.key,
    value: message.value,
    headers: [...ownHeaders, ...dlqHeaders],
    sourcePartition: message.partition,
    jobId,
    form: 'full',
    ownHeaders,
    dlqHeaders,
  };
}

/**
 * The record to write when the broker refused the full one for good (too large, invalid): partita's
 * headers, the job's own headers up to {@link REDUCED_OWN_HEADER_BYTES}, the first
 * {@link REDUCED_VALUE_BYTES} of the value, and headers saying what was cut and why.
 */
export function reducedDeadLetterRecord(full: DeadLetterRecord, why: string): DeadLetterRecord {
  const value = full.value && full.value.length > REDUCED_VALUE_BYTES ? full.value.subarray(0, REDUCED_VALUE_BYTES) : full.value;
  const kept: OutgoingHeader[] = [];
  let budget = REDUCED_OWN_HEADER_BYTES;
  for (const header of full.ownHeaders) {
    budget -= header[0].length + (typeof header[1] === 'string' ? Buffer.byteLength(header[1]) : header[1].length);
    if (budget < 0) break;
    kept.push(header);
  }
  const dlqHeaders: OutgoingHeader[] = [...full.dlqHeaders, ...reductionHeaders(full, why, value?.length ?? 0)];
  if (kept.length < full.ownHeaders.length) dlqHeaders.push([DLQ_HEADERS.droppedHeaders, String(full.ownHeaders.length - kept.length)]);
  return { ...full, value, headers: [...kept, ...dlqHeaders], form: 'reduced', ownHeaders: kept, dlqHeaders };
}

/**
 * The last resort when even the reduced record was refused for good: partita's headers only (where
 * and why the job died, what was cut), no value. Enough to find the original in its queue.
 */
export function minimalDeadLetterRecord(full: DeadLetterRecord, why: string): DeadLetterRecord {
  const dlqHeaders: OutgoingHeader[] = [...full.dlqHeaders, ...reductionHeaders(full, why, 0)];
  if (full.ownHeaders.length > 0) dlqHeaders.push([DLQ_HEADERS.droppedHeaders, String(full.ownHeaders.length)]);
  return { ...full, value: null, headers: dlqHeaders, form: 'minimal', ownHeaders: [], dlqHeaders };
}

function reductionHeaders(full: DeadLetterRecord, why: string, keptBytes: number): OutgoingHeader[] {
  return [
    [DLQ_HEADERS.reduced, truncateText(why, MAX_MESSAGE_CHARS)],
    [DLQ_HEADERS.originalBytes, String(full.value?.length ?? 0)],
    [DLQ_HEADERS.keptBytes, String(keptBytes)],
  ];
}

/** The job's headers as they came (exact bytes, repeats kept), or by name for a message that has no list. */
function ownHeadersOf(job: QueuedJob): OutgoingHeader[] {
  const raw = job.message.rawHeaders;
  if (raw) return raw.map((h) => [h.name, h.value] as const);
  return Object.entries(job.message.headers).map(([name, value]) => [name, String(value)] as const);
}

/** The reason header: a poison message's reason, `worker-crashed`, else `failed`. */
function poisonReasonOf(error: Error): string {
  if (!(error instanceof PoisonMessageError) && !(error instanceof WorkerCrashedError)) return 'failed';
  const reason: unknown = error.reason;
  return typeof reason === 'string' && reason !== '' ? truncateText(reason, MAX_CLASS_CHARS) : 'failed';
}

/** The error's class: its `name` unless a subclass left it at 'Error'. */
function errorClassOf(error: Error): string {
  if (error.name && error.name !== 'Error') return error.name;
  const ctor: unknown = error.constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? ctor : 'Error';
}

function isoTime(at: number | undefined, fallback: number): string {
  const date = new Date(typeof at === 'number' && Number.isFinite(at) ? at : fallback);
  return Number.isNaN(date.getTime()) ? new Date(fallback).toISOString() : date.toISOString();
}

/** Drops node-internal frames: they say nothing about the job. */
function trimStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !line.includes('node:internal') && !line.includes('node_modules/@partita/worker'))
    .join('\n');
}

function safely<T>(build: () => T, fallback: T): T {
  try {
    return build();
  } catch {
    return fallback;
  }
}
