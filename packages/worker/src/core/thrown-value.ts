import { types } from 'node:util';
import { ThrownValueError } from '../errors';

/** Longest `message` kept on a normalised error; a job's own 2 MB message must not travel in full. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;
/** Longest `stack` kept. */
export const MAX_ERROR_STACK_CHARS = 16384;
/** Longest `name` kept (it becomes a header and a log word). */
export const MAX_ERROR_NAME_CHARS = 200;

/**
 * Turns anything a job may throw into an Error whose `name`, `message` and `stack` are strings of
 * bounded length. Never throws, whatever `value` does on access (throwing getters, `toString`,
 * proxies that throw on every trap).
 *
 * A genuine Error keeps its identity (its class, so `instanceof UnrecoverableError` still holds, and
 * its own fields a backoff strategy may read): fields of the wrong type or length are replaced on the
 * error itself. Only a frozen one is copied, with the same prototype and `cause` set to the original.
 * Anything else becomes a {@link ThrownValueError}.
 */
export function toError(value: unknown): Error {
  try {
    if (isGenuineError(value)) return normaliseError(value);
  } catch {
    // Falls through: treated like any other odd value.
  }
  return new ThrownValueError(describeThrown(value), value);
}

/** Cuts `text` to `max` characters, saying how long it was. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `… [truncated, ${text.length} chars in all]`;
  const keep = Math.max(0, max - marker.length);
  // Do not split a surrogate pair: a lone half would turn into U+FFFD on the wire.
  const end = keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1)) ? keep - 1 : keep;
  return text.slice(0, end) + marker;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isGenuineError(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false;
  // isNativeError also covers Errors of another realm (vm contexts); neither check runs user code
  // except a proxy's getPrototypeOf trap, which the caller's try/catch contains.
  return value instanceof Error || types.isNativeError(value);
}

function normaliseError(error: Error): Error {
  const rawName = read(error, 'name');
  const rawMessage = read(error, 'message');
  const rawStack = read(error, 'stack');
  const name = truncateText(
    rawName.ok && typeof rawName.value === 'string' && rawName.value !== '' ? rawName.value : fallbackName(error, rawName),
    MAX_ERROR_NAME_CHARS,
  );
  const message = truncateText(
    rawMessage.ok && typeof rawMessage.value === 'string' ? rawMessage.value : describeField('message', rawMessage),
    MAX_ERROR_MESSAGE_CHARS,
  );
  const stack = truncateText(
    rawStack.ok && typeof rawStack.value === 'string' ? rawStack.value : `${name}: ${message}\n    (${describeField('stack', rawStack)})`,
    MAX_ERROR_STACK_CHARS,
  );
  if (name === rawName.value && message === rawMessage.value && stack === rawStack.value) return error;
  try {
    define(error, 'name', name);
    define(error, 'message', message);
    define(error, 'stack', stack);
    // A setter or proxy may accept the definition and still read back something else.
    if (read(error, 'name').value === name && read(error, 'message').value === message && read(error, 'stack').value === stack) return error;
  } catch {
    // Frozen or non-configurable: copied below.
  }
  return copyOf(error, name, message, stack);
}

/** A stand-in with the original's prototype (so `instanceof` holds) when the original cannot be fixed. */
function copyOf(original: Error, name: string, message: string, stack: string): Error {
  let copy: Error;
  try {
    copy = Object.create(Object.getPrototypeOf(original) as object | null) as Error;
    define(copy, 'name', name);
    define(copy, 'message', message);
    define(copy, 'stack', stack);
    define(copy, 'cause', original);
    if (read(copy, 'name').value === name && read(copy, 'message').value === message && read(copy, 'stack').value === stack) return copy;
  } catch {
    // The prototype's own setters misbehave: use a plain error.
  }
  const plain = new ThrownValueError(message, original);
  define(plain, 'name', name);
  define(plain, 'stack', stack);
  return plain;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

type Read = { ok: true; value: unknown } | { ok: false; value: undefined; error: unknown };

function read(target: object, key: string): Read {
  try {
    return { ok: true, value: (target as Record<string, unknown>)[key] };
  } catch (error) {
    return { ok: false, value: undefined, error };
  }
}

function fallbackName(error: Error, rawName: Read): string {
  if (rawName.ok && rawName.value !== undefined && rawName.value !== '') {
    // A name of another type (e.g. a number) is kept, as text.
    const text = primitiveText(rawName.value);
    if (text !== undefined) return text;
  }
  try {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '') return ctor;
  } catch {
    // A throwing constructor getter: the generic name.
  }
  return 'Error';
}

function describeField(field: string, raw: Read): string {
  if (!raw.ok) return `reading its ${field} threw: ${describeSafely(raw.error, 1)}`;
  if (raw.value === undefined) return '';
  return primitiveText(raw.value) ?? describeObject(raw.value as object, 1);
}

/** The message of a ThrownValueError: what was thrown, in words. */
function describeThrown(value: unknown): string {
  const text = primitiveText(value);
  if (typeof value === 'string') return truncateText(value, MAX_ERROR_MESSAGE_CHARS);
  if (text !== undefined) return `a non-Error value was thrown: ${truncateText(text, MAX_ERROR_MESSAGE_CHARS)}`;
  return truncateText(`a non-Error value was thrown: ${describeObject(value as object, 2)}`, MAX_ERROR_MESSAGE_CHARS);
}

function describeSafely(value: unknown, depth: number): string {
  const text = primitiveText(value);
  if (text !== undefined) return text;
  if (depth > 0) {
    try {
      if (isGenuineError(value)) {
        const message = read(value, 'message');
        return typeof message.value === 'string' ? truncateText(message.value, 500) : 'an Error';
      }
    } catch {
      // A proxy: described as an object below.
    }
  }
  return describeObject(value as object, depth);
}

/** Text of a primitive, or undefined for an object or function. Never calls user code. */
function primitiveText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    default:
      return value === null ? 'null' : undefined;
  }
}

/**
 * An object in words without running its code where that can be avoided: JSON of its data when that
 * works (a getter or `toJSON` may throw: caught), else its kind.
 */
function describeObject(value: object, depth: number): string {
  if (typeof value === 'function') return '[function]';
  let json: string | undefined;
  try {
    json = depth > 0 ? JSON.stringify(value, limitedReplacer()) : undefined;
  } catch {
    json = undefined;
  }
  if (typeof json === 'string' && json !== '{}') return truncateText(json, MAX_ERROR_MESSAGE_CHARS);
  let kind = 'object';
  try {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === null) kind = 'object with a null prototype';
    else {
      const ctor = (proto as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Object') kind = `${ctor} object`;
    }
  } catch {
    kind = 'unreadable object';
  }
  return json === '{}' ? `[${kind}] {}` : `[${kind}]`;
}

/** A JSON.stringify replacer that stops once enough text was produced, so a huge object is not walked in full. */
function limitedReplacer(): (key: string, value: unknown) => unknown {
  let budget = MAX_ERROR_MESSAGE_CHARS;
  return (_key, value) => {
    budget -= typeof value === 'string' ? value.length + 4 : 8;
    if (budget < 0) return undefined;
    return typeof value === 'bigint' ? String(value) : value;
  };
}
