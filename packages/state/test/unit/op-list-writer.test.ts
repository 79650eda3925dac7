import { OpListWriter } from '../../src/redis/op-list-writer';
import { readOpList } from './msgpack-reader';

const write = (fill: (w: OpListWriter) => void, capacity?: number) => {
  const w = new OpListWriter(capacity).open();
  fill(w);
  return readOpList(w.close().bytes());
};

describe('OpListWriter (MessagePack)', () => {
  const tricky = [
    '',
    'plain',
    `${'a'.repeat(62)}é`,
    'b'.repeat(63),
    'c'.repeat(64),
    `${'d'.repeat(40)}\u0001`,
    'quote " and backslash \\',
    'tab\tnew\nline\u0000\u001f',
    'ünïcödé',
    'emoji 🎉 end',
    '\u007f del',
    'x'.repeat(31),
    'y'.repeat(32),
  ];

  test('strings come back as they were, whatever they hold', () => {
    expect(write((w) => tricky.forEach((t) => w.open().str(t).close()))).toEqual(tricky.map((t) => [t]));
  });

  test('a lone surrogate comes back as U+FFFD, as Buffer writes it', () => {
    expect(write((w) => w.str('lone \ud800 surrogate'))).toEqual(['lone \ufffd surrogate']);
  });

  test('string lengths on every header size: fixstr, str 8, str 16, str 32', () => {
    const lengths = [0, 31, 32, 255, 256, 65_535, 65_536, 100_000];
    const texts = lengths.map((n) => 'a'.repeat(n));
    expect(write((w) => texts.forEach((t) => w.str(t)))).toEqual(texts);
    const wide = lengths.map((n) => 'é'.repeat(Math.ceil(n / 2)));
    expect(write((w) => wide.forEach((t) => w.str(t)))).toEqual(wide);
  });

  test('numbers as their decimal text; non-integers and negatives as String(n) writes them', () => {
    const numbers = [
      0,
      7,
      10,
      99,
      100,
      101,
      1000,
      2 ** 30 - 1,
      2 ** 30,
      2 ** 31,
      99_999_999,
      1e8,
      1e8 + 1,
      123_456_789,
      1e15,
      Date.now(),
      Number.MAX_SAFE_INTEGER,
      -5,
      1.5,
      NaN,
    ];
    expect(write((w) => numbers.forEach((n) => w.num(n)))).toEqual(numbers.map(String));
  });

  test('epoch-ms timestamps of many seconds, interleaved, as their decimal text (the writer keeps two seconds)', () => {
    const base = Date.UTC(2026, 10, 24, 1, 2, 3);
    const numbers = [base, base + 1, base - 1500, base + 999, base + 1000, base - 1500, base + 2000, base, 1e12, 1e13 - 1, 1e13, 999_999_999_999, base + 7];
    expect(write((w) => numbers.forEach((n) => w.num(n)))).toEqual(numbers.map(String));
    const [list] = write((w) => w.numberList(base, 1, 2, 3, base - 86_400_000, base + 5, 1)) as string[];
    expect(JSON.parse(list)).toEqual([base, 1, 2, 3, base - 86_400_000, base + 5, 1]);
  });

  test('numberList: the JSON text of an array of numbers', () => {
    const [five, seven] = write((w) => w.numberList(1, 0, 12, 3_000_000_000, Date.UTC(2026, 0, 1)).numberList(1, 2, 3, 4, 5, 6, 7)) as string[];
    expect(JSON.parse(five)).toEqual([1, 0, 12, 3_000_000_000, Date.UTC(2026, 0, 1)]);
    expect(JSON.parse(seven)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const max = Number.MAX_SAFE_INTEGER;
    const [big] = write((w) => w.numberList(max, max, max, max, max, max, max)) as string[];
    expect(JSON.parse(big)).toEqual(Array(7).fill(max));
  });

  test('stringList: the JSON text of an array of strings, plain or needing escapes', () => {
    const lists: Array<[string, string, string | null]> = [
      ['host:1', 'job', 'key-1'],
      ['host:1', 'job', null],
      ['a "quoted" name', 'back\\slash', 'ключ'],
      ['w'.repeat(40), 'n'.repeat(200), 'k'.repeat(300)],
      ['host:1', 'job', 'key-2'], // the same first two again, after others
      ['host:1', 'job', 'ключ'],
      ['host:1', 'job2', null],
      ['host:2', 'job2', 'k'],
    ];
    const written = write((w) => lists.forEach(([a, b, c]) => w.stringList(a, b, c))) as string[];
    expect(written.map((s) => JSON.parse(s) as unknown)).toEqual(lists);
  });

  test('arrays count their items, nested ones included', () => {
    const ops = Array.from({ length: 70 }, (_, i) => Array.from({ length: i % 20 }, (__, j) => `${i}.${j}`));
    expect(write((w) => ops.forEach((op) => (op.forEach((s) => w.open().str(s).close()), w.open(), op.forEach((s) => w.str(s)), w.close())))).toEqual(
      ops.flatMap((op) => [...op.map((s) => [s]), op]),
    );
  });

  test('a joined string: the values written between openJoined and closeJoined, newline-separated, as one string', () => {
    const base = Date.UTC(2026, 11, 3, 9, 0, 0);
    const texts = ['', 'plain', 'ünïcödé', 'c'.repeat(64), 'x'.repeat(300), 'emoji 🎉'];
    const written = write((w) => {
      w.open()
        .str('before')
        .openJoined()
        .numberList(base, 1, 2, 3, base - 5, base + 1, 1)
        .stringList('host:1', 'job', null);
      for (const t of texts) w.str(t);
      w.num(base + 2)
        .num(42)
        .closeJoined()
        .str('after')
        .close();
      // empty and one-value joined strings, and a joined string after a long one
      w.openJoined().closeJoined().openJoined().str('only').closeJoined().openJoined().str('a'.repeat(70_000)).str('z').closeJoined();
    });
    const expected = [`[${base},1,2,3,${base - 5},${base + 1},1]`, '["host:1","job",null]', ...texts, String(base + 2), '42'].join('\n');
    expect(written).toEqual([['before', expected, 'after'], '', 'only', `${'a'.repeat(70_000)}\nz`]);
  });

  test('a value that needs JSON escapes inside a joined string keeps the string whole', () => {
    const written = write((w) => w.openJoined().stringList('a "quoted" name', 'back\\slash', 'ключ').str('end').closeJoined()) as string[];
    const [list, end] = written[0].split('\n');
    expect(JSON.parse(list)).toEqual(['a "quoted" name', 'back\\slash', 'ключ']);
    expect(end).toBe('end');
  });

  test('completedTry: the same op as writing each value on its own', () => {
    const base = Date.UTC(2026, 11, 3, 10, 0, 0);
    const plain = {
      id: '3f0c9a2e-1b7d-4c55-9e0a-2d8f6b1c7e44',
      attempt: 1,
      at: base,
      partition: 3,
      offset: 123_456,
      enqueuedAt: base - 40,
      workerId: 'host-1:99',
      name: 'bench',
      key: 'key-7',
    };
    const tries = [
      plain,
      { ...plain, key: null },
      { ...plain, attempt: 12, offset: 0, partition: 0 },
      { ...plain, id: 'ü-not-ascii' },
      { ...plain, id: 'x'.repeat(31) },
      { ...plain, id: 'y'.repeat(300) },
      { ...plain, workerId: 'a "quoted" host' },
      { ...plain, key: 'ключ' },
      { ...plain, name: 'back\\slash' },
      { ...plain, attempt: 1.5 },
      { ...plain, offset: -1 },
    ];
    const payloads: Array<[string, string]> = [
      ['', ''],
      ['{"json":{"i":1}}', '{"json":"ok"}'],
      ['{"json":"ünïcödé 🎉"}', 'z'.repeat(70)],
      ['d'.repeat(5000), ''],
    ];
    for (const t of tries) {
      for (const [data, result] of payloads) {
        const done = base + 5;
        const fused = new OpListWriter(16).open().completedTry('AC', t, done, data, result).str('after').close().bytes();
        const parts = new OpListWriter(16).open().open().str('AC').str(t.id).num(t.attempt).num(done).openJoined();
        parts.numberList(t.at, t.attempt, t.partition, t.offset, t.enqueuedAt, done, t.attempt).stringList(t.workerId, t.name, t.key);
        const expected = parts.str(data).str(result).closeJoined().close().str('after').close().bytes();
        expect(readOpList(fused)).toEqual(readOpList(expected));
        // data given as plain JSON text with a wrap: written as superjson's {"json":…} around it
        const json = JSON.stringify({ data, n: 1 });
        const wrapped = new OpListWriter(16).open().completedTry('AC', t, done, json, result, ['{"json":', '}']).close().bytes();
        const asText = new OpListWriter(16).open().completedTry('AC', t, done, `{"json":${json}}`, result).close().bytes();
        expect(readOpList(wrapped)).toEqual(readOpList(asText));
      }
    }
  });

  test('reset: another list from the start, after a finished or an abandoned one', () => {
    const w = new OpListWriter(16);
    w.open().open().str('half').num(1).openJoined().str('j'); // abandoned with two arrays and a joined string open
    expect(readOpList(w.reset().open().open().str('a').close().str('b').close().bytes())).toEqual([['a'], 'b']);
    w.reset().open();
    for (let i = 0; i < 300; i++) w.str('x'.repeat(5000)); // grows past what reset keeps
    expect((readOpList(w.close().bytes()) as string[]).length).toBe(300);
    expect(readOpList(w.reset().open().str('c').close().bytes())).toEqual(['c']);
  });

  test('grows past its first capacity without losing what it wrote', () => {
    const long = 'x'.repeat(5000);
    const parsed = write((w) => {
      for (let i = 0; i < 50; i++) w.open().str(long).num(i).close();
    }, 16) as string[][];
    expect(parsed).toHaveLength(50);
    expect(parsed[49]).toEqual([long, '49']);
  });
});
