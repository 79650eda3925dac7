import { Envelope, JOB_HEADER, jobHeaderValue, PoisonMessageError, readJobHeader } from '@partita/job';
import type { QueuedJob } from './core/partition-work';

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
  /** `failed`, or the poison reason: `undecodable`, `unknown-version`, `unknown-job`. */
  reason: 'partita-dlq-reason',
} as const;

/** A record ready for the dead letter topic (the partition is chosen by the sink). */
export interface DeadLetterRecord {
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  sourcePartition: number;
  /** The job's id, when its envelope or its job header names one. */
  jobId: string | undefined;
}

const MAX_STACK_CHARS = 2000;
const MAX_MESSAGE_CHARS = 1000;

/** Builds the dead letter record of a job: its original key and bytes, plus where and why it died. */
export function deadLetterRecord(job: QueuedJob, error: Error, topic: string, groupId: string): DeadLetterRecord {
  const { message } = job;
  const envelope = job.decoded as Envelope | undefined;
  const now = Date.now();
  const headers: Record<string, string> = {
    ...message.headers,
    [DLQ_HEADERS.sourceTopic]: message.topic,
    [DLQ_HEADERS.sourcePartition]: String(message.partition),
    [DLQ_HEADERS.sourceOffset]: String(message.offset),
    [DLQ_HEADERS.group]: groupId,
    [DLQ_HEADERS.attempts]: String(job.attempt),
    [DLQ_HEADERS.errorClass]: errorClassOf(error),
    [DLQ_HEADERS.errorMessage]: truncate(error.message ?? '', MAX_MESSAGE_CHARS),
    [DLQ_HEADERS.errorStack]: truncate(trimStack(error.stack ?? ''), MAX_STACK_CHARS),
    [DLQ_HEADERS.firstFailedAt]: new Date(job.firstFailedAt ?? now).toISOString(),
    [DLQ_HEADERS.lastFailedAt]: new Date(job.lastFailedAt ?? now).toISOString(),
    [DLQ_HEADERS.reason]: error instanceof PoisonMessageError ? error.reason : 'failed',
  };
  // A job that came without the header (e.g. produced by another tool) gets one, for `dlq list`.
  if (envelope) headers[JOB_HEADER] ??= jobHeaderValue(envelope);
  const jobId = envelope?.id ?? readJobHeader(message.headers)?.id;
  return { topic, key: message.key, value: message.value, headers, sourcePartition: message.partition, jobId };
}

/** The error's class: its `name` unless a subclass left it at 'Error'. */
function errorClassOf(error: Error): string {
  if (error.name && error.name !== 'Error') return error.name;
  return error.constructor?.name || 'Error';
}

/** Drops node-internal frames: they say nothing about the job. */
function trimStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !line.includes('node:internal') && !line.includes('node_modules/@partita/worker'))
    .join('\n');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
