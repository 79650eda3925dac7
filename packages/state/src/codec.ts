import SuperJSON from 'superjson';
import { decodeEnvelope, Envelope, parseJsonArray, toSuperJsonText } from '@partita/job/wire';
import { mergeRunField } from './run-field';
import { isJobState, JobState } from './states';

/** Longest stack trace kept per failed try, in characters. */
export const MAX_STACK_CHARS = 4000;

const UNDEFINED_TEXT = '{"json":null,"meta":{"values":["undefined"]}}';

/**
 * Encodes a value (job data, a result, progress) as superjson text (`SuperJSON.parse` restores
 * it). Plain JSON, and JSON with Dates and undefined (the common cases), take a fast path;
 * anything else goes through superjson. A value that cannot be encoded is stored as a string
 * saying why, never thrown: a job's result must not fail the recording of its completion.
 */
export function encodeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify({ json: value });
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return JSON.stringify({ json: value });
      break;
    case 'undefined':
      return UNDEFINED_TEXT;
    case 'function':
    case 'symbol':
      return JSON.stringify({ json: `[unserializable ${typeof value}]` });
  }
  if (value === null) return '{"json":null}';
  const flat = flatJsonText(value);
  if (flat !== undefined) return PLAIN_JSON_WRAP[0] + flat + PLAIN_JSON_WRAP[1];
  try {
    // The same fast, exact writer the enqueuer uses for job envelopes.
    return toSuperJsonText(value);
  } catch {
    // Not representable exactly (a class instance, a cycle…): superjson's best effort below.
  }
  try {
    return SuperJSON.stringify(value);
  } catch (error) {
    return JSON.stringify({ json: `[unserializable: ${(error as Error).message}]` });
  }
}

/** What superjson writes around a value that plain JSON writes exactly (no annotations). */
export const PLAIN_JSON_WRAP: readonly [head: string, tail: string] = ['{"json":', '}'];

/**
 * The commonest job data: one plain object of strings, finite numbers, booleans and nulls, which
 * JSON writes exactly as superjson does (no annotations). Its JSON text, what {@link encodeValue}
 * wraps in {@link PLAIN_JSON_WRAP}, checked in one loop without the superjson walk; undefined for any other value.
 */
export function flatJsonText(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && isFlatPlainObject(value) ? JSON.stringify(value) : undefined;
}

/** A plain object (Object.prototype its prototype) whose enumerable values are all JSON-exact primitives. */
function isFlatPlainObject(value: object): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    const field = fields[key];
    switch (typeof field) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(field) && !Object.is(field, -0)) continue;
        return false;
      case 'object':
        if (field === null) continue;
        return false;
      default:
        return false;
    }
  }
  return true;
}

/**
 * Starts a data field that holds the job's whole envelope as the worker received it (its Kafka
 * message value), not superjson text of the data: the worker then records the data without
 * encoding it again. JSON text never starts with it.
 */
export const ENVELOPE_MARK = 'E';
/** The head and tail a writer puts around envelope bytes in a data field. */
export const ENVELOPE_WRAP: readonly [string, string] = [ENVELOPE_MARK, ''];

/**
 * A job's message value when a data field can hold it as it is: it has no newline (the separator
 * of compact records, see compact-record.ts; an envelope partita wrote never has one).
 */
export function storableEnvelope(value: Buffer | undefined): Buffer | undefined {
  return value !== undefined && value.length > 0 && value.indexOf(0x0a) === -1 ? value : undefined;
}

/**
 * A stored data field as the job's data: superjson text, or an envelope (see
 * {@link ENVELOPE_MARK}), which also tells the job's options. `undefined` data for a missing
 * field or text that cannot be decoded.
 */
export function decodeDataField(text: string | undefined): { data: unknown; envelope?: Envelope } {
  if (text === undefined || !text.startsWith(ENVELOPE_MARK)) return { data: decodeValue(text) };
  try {
    const envelope = decodeEnvelope(text.slice(ENVELOPE_MARK.length));
    return { data: envelope.data, envelope };
  } catch {
    return { data: undefined };
  }
}

/** Decodes {@link encodeValue}'s text; `undefined` for a missing field or text that is not superjson. */
export function decodeValue(text: string | undefined | null): unknown {
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return SuperJSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An Error's stack (or `name: message`), cut to {@link MAX_STACK_CHARS}. */
export function stackOf(error: Error): string {
  const stack = typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
  return stack.length > MAX_STACK_CHARS ? `${stack.slice(0, MAX_STACK_CHARS)}\n    ...` : stack;
}

/** The message recorded as `failedReason`. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}

/** A job as kept in Redis, decoded: what `getJob` returns (the record class adds the methods). */
export interface JobRecordData<TData = unknown, TResult = unknown> {
  id: string;
  queue: string;
  /** The job's name (`unknown` when only a worker that could not decode it recorded it). */
  name: string;
  /** The state when the record was read; `getState()` reads it again. */
  state: JobState;
  data: TData;
  /** The options the job was enqueued with (attempts, backoff, deadLetter, ...), `{}` when unknown. */
  opts: Record<string, unknown>;
  /** The job's Kafka message key, null for none. */
  key: string | null;
  /** The Kafka partition, once known (sync enqueue, or when a worker took the job). */
  partition: number | undefined;
  /** The Kafka offset, once known (sync enqueue, or when a worker took the job). */
  offset: number | undefined;
  /** When the job was enqueued, epoch ms (0 when unknown). */
  timestamp: number;
  /** When the latest try started, epoch ms. */
  processedOn: number | undefined;
  /** When the job finished (completed, failed or dead), epoch ms. */
  finishedOn: number | undefined;
  /** Tries started. */
  attemptsStarted: number;
  /** Tries that ended (succeeded or failed), as BullMQ's `attemptsMade`. */
  attemptsMade: number;
  /** The latest progress reported by the job (`ctx.updateProgress`), 0 before any. */
  progress: number | object;
  /** What `perform` returned, once completed. */
  returnvalue: TResult | undefined;
  /** The message of the latest error, once a try failed. */
  failedReason: string | undefined;
  /** The stack traces of the failed tries, oldest first (the latest `stackTraceLimit`). */
  stacktrace: string[];
  /** The job's log lines (`ctx.log`), oldest first (the latest `keepLogs`). */
  logs: string[];
  /** The worker that ran the latest try (`host:pid` unless configured). */
  workerId: string | undefined;
  /** The dead letter topic, for a `dead` job. */
  deadLetterTopic: string | undefined;
}

/**
 * Decodes a job hash (HGETALL) into a record; `undefined` when the hash is empty or has no valid
 * state (no such job).
 */
export function decodeJobHash<TData = unknown, TResult = unknown>(
  queue: string,
  id: string,
  stored: Record<string, string>,
  logs: string[] = [],
): JobRecordData<TData, TResult> | undefined {
  const hash = mergeRunField(stored);
  const state = hash.state;
  if (!isJobState(state)) return undefined;
  const { data, envelope } = decodeDataField(hash.data);
  // a worker that recorded the job from its envelope knows the options it was enqueued with
  const opts = hash.opts !== undefined ? decodeValue(hash.opts) : envelope?.opts;
  const progress = decodeValue(hash.progress);
  return {
    id,
    queue,
    name: hash.name ?? envelope?.name ?? 'unknown',
    state,
    data: data as TData,
    opts: typeof opts === 'object' && opts !== null ? (opts as Record<string, unknown>) : {},
    key: decodeKey(hash.key),
    partition: optionalInt(hash.partition),
    offset: optionalInt(hash.offset),
    timestamp: optionalInt(hash.timestamp) ?? 0,
    processedOn: optionalInt(hash.processedOn),
    finishedOn: optionalInt(hash.finishedOn),
    attemptsStarted: optionalInt(hash.attemptsStarted) ?? 0,
    attemptsMade: optionalInt(hash.attemptsMade) ?? 0,
    progress: typeof progress === 'number' || (typeof progress === 'object' && progress !== null) ? progress : 0,
    returnvalue: decodeValue(hash.returnvalue) as TResult | undefined,
    failedReason: hash.failedReason,
    stacktrace: decodeStacktrace(hash.stacktrace),
    logs,
    workerId: hash.workerId,
    deadLetterTopic: hash.deadLetterTopic || undefined,
  };
}

/** The key field: JSON text of a string or null. */
export function encodeKey(key: string | null | undefined): string {
  return JSON.stringify(key ?? null);
}

function decodeKey(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    const key: unknown = JSON.parse(text);
    return typeof key === 'string' ? key : null;
  } catch {
    return null;
  }
}

function optionalInt(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function decodeStacktrace(text: string | undefined): string[] {
  return (parseJsonArray(text) ?? []).filter((s): s is string => typeof s === 'string');
}
