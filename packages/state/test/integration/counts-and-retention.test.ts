// Counts after 10,000 jobs with 5% failures, and retention keeping Redis bounded over 50,000 jobs.
import { Redis } from 'ioredis';
import { attachStateRecorder, createStateStore, StateStore } from '@partita/state';
import { parseStreamEntry } from '../../src/read/events-stream';
import { dropPrefix, FakeWorker, keysUnder, REDIS_URL, uniquePrefix } from './helpers';

const redis = new Redis(REDIS_URL);
const stores: StateStore[] = [];
const prefixes: string[] = [];

function storeFor(name: string, options: Parameters<typeof createStateStore>[0] = {}): StateStore {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const store = createStateStore({ redis: REDIS_URL, prefix, logger: false, ...options });
  stores.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** Runs `total` jobs through the recorder: every 20th fails all 3 tries, 1 in 3 of those without a DLQ. */
async function drive(store: StateStore, queue: string, total: number): Promise<{ completed: number; dead: number; failed: number }> {
  const worker = new FakeWorker();
  const recorder = attachStateRecorder(worker, store);
  const expected = { completed: 0, dead: 0, failed: 0 };
  for (let i = 0; i < total; i++) {
    const job = worker.job(queue, `job-${i}`, { key: `k${i % 50}` });
    if (i % 20 === 7) {
      const toDlq = i % 3 !== 0;
      worker.failAll(job, 3, toDlq ? `${queue}.dlq` : null);
      expected[toDlq ? 'dead' : 'failed']++;
    } else {
      worker.complete(job, { i });
      expected.completed++;
    }
    // Let the buffer drain as a real worker's event loop would (jobs take time).
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  expect(await recorder.flush(30_000)).toBe(true);
  recorder.detach();
  return expected;
}

test('counts match what happened after 10,000 jobs with 5% failures', async () => {
  const store = storeFor('counts', { removeOnComplete: false, removeOnFail: false });
  const expected = await drive(store, 'billing', 10_000);
  expect(expected.completed).toBe(9500);
  expect(await store.getJobCounts('billing')).toEqual({ waiting: 0, active: 0, retrying: 0, ...expected });
  expect(store.droppedWrites).toBe(0);
  const failedOne = await store.getJob('billing', 'job-7');
  expect(failedOne).toMatchObject({ attemptsMade: 3, failedReason: 'boom #3' });
  expect(failedOne?.stacktrace).toHaveLength(3);
});

test('with the default retention the counts are bounded: the last 1,000 completed and 5,000 failed/dead', async () => {
  const store = storeFor('default-retention');
  await drive(store, 'billing', 10_000);
  const counts = await store.getJobCounts('billing', 'completed', 'dead', 'failed');
  expect(counts).toEqual({ completed: 1000, dead: 333, failed: 167 });
  // The newest completed jobs are the ones kept.
  expect(await store.getJob('billing', 'job-9999')).toMatchObject({ state: 'completed', returnvalue: { i: 9999 } });
  expect(await store.getJob('billing', 'job-0')).toBeUndefined();
  // Most completed jobs are compact records (see compact-record.ts); retention removes those too.
  const records = await redis.hlen(store.keys('billing').compact);
  expect(records).toBeGreaterThan(900);
  expect(records).toBeLessThanOrEqual(1000);
});

test('retention keeps the number of Redis keys bounded over 50,000 completed jobs', async () => {
  const store = storeFor('bounded', { removeOnComplete: 500 });
  const queue = 'thumbnails';
  const worker = new FakeWorker();
  const recorder = attachStateRecorder(worker, store);
  const prefix = store.prefix;
  let maxKeys = 0;
  for (let i = 0; i < 50_000; i++) {
    const job = worker.job(queue, `t-${i}`);
    worker.emit('active', job);
    worker.emit('log', job, `resizing ${i}`);
    worker.emit('completed', job, i);
    if (i % 5000 === 4999) {
      expect(await recorder.flush(30_000)).toBe(true);
      maxKeys = Math.max(maxKeys, (await keysUnder(redis, prefix)).length);
    }
  }
  // 500 job hashes + their 500 log lists + the set of logged ids + the completed set + the event stream.
  expect(maxKeys).toBeLessThanOrEqual(1003);
  expect(await redis.scard(`${store.keys(queue).base}:logged`)).toBe(500);
  expect(await store.getJobCounts(queue, 'completed')).toEqual({ completed: 500 });
  // eventsMaxLen 10,000: entries hold whole write batches, so count the events in them.
  const entries = await redis.xrange(store.keys(queue).events, '-', '+');
  const events = entries.reduce((sum, [id, fields]) => sum + parseStreamEntry(id, fields).length, 0);
  expect(events).toBeGreaterThan(0);
  expect(events).toBeLessThan(2 * 10_000);
  expect(store.droppedWrites).toBe(0);
});

test('retention keeps jobs an enqueuer recorded bounded too: their hashes and the completion records over them', async () => {
  const store = storeFor('bounded-enqueued', { removeOnComplete: 300 });
  const queue = 'invoices';
  const worker = new FakeWorker();
  const recorder = attachStateRecorder(worker, store);
  const keys = store.keys(queue);
  let maxKeys = 0;
  let maxRecords = 0;
  for (let batch = 0; batch < 10; batch++) {
    const ids = Array.from({ length: 500 }, (_, i) => `inv-${batch * 500 + i}`);
    store.recordWaiting(
      queue,
      ids.map((id) => ({ id, name: 'invoice', data: { id } })),
    );
    expect(await store.flush(30_000)).toBe(true);
    for (const id of ids) worker.complete(worker.job(queue, id, { name: 'invoice' }), undefined);
    expect(await recorder.flush(30_000)).toBe(true);
    maxKeys = Math.max(maxKeys, (await keysUnder(redis, store.prefix)).length);
    maxRecords = Math.max(maxRecords, await redis.hlen(keys.completions));
  }
  expect(await store.getJobCounts(queue, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 300 });
  // the first tries of jobs recorded as waiting became completion records, removed with their hashes
  expect(maxRecords).toBeGreaterThan(0);
  expect(maxRecords).toBeLessThanOrEqual(300);
  // 300 job hashes + the completed set + the completion records + the event stream
  expect(maxKeys).toBeLessThanOrEqual(303);
  expect(await store.getJob(queue, 'inv-4999')).toMatchObject({ state: 'completed', data: { id: 'inv-4999' } });
  expect(await store.getJob(queue, 'inv-0')).toBeUndefined();
  expect(store.droppedWrites).toBe(0);
});

test('removeOnComplete: true and { age } remove jobs as they finish; removed jobs stay readable a moment', async () => {
  const immediate = storeFor('remove-now', { removeOnComplete: true, removedJobTtlMs: 200 });
  const worker = new FakeWorker();
  attachStateRecorder(worker, immediate);
  const gone = worker.job('q', 'gone');
  worker.emit('active', gone);
  worker.emit('log', gone, 'a line');
  worker.emit('completed', gone, 'result');
  await immediate.flush();
  expect(await redis.exists(immediate.keys('q').logs('gone'))).toBe(0);
  expect(await immediate.getJobCounts('q', 'completed')).toEqual({ completed: 0 });
  expect(await immediate.getJob('q', 'gone')).toMatchObject({ state: 'completed', returnvalue: 'result' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await immediate.getJob('q', 'gone')).toBeUndefined();
  expect(await keysUnder(redis, immediate.prefix)).toEqual([immediate.keys('q').events]);

  const aged = storeFor('remove-aged', { removeOnComplete: { age: 0.2, count: 100 } });
  const worker2 = new FakeWorker();
  attachStateRecorder(worker2, aged);
  worker2.complete(worker2.job('q', 'old'), 1);
  await aged.flush();
  await new Promise((resolve) => setTimeout(resolve, 300));
  worker2.complete(worker2.job('q', 'new'), 2); // finishing a job trims the old ones
  await aged.flush();
  expect((await aged.getJobs('q', 'completed')).map((j) => j.id)).toEqual(['new']);
});
