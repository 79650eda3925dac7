import SuperJSON from 'superjson';
import { SerializationError } from '../../src';
import { decodeEnvelope, encodeEnvelope, Envelope, ENVELOPE_VERSION } from '../../src/subpaths/wire';
import { toSuperJsonText } from '../../src/wire-json';

const roundTrip = (value: unknown) => SuperJSON.parse(toSuperJsonText(value));

describe('toSuperJsonText: superjson wire format, decoded by SuperJSON.parse', () => {
  const cases: Array<[string, unknown]> = [
    ['plain JSON', { a: 1, b: ['x', true, null, { c: 2.5 }] }],
    ['a top-level Date', new Date(1234)],
    ['top-level undefined', undefined],
    ['a top-level bigint', 99n],
    ['special numbers', [NaN, Infinity, -Infinity, -0, 0]],
    ['Dates and undefined deep in arrays', { list: [[new Date(1), undefined], { when: new Date(2) }] }],
    [
      'a Map of Sets of BigInts',
      new Map([
        ['a', new Set([1n, 2n])],
        ['b', new Set<bigint>()],
      ]),
    ],
    ['a Map with Date keys and undefined values', new Map([[new Date(3), undefined]])],
    ['a Set of Maps', new Set([new Map([[1, new Date(4)]])])],
    ['RegExp', { re: /x+y/gim }],
    ['empty containers', { o: {}, a: [], m: new Map(), s: new Set() }],
    ['object without prototype', Object.assign(Object.create(null) as object, { n: new Date(5) })],
  ];

  it.each(cases)('round-trips %s', (_what, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  it.each(cases)('decodes %s exactly as superjson does its own output', (_what, value) => {
    expect(roundTrip(value)).toEqual(SuperJSON.parse(SuperJSON.stringify(value)));
  });

  it('keeps an undefined property as an own key, beside Dates (native writer path)', () => {
    const back = roundTrip({ note: undefined, at: new Date(7), nested: { gone: undefined, list: [undefined, 1] } }) as Record<string, unknown>;
    expect(back).toHaveProperty('note', undefined);
    expect(Object.keys(back)).toEqual(expect.arrayContaining(['note', 'at', 'nested']));
    expect(back.at).toEqual(new Date(7));
    expect(Object.prototype.hasOwnProperty.call(back.nested, 'gone')).toBe(true);
    expect((back.nested as { list: unknown[] }).list).toEqual([undefined, 1]);
  });

  it('does not trust a Date whose toJSON was replaced, nor a Date subclass', () => {
    const odd = new Date(8);
    Object.defineProperty(odd, 'toJSON', { value: () => 'not a date' });
    class Day extends Date {}
    expect(roundTrip({ odd, day: new Day(9) })).toEqual({ odd: new Date(8), day: new Date(9) });
  });

  it('writes plain JSON without meta, as superjson does', () => {
    expect(toSuperJsonText({ a: [1, 'b'] })).toBe(SuperJSON.stringify({ a: [1, 'b'] }));
  });

  it('keeps Errors as name and message', () => {
    const back = roundTrip({ e: new TypeError('bad') }) as { e: Error };
    expect(back.e).toBeInstanceOf(Error);
    expect(back.e.message).toBe('bad');
    expect(back.e.name).toBe('TypeError');
  });

  // superjson 1.x loses these (it does not escape a dotted key right above an annotated value).
  it('keeps annotated values under keys that contain dots', () => {
    const value = { 'a.b': new Date(1), a: { b: 'sibling' }, 'x.y.z': { 'p.q': [undefined, 5n] }, m: new Map([['k.1', new Date(2)]]) };
    expect(roundTrip(value)).toEqual(value);
    expect(SuperJSON.parse(SuperJSON.stringify(value))).not.toEqual(value);
  });

  it('refuses what it cannot write faithfully, naming the path', () => {
    expect(() => toSuperJsonText({ when: new Date(NaN) }, 'job X')).toThrow('job X: when is an invalid Date');
    expect(() => toSuperJsonText({ 'dir\\': { at: new Date(0) } })).toThrow(/ending in a backslash/);
    // A backslash key above plain values is fine: no annotation path goes through it.
    expect(roundTrip({ 'dir\\': { at: 'text' } })).toEqual({ 'dir\\': { at: 'text' } });
    expect(() => toSuperJsonText({ list: [{ ok: 1 }, { bad: Symbol('s') }] })).toThrow(/list\[1\]\.bad is a symbol/);
    expect(() => toSuperJsonText(new Map([['k', () => 1]]))).toThrow(/\.get\(k\) is a function/);
    expect(() => toSuperJsonText(() => 1)).toThrow(/the top level is a function/);
    expect(() => toSuperJsonText({ s: new Set([new (class Thing {})()]) })).toThrow(SerializationError);
  });

  it('each call starts clean: after a refused value, a walk abandoned half-way, or from inside a getter', () => {
    expect(() => toSuperJsonText({ a: { b: [1, { c: Symbol('s') }] } })).toThrow(/a\.b\[1\]\.c is a symbol/);
    expect(roundTrip({ at: new Date(3) })).toEqual({ at: new Date(3) });
    expect(roundTrip({ deep: { m: new Map([['k', 1]]) }, at: new Date(4) })).toEqual({ deep: { m: new Map([['k', 1]]) }, at: new Date(4) });
    expect(roundTrip({ when: new Date(5), list: [undefined] })).toEqual({ when: new Date(5), list: [undefined] });
    // a getter that serialises while the outer value is being scanned
    const outer = {
      first: new Date(6),
      get inner() {
        return toSuperJsonText({ nested: new Date(7) });
      },
      last: undefined,
    };
    const back = roundTrip(outer) as { first: Date; inner: string; last: undefined };
    expect(back.first).toEqual(new Date(6));
    expect(SuperJSON.parse(back.inner)).toEqual({ nested: new Date(7) });
    expect('last' in back).toBe(true);
    // an enumerable key added to Object.prototype is not data (JSON.stringify skips it)
    Object.defineProperty(Object.prototype, 'polluted', { value: new Date(8), enumerable: true, configurable: true });
    try {
      expect(JSON.parse(toSuperJsonText({ own: 1, at: new Date(9) }))).toEqual({
        json: { own: 1, at: new Date(9).toISOString() },
        meta: { values: { at: ['Date'] } },
      });
    } finally {
      delete (Object.prototype as { polluted?: unknown }).polluted;
    }
  });

  it('writes an object seen twice (not circular) twice', () => {
    const shared = { n: 1 };
    const back = roundTrip({ x: shared, y: [shared], z: new Date(0) }) as { x: object; y: object[] };
    expect(back.x).toEqual({ n: 1 });
    expect(back.y[0]).toEqual({ n: 1 });
  });
});

describe('encodeEnvelope uses it', () => {
  it('round-trips dotted keys through the envelope', () => {
    const data = { 'user.id': 5n, when: { 'utc.iso': new Date(9) } };
    const envelope: Envelope = { v: ENVELOPE_VERSION, id: 'i', name: 'N', data, enqueuedAt: 1, opts: {} };
    expect(decodeEnvelope(encodeEnvelope(envelope)).data).toEqual(data);
  });

  it('names the job and the path in errors', () => {
    const envelope: Envelope = { v: ENVELOPE_VERSION, id: 'i', name: 'Resize', data: { cb: () => 1 }, enqueuedAt: 1, opts: {} };
    expect(() => encodeEnvelope(envelope)).toThrow('job Resize: data.cb is a function, which cannot be serialised');
  });
});
