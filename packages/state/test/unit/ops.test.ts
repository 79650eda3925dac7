import { EventEmitter } from 'node:events';
import { ActiveOp, encodeOp, encodeOps, StateOp } from '../../src/write/ops';
import { attachStateRecorder, RecordedJob, StateSink } from '../../src/write/recorder';
import { endJoin, joinStart } from '../../src/write/try-join';
import { readOpList } from './msgpack-reader';
import { WRITER_CAPACITY } from '../../src/redis/op-list-writer';

const active = (id: string, attempt = 1): ActiveOp => ({
  kind: 'active',
  queue: 'q',
  id,
  attempt,
  at: 100,
  workerId: 'w',
  name: 'job',
  data: { id },
  withData: true,
  key: 'k',
  partition: 1,
  offset: 7,
  enqueuedAt: 50,
  joinable: true,
});
/** The op list as the apply script reads it. */
const list = (...args: Parameters<typeof encodeOps>) => readOpList(encodeOps(...args)) as string[][];
/** `code:id` per op; per entry for the B and BW ops (3 values each). */
const codes = (ops: string[][]) =>
  ops.flatMap((op) => {
    const size = op[0] === 'B' || op[0] === 'BW' ? 3 : 0;
    if (size === 0) return [`${op[0]}:${op[1]}`];
    return op
      .slice(1)
      .filter((_, i) => i % size === 0)
      .map((id) => `${op[0]}:${id}`);
  });

/** A try as the worker describes it: one object for all events of the try. */
const tryOf = (id: string, attempt = 1): RecordedJob => ({
  id,
  name: 'job',
  data: { id },
  queue: 'q',
  partition: 1,
  offset: 7,
  key: 'k',
  attempt,
  enqueuedAt: 50,
});

/** The op codes a recorder writes for worker events; `sink` changes how the sink behaves. */
function recorded(drive: (worker: EventEmitter) => void, sink: Partial<StateSink> & { sealAtOnce?: boolean } = {}): string[] {
  const worker = new EventEmitter();
  const ops: StateOp[] = [];
  const record = (op: StateOp) => {
    ops.push(op);
    // a store that encodes every op as soon as it is recorded: nothing can join it afterwards
    if (sink.sealAtOnce && op.kind === 'active') endJoin(op);
  };
  attachStateRecorder(worker, { joinsTries: true, flush: () => Promise.resolve(true), ...sink, record }, { workerId: 'w' });
  drive(worker);
  return codes(list(ops));
}

describe('encodeOps', () => {
  test('each call returns bytes of its own: a later call does not change an earlier list', () => {
    const first = encodeOps([active('a')], { inlineData: true });
    const before = Buffer.from(first);
    const second = encodeOps([active('b'), active('c')], { inlineData: true });
    expect(first.equals(before)).toBe(true);
    expect(codes(readOpList(first) as string[][])).toEqual(['A:a']);
    expect(codes(readOpList(second) as string[][])).toEqual(['A:b', 'A:c']);
  });

  test("with nextBuffer the list is returned in the writer's own buffer, which a later call no longer writes to", () => {
    const given: Buffer[] = [];
    const nextBuffer = () => {
      const buffer = Buffer.alloc(WRITER_CAPACITY, 0xee);
      given.push(buffer);
      return buffer;
    };
    const first = encodeOps([active('a'), active('b')], { inlineData: true, nextBuffer });
    const copy = encodeOps([active('a'), active('b')], { inlineData: true });
    expect(first.equals(copy)).toBe(true);
    const before = Buffer.from(first);
    const second = encodeOps([active('c')], { inlineData: true, nextBuffer });
    expect(first.equals(before)).toBe(true);
    // the second list was written into the buffer given after the first
    expect(second.buffer).toBe(given[0].buffer);
    expect(codes(readOpList(second) as string[][])).toEqual(['A:c']);
  });

  test("a start joined by its completion (other jobs between) is one AC op in the start's place, or for a first try an entry of the B or BW op", () => {
    const [a, b, c] = [active('a'), active('b'), active('c', 2)];
    expect(joinStart(a, 200, 'ok')).toBe(true);
    expect(joinStart(b, 200, 'ok')).toBe(true);
    expect(joinStart(c, 200, 'ok')).toBe(true);
    const written = list([a, c, b]);
    expect(codes(written)).toEqual(['AC:c', 'BW:a', 'BW:b']);
    // the try's numbers packed in run: processedOn, attemptsStarted, partition, offset, timestamp, finishedOn, attemptsMade
    // who: worker id, name, key
    expect(written[0]).toEqual(['AC', 'c', '2', '200', '[100,2,1,7,50,200,2]', '["w","job","k"]', '', '{"json":"ok"}']);
    // without inline data (jobs most likely waiting), first tries as id, finishedAt, record entries,
    // the records without data
    expect(written[1]).toEqual([
      'BW',
      'a',
      '200',
      '[100,1,1,7,50,200,1]\n["w","job","k"]\n\n{"json":"ok"}',
      'b',
      '200',
      '[100,1,1,7,50,200,1]\n["w","job","k"]\n\n{"json":"ok"}',
    ]);
    // with the data inline (jobs without records): run, who, data and result joined as one compact
    // record; first tries as id, finishedAt, record entries of one B op at the end
    expect(list([a, b], { inlineData: true })).toEqual([
      [
        'B',
        'a',
        '200',
        '[100,1,1,7,50,200,1]\n["w","job","k"]\n{"json":{"id":"a"}}\n{"json":"ok"}',
        'b',
        '200',
        '[100,1,1,7,50,200,1]\n["w","job","k"]\n{"json":{"id":"b"}}\n{"json":"ok"}',
      ],
    ]);
  });

  test('with the data inline, first tries go last in one B op; other ops and later tries keep their order', () => {
    const [a, b, c, d] = [active('a'), active('b', 2), active('c'), active('d')];
    for (const op of [a, b, d]) joinStart(op, 200, undefined);
    const written = list([a, b, c, { kind: 'log', queue: 'q', id: 'x', line: 'l' }, d], { inlineData: true });
    expect(codes(written)).toEqual(['AC:b', 'A:c', 'L:x', 'B:a', 'B:d']);
    expect(written[0]).toEqual(['AC', 'b', '2', '200', '[100,2,1,7,50,200,2]\n["w","job","k"]\n{"json":{"id":"b"}}\n']);
    expect(written[3].slice(1).filter((_, i) => i % 3 !== 2)).toEqual(['a', '200', 'd', '200']);
    // without inline data later tries are AC ops in place, values apart; first tries a BW op
    expect(codes(list([a, b, c, d]))).toEqual(['AC:b', 'A:c', 'BW:a', 'BW:d']);
  });

  test('a first try finished again in the same list (a redelivered job) keeps its AC op in place: the later write wins', () => {
    const [a, b] = [active('a'), active('b')];
    for (const op of [a, b]) joinStart(op, 200, undefined);
    const dead: StateOp = {
      kind: 'deadLettered',
      queue: 'q',
      id: 'a',
      attempt: 1,
      at: 300,
      failedReason: 'x',
      stack: '',
      deadLetterTopic: 'dlq',
      name: 'job',
      key: 'k',
      partition: 1,
      offset: 7,
      enqueuedAt: 50,
    };
    expect(codes(list([a, b, dead], { inlineData: true }))).toEqual(['AC:a', 'D:a', 'B:b']);
    const again: StateOp = { kind: 'completed', queue: 'q', id: 'b', attempt: 1, at: 300, returnvalue: 2, workerId: 'w' };
    expect(codes(list([a, b, again], { inlineData: true }))).toEqual(['AC:b', 'C:b', 'B:a']);
    expect(codes(list([a, b, { ...again, attempt: 2 }], { inlineData: true }))).toEqual(['C:b', 'B:a', 'B:b']);
    // the same without inline data (BW)
    expect(codes(list([a, b, dead]))).toEqual(['AC:a', 'D:a', 'BW:b']);
  });

  test("the job's envelope bytes, when the worker has them, are the record's data as they came, marked E", () => {
    const envelope = Buffer.from('{"json":{"v":1,"id":"a","name":"job","data":{"x":"é"},"enqueuedAt":50,"opts":{}}}');
    const op: ActiveOp = { ...active('a'), envelope };
    joinStart(op, 200, undefined);
    const [b] = list([op], { inlineData: true });
    expect(b[3].split('\n')[2]).toBe(`E${envelope.toString()}`);
    // apart from the record (data sent for a job the script created), the same field
    expect(encodeOp({ kind: 'data', queue: 'q', id: 'a', data: { x: 'é' }, envelope })).toEqual(['X', 'a', `E${envelope.toString()}`]);
    // bytes with a newline (not partita's encoding) cannot go in a record: the data is encoded
    const pretty: ActiveOp = { ...active('b'), envelope: Buffer.from('{\n"json":{}}') };
    joinStart(pretty, 200, undefined);
    expect(list([pretty], { inlineData: true })[0][3].split('\n')[2]).toBe('{"json":{"id":"b"}}');
    expect(encodeOp({ kind: 'data', queue: 'q', id: 'b', data: { id: 'b' }, envelope: pretty.envelope })).toEqual(['X', 'b', '{"json":{"id":"b"}}']);
    // with recordData off, no data at all
    const off: ActiveOp = { ...active('c'), envelope, withData: false };
    joinStart(off, 200, undefined);
    expect(list([off], { inlineData: true })[0][3].split('\n')[2]).toBe('');
  });

  test('a B entry is the bytes of its AC op less its code and attempt, also for names written apart', () => {
    for (const name of ['job', 'a "quoted" näme']) {
      const op = { ...active('a'), name };
      joinStart(op, 200, { r: 1 });
      const [entryOp] = list([op], { inlineData: true });
      const retry = { ...op, attempt: 2, completedAt: 200 };
      const [acOp] = list([retry], { inlineData: true });
      expect(entryOp[0]).toBe('B');
      expect(entryOp.slice(1)).toEqual(['a', '200', acOp[4].replace(',2,1,7,50,200,2]', ',1,1,7,50,200,1]')]);
    }
  });

  test('an active op without its completed packs the start only; a result of undefined is sent as an empty string', () => {
    expect(list([active('a')])).toEqual([['A', 'a', '1', '100', '[100,1,1,7,50]', '["w","job","k"]', '']]);
    const a = active('a');
    joinStart(a, 200, undefined);
    expect(list([a])[0]).toEqual(['BW', 'a', '200', '[100,1,1,7,50,200,1]\n["w","job","k"]\n\n']);
    expect(list([a], { inlineData: true })[0][3]).toBe('[100,1,1,7,50,200,1]\n["w","job","k"]\n{"json":{"id":"a"}}\n');
  });

  test('a start is joined once, and never after it was encoded', () => {
    const a = active('a');
    endJoin(a);
    expect(joinStart(a, 200, 'ok')).toBe(false);
    expect(a.completedAt).toBeUndefined();
    const b = active('b');
    expect(joinStart(b, 200, 'first')).toBe(true);
    expect(joinStart(b, 300, 'second')).toBe(false);
    expect(b).toMatchObject({ completedAt: 200, result: 'first' });
  });

  test("the recorder joins a try's completion to its start, not across another op of the job, another try, or an encoded start", () => {
    expect(
      recorded((w) => {
        const [a, b] = [tryOf('a'), tryOf('b')];
        w.emit('active', a);
        w.emit('active', b);
        w.emit('completed', a, 1);
        w.emit('completed', b, 2);
      }),
    ).toEqual(['BW:a', 'BW:b']);
    expect(
      recorded((w) => {
        const a = tryOf('a');
        w.emit('active', a);
        w.emit('progress', a, 5);
        w.emit('completed', a, 1);
      }),
    ).toEqual(['A:a', 'P:a', 'C:a']);
    expect(
      recorded((w) => {
        w.emit('active', tryOf('a', 1));
        w.emit('completed', tryOf('a', 2), 1);
      }),
    ).toEqual(['A:a', 'C:a']);
    expect(recorded((w) => w.emit('completed', tryOf('a'), 1))).toEqual(['C:a']);
    const startThenComplete = (w: EventEmitter) => {
      const a = tryOf('a');
      w.emit('active', a);
      w.emit('completed', a, 1);
    };
    expect(recorded(startThenComplete, { sealAtOnce: true })).toEqual(['A:a', 'C:a']);
    // a sink that does not join tries gets every op
    expect(recorded(startThenComplete, { joinsTries: false })).toEqual(['A:a', 'C:a']);
  });

  test('a failed try keeps its start and its retry apart, and the next try joins its own start', () => {
    expect(
      recorded((w) => {
        const first = tryOf('a', 1);
        w.emit('active', first);
        w.emit('failed', first, new Error('boom'), { attempt: 1, willRetry: true, delayMs: 10 });
        const second = tryOf('a', 2);
        w.emit('active', second);
        w.emit('completed', second, 'ok');
      }),
    ).toEqual(['A:a', 'R:a', 'AC:a']);
  });

  test('a frozen JobInfo loses nothing: its start and completion are recorded apart', () => {
    expect(
      recorded((w) => {
        const a = Object.freeze(tryOf('a'));
        w.emit('active', a);
        w.emit('completed', a, 1);
      }),
    ).toEqual(['A:a', 'C:a']);
  });

  test('the recorder keeps its note of the start out of sight of the job: no enumerable key, nothing in its JSON', () => {
    const a = tryOf('a');
    recorded((w) => w.emit('active', a));
    expect(Object.keys(a)).toEqual(Object.keys(tryOf('a')));
    expect(JSON.stringify(a)).toBe(JSON.stringify(tryOf('a')));
  });

  test('who: names and keys that need escaping, and no key', () => {
    const odd = { ...active('a'), name: 'say "hi"\\', key: 'ключ 🔑', workerId: 'host\n1' } as StateOp;
    const [a] = list([odd]);
    expect(JSON.parse(a[5])).toEqual(['host\n1', 'say "hi"\\', 'ключ 🔑']);
    const [b] = list([{ ...active('b'), key: null }]);
    expect(JSON.parse(b[5])).toEqual(['w', 'job', null]);
  });

  test('data travels with active ops only when asked (inlineData)', () => {
    expect(list([active('a')])[0][6]).toBe('');
    expect(list([active('a')], { inlineData: true })[0][6]).toBe('{"json":{"id":"a"}}');
    const noData = { ...active('a'), withData: false } as StateOp;
    expect(list([noData], { inlineData: true })[0][6]).toBe('');
  });

  test('every op kind has its layout; absent optional fields are empty strings', () => {
    const ops: StateOp[] = [
      { kind: 'waiting', queue: 'q', id: 'w', name: 'n', data: 1, opts: undefined, key: undefined, partition: undefined, offset: undefined, timestamp: 9 },
      { kind: 'log', queue: 'q', id: 'w', line: 'hello' },
      { kind: 'retrying', queue: 'q', id: 'w', attempt: 1, at: 10, failedReason: 'r', stack: 's', delayMs: 500 },
      { kind: 'tryFailed', queue: 'q', id: 'w', attempt: 2, at: 11, failedReason: 'r', stack: '' },
      {
        kind: 'deadLettered',
        queue: 'q',
        id: 'w',
        attempt: 2,
        at: 12,
        failedReason: 'r',
        stack: 's',
        deadLetterTopic: null,
        name: 'n',
        key: null,
        partition: 0,
        offset: 3,
        enqueuedAt: 9,
      },
      { kind: 'data', queue: 'q', id: 'w', data: { x: 1 } },
      { kind: 'progress', queue: 'q', id: 'w', at: 13, progressText: '{"json":50}' },
      { kind: 'completed', queue: 'q', id: 'w', attempt: 3, at: 14, returnvalue: undefined, workerId: 'h:1' },
      active('a'),
      { ...active('e', 2), completedAt: 120, result: 'ok' },
      { ...active('b'), completedAt: 120, result: 'ok' },
    ];
    expect(list(ops)).toEqual([
      ['W', 'w', '9', 'n', '{"json":1}', '', '', '', ''],
      ['L', 'w', 'hello'],
      ['R', 'w', '1', '10', 'r', 's', '500'],
      ['T', 'w', '2', '11', 'r', ''],
      ['D', 'w', '2', '12', 'r', 's', '', 'n', 'null', '0', '3', '9'],
      ['X', 'w', '{"json":{"x":1}}'],
      ['P', 'w', '13', '{"json":50}'],
      ['C', 'w', '3', '14', '{"json":null,"meta":{"values":["undefined"]}}', 'h:1'],
      ['A', 'a', '1', '100', '[100,1,1,7,50]', '["w","job","k"]', ''],
      ['AC', 'e', '2', '120', '[100,2,1,7,50,120,2]', '["w","job","k"]', '', '{"json":"ok"}'],
      ['BW', 'b', '120', '[100,1,1,7,50,120,1]\n["w","job","k"]\n\n{"json":"ok"}'],
    ]);
  });
});
