import SuperJSON from 'superjson';
import { encodeEnvelope, toSuperJsonText } from '@partita/job/wire';
import { decodeDataField, decodeJobHash, decodeValue, encodeKey, storableEnvelope, encodeValue, reasonOf, stackOf, MAX_STACK_CHARS } from '../../src/codec';

describe('encodeValue / decodeValue (superjson text)', () => {
  const values: unknown[] = [
    null,
    undefined,
    0,
    -0,
    42.5,
    NaN,
    Infinity,
    '',
    'text',
    true,
    [],
    {},
    { a: 1, b: 'x', c: [1, 2, { d: null }] },
    new Date(1_700_000_000_000),
    { at: new Date(5), nested: { list: [new Date(6), undefined, 1] }, missing: undefined },
    [undefined, new Date(7)],
    { big: 12n },
    new Map([['k', 1]]),
    new Set([1, 2]),
    { 'dotted.key': new Date(8) },
    Object.assign(Object.create(null) as object, { plain: new Date(9) }),
  ];

  test.each(values.map((v) => [v]))('round-trips %p', (value) => {
    expect(decodeValue(encodeValue(value))).toEqual(value);
    // What superjson itself reads back.
    expect(SuperJSON.parse(encodeValue(value))).toEqual(value);
  });

  test('writes what superjson writes for JSON with Dates and undefined; other values still round-trip', () => {
    for (const value of [{ a: 1 }, [1, 'x'], { at: new Date(5), n: { l: [new Date(6), undefined] } }, new Date(3)]) {
      expect(JSON.parse(encodeValue(value))).toEqual(JSON.parse(SuperJSON.stringify(value)));
    }
    expect(decodeValue(encodeValue({ 'a\\b': new Date(1) }))).toEqual({ 'a\\b': new Date(1) });
    expect(decodeValue(encodeValue(new Map([['k', 1]])))).toEqual(new Map([['k', 1]]));
    // A class instance cannot be written exactly: superjson's best effort, never an exception.
    expect(() =>
      encodeValue(
        new (class Point {
          x = 1;
        })(),
      ),
    ).not.toThrow();
  });

  test('flat plain objects (the fast path) and their near misses encode as the shared superjson writer does', () => {
    const nearMisses: unknown[] = [
      { s: 'x', n: 1.5, b: false, z: null, 'dotted.key': 2, ü: 'é' },
      {},
      { n: -0 },
      { n: NaN },
      { n: Infinity },
      { u: undefined, a: 1 },
      { d: new Date(4) },
      { nested: { a: 1 } },
      { list: [1] },
      { big: 10n },
      { toJSON: () => 'replaced' },
      Object.assign(Object.create(null) as object, { a: 1 }),
      Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
    ];
    for (const value of nearMisses) {
      let expected: string;
      try {
        expected = toSuperJsonText(value);
      } catch {
        continue; // not representable exactly: the fallback's own business (see below)
      }
      expect([value, encodeValue(value)]).toEqual([value, expected]);
    }
    expect(decodeValue(encodeValue({ n: -0, m: NaN }))).toEqual({ n: -0, m: NaN });
    expect(decodeValue(encodeValue({ u: undefined, a: 1 }))).toEqual({ u: undefined, a: 1 });
  });

  test('what cannot be encoded becomes a string saying so, never an exception', () => {
    expect(decodeValue(encodeValue(() => 1))).toBe('[unserializable function]');
    expect(decodeValue(encodeValue(Symbol('s')))).toBe('[unserializable symbol]');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => encodeValue(cyclic)).not.toThrow();
  });

  test('decodeValue of nothing or garbage is undefined', () => {
    expect(decodeValue(undefined)).toBeUndefined();
    expect(decodeValue('')).toBeUndefined();
    expect(decodeValue('not json')).toBeUndefined();
  });
});

describe('decodeJobHash', () => {
  test('a data field holding the envelope (marked E) gives the data, and the options when the hash has none', () => {
    const envelope = encodeEnvelope({ v: 1, id: '7', name: 'welcome', data: { at: new Date(3), n: 1 }, enqueuedAt: 5, opts: { attempts: 4 } });
    const hash = { state: 'completed', data: `E${envelope.toString()}` };
    expect(decodeJobHash('emails', '7', hash)).toMatchObject({ name: 'welcome', data: { at: new Date(3), n: 1 }, opts: { attempts: 4 } });
    expect(decodeJobHash('emails', '7', { ...hash, name: 'mine', opts: encodeValue({ attempts: 1 }) })).toMatchObject({ name: 'mine', opts: { attempts: 1 } });
    // an envelope that does not decode is no data (a read never throws)
    expect(decodeJobHash('emails', '7', { state: 'completed', data: 'E{"json":' })).toMatchObject({ data: undefined, opts: {} });
    expect(decodeDataField(encodeValue({ e: 1 }))).toEqual({ data: { e: 1 } });
  });

  test('envelope bytes are stored as they are only without a newline', () => {
    expect(storableEnvelope(Buffer.from('{"json":{}}'))?.toString()).toBe('{"json":{}}');
    expect(storableEnvelope(Buffer.from('{"json":\n{}}'))).toBeUndefined();
    expect(storableEnvelope(Buffer.alloc(0))).toBeUndefined();
    expect(storableEnvelope(undefined)).toBeUndefined();
  });

  test('decodes every field', () => {
    const record = decodeJobHash(
      'emails',
      '7',
      {
        state: 'dead',
        name: 'welcome',
        data: encodeValue({ userId: 1, at: new Date(1) }),
        opts: encodeValue({ attempts: 3 }),
        key: encodeKey('user-1'),
        partition: '2',
        offset: '99',
        timestamp: '1000',
        processedOn: '1100',
        finishedOn: '1200',
        attemptsStarted: '3',
        attemptsMade: '3',
        progress: encodeValue({ pct: 50 }),
        returnvalue: encodeValue(undefined),
        failedReason: 'boom',
        stacktrace: JSON.stringify(['Error: boom\n    at x']),
        workerId: 'host:1',
        deadLetterTopic: 'emails.dlq',
      },
      ['line 1'],
    );
    expect(record).toEqual({
      id: '7',
      queue: 'emails',
      name: 'welcome',
      state: 'dead',
      data: { userId: 1, at: new Date(1) },
      opts: { attempts: 3 },
      key: 'user-1',
      partition: 2,
      offset: 99,
      timestamp: 1000,
      processedOn: 1100,
      finishedOn: 1200,
      attemptsStarted: 3,
      attemptsMade: 3,
      progress: { pct: 50 },
      returnvalue: undefined,
      failedReason: 'boom',
      stacktrace: ['Error: boom\n    at x'],
      logs: ['line 1'],
      workerId: 'host:1',
      deadLetterTopic: 'emails.dlq',
    });
  });

  test('a sparse hash (a job only reserved) has defaults; no or a bad state is no job', () => {
    expect(decodeJobHash('q', '1', { state: 'waiting', seq: '0', timestamp: '5', reservedAt: '5' })).toMatchObject({
      name: 'unknown',
      state: 'waiting',
      data: undefined,
      opts: {},
      key: null,
      partition: undefined,
      attemptsMade: 0,
      progress: 0,
      stacktrace: [],
      logs: [],
    });
    expect(decodeJobHash('q', '1', {})).toBeUndefined();
    expect(decodeJobHash('q', '1', { state: 'paused' })).toBeUndefined();
    // cjson writes an empty Lua table as {}
    expect(decodeJobHash('q', '1', { state: 'failed', stacktrace: '{}' })?.stacktrace).toEqual([]);
  });
});

describe('failure fields', () => {
  test('reasonOf: the message, else the name, else the string', () => {
    expect(reasonOf(new TypeError('bad'))).toBe('bad');
    expect(reasonOf(new TypeError(''))).toBe('TypeError');
    expect(reasonOf('plain')).toBe('plain');
  });

  test('stackOf cuts long stacks', () => {
    const error = new Error('x');
    error.stack = `Error: x\n${'    at frame\n'.repeat(1000)}`;
    expect(stackOf(error).length).toBeLessThanOrEqual(MAX_STACK_CHARS + 10);
    const bare = new Error('y');
    bare.stack = undefined;
    expect(stackOf(bare)).toBe('Error: y');
  });
});
