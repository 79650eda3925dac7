import { encodeOps } from '../../src/ops';
import { readOpList } from './msgpack-reader';
import { TryJoiner } from '../../src/try-joiner';
import type { StateOp } from '@partita/state';

const active = (id: string, attempt = 1): StateOp => ({
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
});
const completed = (id: string, attempt = 1): StateOp => ({ kind: 'completed', queue: 'q', id, attempt, at: 200, returnvalue: 'ok', workerId: 'w' });
/** The op list as the apply script reads it. */
const list = (...args: Parameters<typeof encodeOps>) => readOpList(encodeOps(...args)) as string[][];
/** The ops a store buffers when they are recorded in this order (completions joined to their starts). */
const recorded = (ops: StateOp[]) => {
  const joiner = new TryJoiner();
  return ops.filter((op) => !joiner.offer(op));
};
const codes = (ops: string[][]) => ops.map((op) => `${op[0]}:${op[1]}`);

describe('encodeOps', () => {
  test('an active followed by its completed (other jobs between) becomes one AC op in the active one\'s place', () => {
    const written = list(recorded([active('a'), active('b'), completed('a'), completed('b')]));
    expect(codes(written)).toEqual(['AC:a', 'AC:b']);
    const [ac] = written;
    // the try's numbers packed in run: processedOn, attemptsStarted, partition, offset, timestamp, finishedOn, attemptsMade
    // who: worker id, name, key
    expect(ac).toEqual(['AC', 'a', '1', '200', '[100,1,1,7,50,200,1]', '["w","job","k"]', '', '{"json":"ok"}']);
  });

  test('an active op without its completed packs the start only; a result of undefined is sent as an empty string', () => {
    expect(list([active('a')])).toEqual([['A', 'a', '1', '100', '[100,1,1,7,50]', '["w","job","k"]', '']]);
    const undefinedResult: StateOp = { kind: 'completed', queue: 'q', id: 'a', attempt: 1, at: 200, returnvalue: undefined, workerId: 'w' };
    const [ac] = list(recorded([active('a'), undefinedResult]));
    expect(ac![7]).toBe('');
  });

  test('no merge across another op of the same job, across tries or queues, or once the start was sent', () => {
    const progress: StateOp = { kind: 'progress', queue: 'q', id: 'a', at: 150, progressText: '{"json":5}' };
    expect(codes(list(recorded([active('a'), progress, completed('a')])))).toEqual(['A:a', 'P:a', 'C:a']);
    expect(codes(list(recorded([active('a', 1), completed('a', 2)])))).toEqual(['A:a', 'C:a']);
    expect(codes(list(recorded([completed('a')])))).toEqual(['C:a']);
    expect(codes(list(recorded([active('a'), { ...completed('a'), queue: 'other' } as StateOp])))).toEqual(['A:a', 'C:a']);
    // sealed (encoded) before its completion: the completion is buffered on its own
    const joiner = new TryJoiner();
    const start = active('a');
    expect(joiner.offer(start)).toBe(false);
    joiner.sealed();
    expect(joiner.offer(completed('a'))).toBe(false);
    expect('completedAt' in start && start.completedAt !== undefined).toBe(false);
  });

  test('a start kept back from a seal can still be joined; the others of that seal cannot', () => {
    const joiner = new TryJoiner();
    const [kept, sent] = [active('a'), active('b')];
    joiner.offer(kept);
    joiner.offer(sent);
    expect(joiner.joinable(kept as never)).toBe(true);
    joiner.sealed([kept as never]);
    expect(joiner.joinable(kept as never)).toBe(true);
    expect(joiner.joinable(sent as never)).toBe(false);
    expect(joiner.offer(completed('b'))).toBe(false);
    expect(joiner.offer(completed('a'))).toBe(true);
    expect(list([kept])).toEqual([['AC', 'a', '1', '200', '[100,1,1,7,50,200,1]', '["w","job","k"]', '', '{"json":"ok"}']]);
    // a later op of the job ends the wait: the start is written first, then that op
    const progress: StateOp = { kind: 'progress', queue: 'q', id: 'c', at: 150, progressText: '{"json":5}' };
    const c = active('c');
    joiner.offer(c);
    joiner.sealed([c as never]);
    joiner.offer(progress);
    expect(joiner.joinable(c as never)).toBe(false);
  });

  test('who: names and keys that need escaping, and no key', () => {
    const odd = { ...active('a'), name: 'say "hi"\\', key: 'ключ 🔑', workerId: 'host\n1' } as StateOp;
    const [a] = list([odd]);
    expect(JSON.parse(a![5]!)).toEqual(['host\n1', 'say "hi"\\', 'ключ 🔑']);
    const [b] = list([{ ...active('b'), key: null } as StateOp]);
    expect(JSON.parse(b![5]!)).toEqual(['w', 'job', null]);
  });

  test('data travels with active ops only when asked (inlineData)', () => {
    expect((list([active('a')]))[0]![6]).toBe('');
    expect((list([active('a')], { inlineData: true }))[0]![6]).toBe('{"json":{"id":"a"}}');
    const noData = { ...active('a'), withData: false } as StateOp;
    expect((list([noData], { inlineData: true }))[0]![6]).toBe('');
  });

  test('every op kind has its layout; absent optional fields are empty strings', () => {
    const ops: StateOp[] = [
      { kind: 'waiting', queue: 'q', id: 'w', name: 'n', data: 1, opts: undefined, key: undefined, partition: undefined, offset: undefined, timestamp: 9 },
      { kind: 'log', queue: 'q', id: 'w', line: 'hello' },
      { kind: 'retrying', queue: 'q', id: 'w', attempt: 1, at: 10, failedReason: 'r', stack: 's', delayMs: 500 },
      { kind: 'tryFailed', queue: 'q', id: 'w', attempt: 2, at: 11, failedReason: 'r', stack: '' },
      { kind: 'deadLettered', queue: 'q', id: 'w', attempt: 2, at: 12, failedReason: 'r', stack: 's', deadLetterTopic: null, name: 'n', key: null, partition: 0, offset: 3, enqueuedAt: 9 },
      { kind: 'data', queue: 'q', id: 'w', data: { x: 1 } },
    ];
    expect(list(ops)).toEqual([
      ['W', 'w', '9', 'n', '{"json":1}', '', '', '', ''],
      ['L', 'w', 'hello'],
      ['R', 'w', '1', '10', 'r', 's', '500'],
      ['T', 'w', '2', '11', 'r', ''],
      ['D', 'w', '2', '12', 'r', 's', '', 'n', 'null', '0', '3', '9'],
      ['X', 'w', '{"json":{"x":1}}'],
    ]);
  });
});
