import type { WaitingJob } from '@partita/state';
import { addJobsWithState } from '../../src/write/enqueue-hook';

/** A store double: ids in `known` are known and unfinished. */
function fakeStore(known: string[] = []) {
  const taken = new Set(known);
  const calls = { reserved: [] as string[][], released: [] as string[][], waiting: [] as WaitingJob[] };
  return {
    calls,
    reserveJobIds: (_queue: string, ids: string[]) => {
      calls.reserved.push(ids);
      return Promise.resolve(ids.map((id) => (taken.has(id) ? false : (taken.add(id), true))));
    },
    releaseJobIds: (_queue: string, ids: string[]) => {
      calls.released.push(ids);
      ids.forEach((id) => taken.delete(id));
      return Promise.resolve(ids.length);
    },
    recordWaiting: (_queue: string, jobs: WaitingJob[]) => void calls.waiting.push(...jobs),
  };
}

describe('addJobsWithState', () => {
  test('explicit ids are reserved first; known and repeated ids are not produced and return their id', async () => {
    const store = fakeStore(['known']);
    let n = 0;
    const results = await addJobsWithState(
      store,
      'q',
      [
        { name: 'a', data: 1 },
        { name: 'b', data: 2, opts: { jobId: 'known' } },
        { name: 'c', data: 3, opts: { jobId: 'x', key: 'k' } },
        { name: 'd', data: 4, opts: { jobId: 'x' } },
      ],
      (jobs) => Promise.resolve(jobs.map((job) => ({ id: job.opts?.jobId ?? `gen-${n++}`, partition: 1, offset: 10 + n }))),
    );
    expect(store.calls.reserved).toEqual([['known', 'x', 'x']]);
    expect(results.map((r) => r.id)).toEqual(['gen-0', 'known', 'x', 'x']);
    expect(results[1]).toEqual({ id: 'known' });
    expect(store.calls.waiting.map((j) => [j.id, j.name, j.key, j.partition])).toEqual([
      ['gen-0', 'a', undefined, 1],
      ['x', 'c', 'k', 1],
    ]);
  });

  test('without explicit ids nothing is reserved', async () => {
    const store = fakeStore();
    await addJobsWithState(store, 'q', [{ name: 'a', data: 1 }], () => Promise.resolve([{ id: 'g' }]));
    expect(store.calls.reserved).toEqual([]);
    expect(store.calls.waiting.map((j) => j.id)).toEqual(['g']);
  });

  test('a failed produce releases the reservations and records nothing', async () => {
    const store = fakeStore();
    await expect(addJobsWithState(store, 'q', [{ name: 'a', data: 1, opts: { jobId: 'y' } }], () => Promise.reject(new Error('broker down')))).rejects.toThrow(
      'broker down',
    );
    expect(store.calls.released).toEqual([['y']]);
    expect(store.calls.waiting).toEqual([]);
  });

  test('all duplicates: produce is not called', async () => {
    const store = fakeStore(['z']);
    const produce = jest.fn();
    expect(await addJobsWithState(store, 'q', [{ name: 'a', data: 1, opts: { jobId: 'z' } }], produce)).toEqual([{ id: 'z' }]);
    expect(produce).not.toHaveBeenCalled();
  });
});

describe('addJobsWithState while Redis does not answer', () => {
  test('a jobId add rejects with a StateUnavailableError that names the id, says nothing was produced and the way out', async () => {
    const { StateUnavailableError } = await import('@partita/state');
    const produce = jest.fn(() => Promise.resolve([{ id: 'never' }]));
    const store = {
      reserveJobIds: () =>
        Promise.reject(new StateUnavailableError('Redis state store unavailable: the connection to Redis is lost (reconnecting), reconnecting')),
      releaseJobIds: () => Promise.resolve(0),
      recordWaiting: jest.fn(),
    };
    const add = addJobsWithState(
      store,
      'orders',
      [
        { name: 'a', data: 1, opts: { jobId: 'order-7\n' } },
        { name: 'b', data: 2 },
      ],
      produce,
    );
    await expect(add).rejects.toThrow(StateUnavailableError);
    await expect(add).rejects.toThrow(
      /^cannot add job id "order-7\\n" to orders: a jobId is checked for duplicates in Redis, which does not answer \(Redis state store unavailable: .*\)\. Nothing was produced: add it again once Redis is back, or without a jobId \(no de-duplication\)\.$/,
    );
    expect(produce).not.toHaveBeenCalled();
    expect(store.recordWaiting).not.toHaveBeenCalled();
  });
});
