import SuperJSON from 'superjson';
import { PoisonMessageError, SerializationError } from './errors';
import { WireJobOptions } from './options';

/** The current wire format version. A worker treats any other version as a poison message. */
export const ENVELOPE_VERSION = 1;

/** Header names carried by every job message, so routing never needs the payload. */
export const HEADERS = {
  name: 'partita-job',
  id: 'partita-id',
  version: 'partita-v',
} as const;

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

/** Serialises an envelope; throws {@link SerializationError} for data superjson cannot represent. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  assertSerializable(envelope.data, 'data');
  let text: string;
  try {
    text = SuperJSON.stringify(envelope);
  } catch (error) {
    throw new SerializationError(`job ${envelope.name} data cannot be serialised: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.from(text, 'utf8');
}

export function envelopeHeaders(envelope: Pick<Envelope, 'name' | 'id' | 'v'>): JobHeaders {
  return { [HEADERS.name]: envelope.name, [HEADERS.id]: envelope.id, [HEADERS.version]: String(envelope.v) };
}

/** Parses a message value into an envelope; throws {@link PoisonMessageError} when it is not one. */
export function decodeEnvelope(value: Buffer | string | null | undefined): Envelope {
  if (value === null || value === undefined || value.length === 0) {
    throw new PoisonMessageError('undecodable', 'message has no value');
  }
  let parsed: unknown;
  try {
    parsed = SuperJSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    throw new PoisonMessageError('undecodable', `message value is not a partita envelope: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new PoisonMessageError('undecodable', 'message value is not a partita envelope (not an object)');
  }
  const e = parsed as Partial<Envelope> & { v?: unknown };
  if (e.v !== ENVELOPE_VERSION) {
    throw new PoisonMessageError('unknown-version', `unknown envelope version ${JSON.stringify(e.v)}; this worker reads version ${ENVELOPE_VERSION}`);
  }
  if (typeof e.id !== 'string' || typeof e.name !== 'string' || typeof e.enqueuedAt !== 'number') {
    throw new PoisonMessageError('undecodable', 'envelope lacks id, name or enqueuedAt');
  }
  return { v: e.v, id: e.id, name: e.name, data: e.data, enqueuedAt: e.enqueuedAt, opts: e.opts ?? {} };
}

/**
 * superjson silently turns functions, symbols and class instances it does not know into `{}` or
 * drops them; a job queue must refuse such data instead of losing part of it.
 */
function assertSerializable(value: unknown, path: string, seen = new Set<unknown>()): void {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      throw new SerializationError(`job data at ${path} is a ${typeof value}, which cannot be serialised`);
    case 'number':
      // NaN and ±Infinity are kept by superjson; nothing to check.
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (value === null || value instanceof Date || value instanceof RegExp || value instanceof Error) return;
  if (seen.has(value)) throw new SerializationError(`job data at ${path} contains a circular reference`);
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertSerializable(item, `${path}[${i}]`, seen));
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      assertSerializable(k, `${path}<key>`, seen);
      assertSerializable(v, `${path}.get(${String(k)})`, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) assertSerializable(v, `${path}<item>`, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? 'unknown';
      throw new SerializationError(`job data at ${path} is a ${kind} instance; only plain objects, arrays, Date, Map, Set, BigInt, RegExp and Error are supported`);
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) assertSerializable(v, `${path}.${k}`, seen);
  }
  seen.delete(value);
}
