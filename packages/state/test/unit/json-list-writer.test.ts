import { JsonListWriter } from '../../src/json-list-writer';

const write = (fill: (w: JsonListWriter) => void, capacity?: number) => {
  const w = new JsonListWriter(capacity).open();
  fill(w);
  return w.close().bytes().toString('utf8');
};

describe('JsonListWriter', () => {
  const tricky = ['', 'plain', 'quote " and backslash \\', 'tab\tnew\nline\u0000\u001f', 'ünïcödé', 'emoji 🎉 end', 'lone \ud800 surrogate', '\u007f del'];

  test('strings come out as JSON.stringify writes them, whatever they hold', () => {
    const text = write((w) => tricky.forEach((t) => w.open().str(t).close()));
    expect(JSON.parse(text)).toEqual(tricky.map((t) => [JSON.parse(JSON.stringify(t))]));
  });

  test('numbers as their decimal text; non-integers and negatives as String(n) writes them', () => {
    const numbers = [0, 7, 10, 99, 100, 2 ** 30 - 1, 2 ** 30, 2 ** 31, Date.now(), Number.MAX_SAFE_INTEGER, -5, 1.5, NaN];
    const text = write((w) => numbers.forEach((n) => w.num(n)));
    expect(JSON.parse(text)).toEqual(numbers.map(String));
  });

  test('numberList: a JSON array of numbers inside a string', () => {
    const text = write((w) => w.numberList(1, 0, 12, 3_000_000_000, Date.UTC(2026, 0, 1)).numberList(1, 2, 3, 4, 5, 6, 7));
    const [five, seven] = (JSON.parse(text) as string[]).map((s) => JSON.parse(s) as number[]);
    expect(five).toEqual([1, 0, 12, 3_000_000_000, Date.UTC(2026, 0, 1)]);
    expect(seven).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('stringList: JSON of an array of strings inside a string, plain or needing escapes', () => {
    const lists: Array<[string, string, string | null]> = [
      ['host:1', 'job', 'key-1'],
      ['host:1', 'job', null],
      ['a "quoted" name', 'back\\slash', 'ключ'],
    ];
    const text = write((w) => lists.forEach(([a, b, c]) => w.stringList(a, b, c)));
    expect((JSON.parse(text) as string[]).map((s) => JSON.parse(s) as unknown)).toEqual(lists);
  });

  test('grows past its first capacity without losing what it wrote', () => {
    const long = 'x'.repeat(5000);
    const text = write((w) => {
      for (let i = 0; i < 50; i++) w.open().str(long).num(i).close();
    }, 16);
    const parsed = JSON.parse(text) as string[][];
    expect(parsed).toHaveLength(50);
    expect(parsed[49]).toEqual([long, '49']);
  });
});
