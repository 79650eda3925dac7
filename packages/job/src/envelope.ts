import SuperJSON from 'superjson';
import { PoisonMessageError } from './errors';
import { utf8Bytes } from './utf8-slab';
import { toSuperJsonText } from './wire-json';
import { describeValue } from './describe-value';
import { WireJobOptions, wireOptionsProblem } from './options';
import { parseJsonArray } from './json-array';

/** The current wire format version. A worker treats any other version as a poison message. */
export const ENVELOPE_VERSION = 1;

/**
 * The one header every job message carries: `[version, name, id]` as a JSON array, e.g.
 * `[1,"SendWelcome","3f0c…"]`, so that routing and dead-letter tooling never need the payload.
 * One header rather than three: librdkafka and the binding copy each header several times, and
 * three headers cost a quarter of the producer's throughput (measured, see BENCHMARKS.md).
 */
export const JOB_HEADER = 'partita';

/** What the {@link JOB_HEADER} says about a job. */
export interface JobHeader {
  v: number;
  name: string;
  id: string;
}

/** A job as it travels in a Kafka message value. */
export interface Envelope<TData = unknown> {
  v: typeof ENVELOPE_VERSION;
  id: string;
  name: string;
  data: TData;
  /** Epoch milliseconds. */
  enqueuedAt: number;
  opts: WireJobOptions;
}

/** Kafka message headers as partita writes them: one string value per name. */
export type JobHeaders = Record<string, string>;

/**
 * Serialises an envelope in superjson's format; throws a `SerializationError`, naming the
 * path, for data that cannot be represented faithfully (see `toSuperJsonText`).
 */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return utf8Bytes(toSuperJsonText(envelope, `job ${envelope.name}`));
}

/** The value of the {@link JOB_HEADER} for a job. */
export function jobHeaderValue(job: Pick<Envelope, 'name' | 'id' | 'v'>): string {
  return `[${job.v},${quotedName(job.name)},${JSON.stringify(job.id)}]`;
}

/** Job names repeat: their JSON quoting is kept (a bounded cache; past it names are quoted each time). */
const quotedNames = new Map<string, string>();
function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (quotedNames.size < 1000) quotedNames.set(name, quoted);
  }
  return quoted;
}

/** The Kafka headers of a job's message: the {@link JOB_HEADER} with name, id and envelope version. */
export function envelopeHeaders(envelope: Pick<Envelope, 'name' | 'id' | 'v'>): JobHeaders {
  return { [JOB_HEADER]: jobHeaderValue(envelope) };
}

/**
 * Reads the {@link JOB_HEADER} of a message's headers (e.g. in a worker's virtual partitioner);
 * `undefined` when it is missing or not in the expected form (a message from elsewhere).
 */
export function readJobHeader(headers: Readonly<Record<string, string>>): JobHeader | undefined {
  const parsed = parseJsonArray(headers[JOB_HEADER]);
  if (parsed?.length !== 3) return undefined;
  const [v, name, id] = parsed;
  if (typeof v !== 'number' || typeof name !== 'string' || typeof id !== 'string') return undefined;
  return { v, name, id };
}

/**
 * The job id of an encoded envelope (`{"json":{"v":1,"id":"…"…`), read from the start of a message
 * value without parsing the rest; undefined for anything else. Names a job in reports that carry
 * only the message's bytes (e.g. a failed delivery).
 */
export function peekEnvelopeId(value: Buffer | null | undefined): string | undefined {
  if (!value) return undefined;
  const match = ENVELOPE_ID_AT_START.exec(value.toString('utf8', 0, Math.min(value.length, 1024)));
  return match ? (parseJsonArray(`[${match[1]}]`)?.[0] as string | undefined) : undefined;
}

/** `encodeEnvelope` writes the version and then the id first (an object's keys keep their order). */
const ENVELOPE_ID_AT_START = /^\{"json":\{"v":\d+,"id":("(?:[^"\\]|\\.)*")/;

/**
 * Parses a message value into an envelope and checks it as the API checks its input; throws
 * {@link PoisonMessageError} when it is not a job this worker may run as it says: not an envelope
 * (`undecodable`), another format version (`unknown-version`), or options the API would refuse
 * (`invalid-options`, e.g. `attempts: 1e9`, `backoff: 'x'`, a dead letter topic that is no topic
 * name). The message is input from whoever can write to the topic, never configuration.
 *
 * An own `__proto__` key anywhere in it is refused (`undecodable`): `JSON.parse` keeps it as a
 * plain key, while superjson's copy (taken when the envelope has `meta`) makes it the object's
 * prototype, so the two would read the same bytes as different jobs.
 */
export function decodeEnvelope(value: Buffer | string | null | undefined): Envelope {
  if (value === null || value === undefined || value.length === 0) {
    throw new PoisonMessageError('undecodable', 'message has no value');
  }
  let parsed: unknown;
  try {
    // toString() without arguments is Buffer's UTF-8 fast path.
    const text = typeof value === 'string' ? value : value.toString();
    const raw: unknown = JSON.parse(text);
    // A key spelled `__proto__`, or escaped to read so: two substring searches on the common path,
    // the walk only for the rare text that has either.
    if ((text.includes('__proto__') || text.includes('\\u')) && hasProtoKey(raw)) {
      throw new PoisonMessageError('undecodable', "message value has a '__proto__' key, which partita never writes: refused as a prototype-pollution attempt");
    }
    // Most jobs carry plain JSON data, with no superjson `meta`: then the envelope is `json` as it is,
    // and superjson's deep copy (a large share of a no-op job's cost) can be skipped.
    parsed =
      typeof raw === 'object' && raw !== null && 'json' in raw && (raw as { meta?: unknown }).meta === undefined
        ? raw.json
        : SuperJSON.deserialize(raw as Parameters<typeof SuperJSON.deserialize>[0]);
  } catch (error) {
    if (error instanceof PoisonMessageError) throw error;
    throw new PoisonMessageError('undecodable', `message value is not a partita envelope: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PoisonMessageError('undecodable', 'message value is not a partita envelope (not an object)');
  }
  const e = parsed as Partial<Envelope> & { v?: unknown };
  if (e.v !== ENVELOPE_VERSION) {
    throw new PoisonMessageError('unknown-version', `unknown envelope version ${describeValue(e.v)}; this worker reads version ${ENVELOPE_VERSION}`);
  }
  if (typeof e.id !== 'string' || e.id === '')
    throw new PoisonMessageError('undecodable', `envelope id must be a non-empty string, got ${describeValue(e.id)}`);
  if (typeof e.name !== 'string' || e.name === '')
    throw new PoisonMessageError('undecodable', `envelope name must be a non-empty string, got ${describeValue(e.name)}`);
  if (typeof e.enqueuedAt !== 'number' || !Number.isFinite(e.enqueuedAt)) {
    throw new PoisonMessageError('undecodable', `envelope enqueuedAt must be a number (epoch ms), got ${describeValue(e.enqueuedAt)}`);
  }
  // The parsed object itself (no copy per job); only a missing `opts` is filled in.
  const opts = e.opts as unknown;
  if (opts === undefined) {
    e.opts = {};
  } else {
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      throw new PoisonMessageError('invalid-options', `envelope opts must be an object, got ${describeValue(opts)}`);
    }
    const problem = wireOptionsProblem(opts);
    if (problem !== undefined) throw new PoisonMessageError('invalid-options', problem);
  }
  return e as Envelope;
}

/** Whether a parsed JSON value has an own `__proto__` key at any depth (a loop: nesting may be deep). */
function hasProtoKey(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
    for (const key in value) pending.push((value as Record<string, unknown>)[key]);
  }
  return false;
}
