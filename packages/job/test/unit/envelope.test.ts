import { PoisonMessageError, SerializationError } from '../../src';
import {
  decodeEnvelope,
  encodeEnvelope,
  Envelope,
  ENVELOPE_VERSION,
  envelopeHeaders,
  JOB_HEADER,
  peekEnvelopeId,
  readJobHeader,
} from '../../src/subpaths/wire';

function envelope(data: unknown, overrides: Partial<Envelope> = {}): Envelope {
  return { v: ENVELOPE_VERSION, id: 'job-1', name: 'SendWelcome', data, enqueuedAt: 1_700_000_000_000, opts: {}, ...overrides };
}

function roundTrip(data: unknown): unknown {
  return decodeEnvelope(encodeEnvelope(envelope(data))).data;
}

describe('envelope codec round trips', () => {
  it('keeps Dates, Maps, Sets, BigInts and undefined, nested', () => {
    const data = {
      at: new Date('2024-02-29T12:34:56.789Z'),
      byUser: new Map<string, Set<bigint>>([
        ['u1', new Set([1n, 2n ** 70n])],
        ['u2', new Set()],
      ]),
      tags: new Set(['a', 'b']),
      huge: -(2n ** 64n),
      missing: undefined,
      nested: { list: [undefined, new Date(0), { deeper: new Map([[new Date(1), undefined]]) }] },
    };
    const back = roundTrip(data) as typeof data;
    expect(back).toEqual(data);
    expect(back.at).toBeInstanceOf(Date);
    expect(back.at.getTime()).toBe(data.at.getTime());
    expect(back.byUser).toBeInstanceOf(Map);
    expect(back.byUser.get('u1')).toEqual(new Set([1n, 2n ** 70n]));
    expect(typeof back.huge).toBe('bigint');
    expect('missing' in back).toBe(true);
    expect(back.missing).toBeUndefined();
    const deeper = (back.nested.list[2] as { deeper: Map<Date, undefined> }).deeper;
    expect([...deeper.keys()][0]).toEqual(new Date(1));
  });

  it('keeps special numbers, RegExp and Error messages', () => {
    const back = roundTrip({ nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0, re: /a+b/gi, err: new Error('boom') }) as Record<string, unknown>;
    expect(back.nan).toBeNaN();
    expect(back.inf).toBe(Infinity);
    expect(back.ninf).toBe(-Infinity);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(back.re).toEqual(/a+b/gi);
    expect(back.err).toBeInstanceOf(Error);
    expect((back.err as Error).message).toBe('boom');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'plain'],
    ['a bigint', 12345678901234567890n],
    ['a Date', new Date(42)],
    ['an empty object', {}],
    ['unicode', { text: 'Grüße, 世界 🎵' }],
  ])('keeps top-level %s', (_what, data) => {
    expect(roundTrip(data)).toEqual(data);
  });

  it('keeps an object shared twice (not circular) and objects without prototype', () => {
    const shared = { n: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const back = roundTrip({ pair: [shared, shared], bare }) as { pair: Array<{ n: number }>; bare: Record<string, unknown> };
    expect(back.pair).toEqual([{ n: 1 }, { n: 1 }]);
    expect(back.bare).toEqual({ a: 1 });
  });

  it('carries id, name, enqueuedAt and options', () => {
    const original = envelope({ x: 1 }, { opts: { attempts: 3, backoff: { type: 'exponential', delay: 100, jitter: 0.5 }, deadLetter: false } });
    expect(decodeEnvelope(encodeEnvelope(original))).toEqual(original);
  });

  it('decodes from a string as well as a Buffer', () => {
    const encoded = encodeEnvelope(envelope([1, 2]));
    expect(decodeEnvelope(encoded.toString('utf8')).data).toEqual([1, 2]);
  });
});

describe('envelope codec rejects what it cannot carry faithfully', () => {
  class Money {
    constructor(readonly cents: number) {}
  }

  it.each([
    ['a function', { cb: () => 1 }, 'data.cb is a function'],
    ['a function in an array', { list: [1, () => 2] }, 'data.list[1] is a function'],
    ['a symbol', { s: Symbol('x') }, 'data.s is a symbol'],
    ['a class instance', { price: new Money(5) }, 'data.price is a Money instance'],
    ['a class instance inside a Map', { m: new Map([['k', new Money(1)]]) }, 'data.m.get(k) is a Money instance'],
    ['a class instance inside a Set', { s: new Set([new Money(1)]) }, 'data.s<item> is a Money instance'],
    ['a Buffer', { raw: Buffer.from('x') }, 'data.raw is a Buffer instance'],
  ])('%s → SerializationError naming the path', (_what, data, path) => {
    expect(() => encodeEnvelope(envelope(data))).toThrow(SerializationError);
    expect(() => encodeEnvelope(envelope(data))).toThrow(path);
  });

  it('rejects circular references', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = { back: a };
    expect(() => encodeEnvelope(envelope(a))).toThrow(/circular reference/);
    const list: unknown[] = [];
    list.push(list);
    expect(() => encodeEnvelope(envelope(list))).toThrow(SerializationError);
    const map = new Map<string, unknown>();
    map.set('me', map);
    expect(() => encodeEnvelope(envelope(map))).toThrow(SerializationError);
  });
});

describe('decodeEnvelope: poison messages', () => {
  it.each([
    ['no value', null, 'undecodable'],
    ['an empty value', Buffer.alloc(0), 'undecodable'],
    ['not JSON', Buffer.from('not json {'), 'undecodable'],
    ['a JSON scalar', Buffer.from('42'), 'undecodable'],
    ['another version', Buffer.from(JSON.stringify({ json: { v: 2, id: 'a', name: 'b', enqueuedAt: 1 } })), 'unknown-version'],
    ['no version', Buffer.from(JSON.stringify({ json: { id: 'a', name: 'b', enqueuedAt: 1 } })), 'unknown-version'],
    ['no id', Buffer.from(JSON.stringify({ json: { v: 1, name: 'b', enqueuedAt: 1 } })), 'undecodable'],
  ])('%s → PoisonMessageError(%s)', (_what, value, reason) => {
    let error: unknown;
    try {
      decodeEnvelope(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as PoisonMessageError).reason).toBe(reason);
  });
});

describe('envelopeHeaders', () => {
  it('names the format version, the job and its id in one header', () => {
    const headers = envelopeHeaders(envelope(null));
    expect(headers).toEqual({ [JOB_HEADER]: '[1,"SendWelcome","job-1"]' });
    expect(readJobHeader(headers)).toEqual({ v: 1, name: 'SendWelcome', id: 'job-1' });
  });

  it('keeps names and ids with any characters readable', () => {
    const tricky = { v: 1 as const, name: 'send "welcome", [now]', id: 'a,b]\\c' };
    expect(readJobHeader(envelopeHeaders(tricky))).toEqual(tricky);
  });

  it.each([
    ['missing', {}],
    ['not JSON', { [JOB_HEADER]: 'SendWelcome' }],
    ['not an array', { [JOB_HEADER]: '{"v":1}' }],
    ['too short', { [JOB_HEADER]: '[1,"SendWelcome"]' }],
    ['wrong types', { [JOB_HEADER]: '["1","SendWelcome","job-1"]' }],
  ])('reads a %s header as undefined', (_what, headers) => {
    expect(readJobHeader(headers)).toBeUndefined();
  });
});

describe('peekEnvelopeId', () => {
  const encoded = (id: string, data: unknown = { when: new Date(0) }) => encodeEnvelope(envelope(data, { id }));

  it.each(['3f0c-42', 'with "quotes" and \\ backslashes', 'ünïcødé ✓', ''])('reads the id %j from an encoded envelope', (id) => {
    expect(peekEnvelopeId(encoded(id))).toBe(id);
  });

  it('reads the id of an envelope whose data needs the copying walk (a Map)', () => {
    expect(peekEnvelopeId(encoded('map-job', new Map([['a', 1n]])))).toBe('map-job');
  });

  it.each([
    ['no value', null],
    ['an empty value', Buffer.alloc(0)],
    ['plain text', Buffer.from('hello')],
    ['other JSON with an id', Buffer.from('{"id":"not-an-envelope"}')],
    ['a truncated envelope', Buffer.from('{"json":{"v":1,"id":"abc')],
  ])('is undefined for %s', (_, value) => {
    expect(peekEnvelopeId(value)).toBeUndefined();
  });
});

/** The reason and message of the PoisonMessageError decoding `value` throws. */
function poisonOf(value: Buffer | string): { reason: string; message: string } {
  try {
    decodeEnvelope(value);
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonMessageError);
    return { reason: (error as PoisonMessageError).reason, message: (error as Error).message };
  }
  throw new Error(`decoded without error: ${String(value)}`);
}

/** An envelope's text as the enqueuer writes it, with `opts` forged; `withMeta` takes superjson's path. */
function forged(opts: unknown, withMeta = false): string {
  const json = { v: 1, id: 'j1', name: 'SendWelcome', data: { at: withMeta ? '1970-01-01T00:00:00.000Z' : 0 }, enqueuedAt: 1, opts };
  return JSON.stringify(withMeta ? { json, meta: { values: { 'data.at': ['Date'] } } } : { json });
}

describe('decodeEnvelope checks what a message says like API input', () => {
  it.each([false, true])('accepts the options the API accepts (superjson path: %s), unknown keys ignored', (withMeta) => {
    const opts = { attempts: 1000, backoff: { type: 'exponential', delay: 10, jitter: 0.5 }, deadLetter: 'other.dlq', fromANewerVersion: 1 };
    expect(decodeEnvelope(forged(opts, withMeta)).opts).toEqual(opts);
    expect(decodeEnvelope(forged({ deadLetter: false, backoff: 0 }, withMeta)).opts).toEqual({ deadLetter: false, backoff: 0 });
  });

  it('fills in a missing opts', () => {
    expect(decodeEnvelope(JSON.stringify({ json: { v: 1, id: 'j', name: 'N', enqueuedAt: 1 } })).opts).toEqual({});
  });

  it.each([
    [{ attempts: 'abc' }, 'opts.attempts'],
    [{ attempts: 1e9 }, 'opts.attempts'],
    [{ attempts: -1 }, 'opts.attempts'],
    [{ backoff: 'x' }, 'opts.backoff'],
    [{ backoff: 3e9 }, 'opts.backoff'],
    [{ backoff: { type: 'fixed', delay: 3e9 } }, 'opts.backoff.delay'],
    [{ deadLetter: 7 }, 'opts.deadLetter'],
    [{ deadLetter: '__consumer_offsets' }, 'opts.deadLetter'],
    [{ deadLetter: 'a b' }, 'opts.deadLetter'],
    ['fast', 'opts must be an object'],
    [[1], 'opts must be an object'],
    [null, 'opts must be an object'],
  ])('opts %j → poison (invalid-options) naming %s, on both paths', (opts, field) => {
    for (const withMeta of [false, true]) {
      const { reason, message } = poisonOf(forged(opts, withMeta));
      expect(reason).toBe('invalid-options');
      expect(message).toContain(field);
    }
  });

  it.each([
    ['an empty id', { v: 1, id: '', name: 'N', enqueuedAt: 1 }, /envelope id must be a non-empty string, got ""/],
    ['a numeric id', { v: 1, id: 7, name: 'N', enqueuedAt: 1 }, /envelope id .* got 7/],
    ['no name', { v: 1, id: 'j', enqueuedAt: 1 }, /envelope name .* got undefined/],
    ['an empty name', { v: 1, id: 'j', name: '', enqueuedAt: 1 }, /envelope name/],
    ['a string enqueuedAt', { v: 1, id: 'j', name: 'N', enqueuedAt: 'now' }, /envelope enqueuedAt must be a number \(epoch ms\), got "now"/],
    ['an array', [1, 2], /not an object/],
  ])('%s → poison (undecodable) naming the field', (_what, json, message) => {
    const { reason, message: text } = poisonOf(JSON.stringify({ json }));
    expect(reason).toBe('undecodable');
    expect(text).toMatch(message);
  });

  it('quotes a forged value cut short, without raw newlines', () => {
    const { message } = poisonOf(forged({ attempts: `x\n[partita] forged log line ${'y'.repeat(500)}` }));
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
  });
});

describe("an own '__proto__' key: the same verdict on JSON.parse's path and superjson's", () => {
  const job = { v: 1, id: 'j1', name: 'SendWelcome', enqueuedAt: 1, opts: {} };
  /** superjson's path (a `meta`) makes an own `__proto__` the prototype: these would read as valid jobs there. */
  const cases: Array<[string, Record<string, unknown>]> = [
    ['the whole envelope under __proto__', { __proto__: job, data: null }],
    ['opts under __proto__', { ...job, data: null, opts: { __proto__: { deadLetter: 'victim', attempts: 1 } } }],
    ['data with a __proto__ key', { ...job, data: { user: { __proto__: { isAdmin: true } } } }],
    ['a __proto__ key in an array item', { ...job, data: [{ a: 1 }, { __proto__: { x: 1 } }] }],
  ];

  // Written as text: an object literal's `__proto__:` sets the prototype instead of a key.
  const text = (json: Record<string, unknown>, withMeta: boolean) =>
    JSON.stringify({ json: withProtoKeys(json), ...(withMeta ? { meta: { values: { enqueuedAt: ['number'] } } } : {}) }).replace(/"\$proto\$"/g, '"__proto__"');

  it.each(cases)('%s → undecodable on both paths', (_what, json) => {
    for (const withMeta of [false, true]) {
      const { reason, message } = poisonOf(text(json, withMeta));
      expect(reason).toBe('undecodable');
      expect(message).toMatch(/'__proto__' key/);
    }
  });

  it('sees a __proto__ key spelled with JSON escapes', () => {
    const escaped = JSON.stringify({ json: { ...job, data: { '\u0001': 1 } }, meta: { values: { enqueuedAt: ['number'] } } }).replace(
      '"opts"',
      '"\\u005f_proto__":{"v":1},"opts"',
    );
    expect((JSON.parse(escaped) as { json: unknown }).json).toHaveProperty(['__proto__']);
    expect(poisonOf(escaped).reason).toBe('undecodable');
  });

  it('does not mistake a __proto__ string value, or escapes, for the key', () => {
    const value = JSON.stringify({ json: { ...job, data: { field: '__proto__', control: '\u0001' } } });
    expect(decodeEnvelope(value).data).toEqual({ field: '__proto__', control: '\u0001' });
  });

  it('is refused when enqueued (SerializationError naming the path), on the native and the copying walk', () => {
    const parsed = JSON.parse('{"user":{"__proto__":{"isAdmin":true}}}') as unknown;
    expect(() => encodeEnvelope(envelope(parsed))).toThrow(SerializationError);
    expect(() => encodeEnvelope(envelope(parsed))).toThrow(/data\.user\.__proto__ is an own '__proto__' key/);
    const withMap = JSON.parse('{"m":1,"user":{"__proto__":{"isAdmin":true}}}') as Record<string, unknown>;
    withMap.m = new Map([['k', 1n]]);
    expect(() => encodeEnvelope(envelope(withMap))).toThrow(/data\.user\.__proto__ is an own '__proto__' key/);
  });
});

/** Turns `__proto__` members of object literals into own keys (JSON.stringify then writes them). */
function withProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withProtoKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) out.$proto$ = withProtoKeys({ ...proto });
  for (const [k, v] of Object.entries(value)) out[k] = withProtoKeys(v);
  return out;
}
