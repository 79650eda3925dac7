// The counts and retention tests with the real parts: jobs enqueued by a Queue with state
// and run by a Worker with state, on the local Kafka. (counts-and-retention.test.ts drives the
// same recorder with hand-made events and checks the edge cases.)
import { Redis } from 'ioredis';
import { BulkJob, Queue } from '@partita/enqueuer';
import { createStateStore, StateStore, StateStoreOptions } from '@partita/state';
import { Worker } from '@partita/worker';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { dropPrefix, keysUnder, REDIS_URL, uniquePrefix } from './helpers';

const admin = new TestAdmin();
const redis = new Redis(REDIS_URL);
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  admin.close();
  redis.disconnect();
});
afterEach(() => jest.restoreAllMocks());

/** A topic, a store under a prefix of its own, and a Queue with that state; removed after the file. */
async function setUp(name: string, state: Omit<StateStoreOptions, 'redis' | 'prefix'> = {}): Promise<{ topic: string; store: StateStore; queue: Queue }> {
  const topic = uniqueName(`partita-${name}`);
  const prefix = uniquePrefix(name);
  await admin.createTopic(topic, 3);
  const store = createStateStore({ redis: REDIS_URL, prefix, logger: false, ...state });
  const queue = new Queue(topic, { connection: { brokers: BROKERS }, state: store });
  cleanups.push(async () => {
    await queue.close();
    await store.close();
    await dropPrefix(redis, prefix);
    await admin.deleteTopic(topic);
    await admin.deleteTopic(`${topic}.dlq`).catch(() => undefined);
  });
  return { topic, store, queue };
}

function startWorker(topic: string, store: StateStore, handler: (data: { i: number }) => unknown): Worker {
  const worker = new Worker(topic, (job) => handler(job.data as { i: number }), {
    connection: { brokers: BROKERS },
    groupId: `${topic}-workers`,
    concurrency: 16,
    state: store,
  });
  cleanups.push(() => worker.close());
  return worker;
}

test('counts match reality after 10,000 jobs with 5% failures, run by a real Worker', async () => {
  const { topic, store, queue } = await setUp('kafka-counts', { removeOnComplete: false, removeOnFail: false });
  // Every 20th job fails both of its tries: 1 in 3 of those has no dead-letter topic (ends failed),
  // the others are written to the DLQ (dead).
  const fails = (i: number) => i % 20 === 7;
  const jobs: Array<BulkJob<{ i: number }>> = Array.from({ length: 10_000 }, (_, i) => ({
    name: 'bill',
    data: { i },
    opts: { key: `customer-${i % 50}`, ...(fails(i) ? { attempts: 2, backoff: 5, ...(i % 3 === 0 ? { deadLetter: false as const } : {}) } : {}) },
  }));
  for (let i = 0; i < jobs.length; i += 2500) await queue.addBulk(jobs.slice(i, i + 2500));

  const dropWarnings: string[] = [];
  jest.spyOn(console, 'warn').mockImplementation((line: string) => dropWarnings.push(line));
  // The dead-letter sink reports a dropped job on stderr (console.error).
  jest.spyOn(console, 'error').mockImplementation((line: string) => dropWarnings.push(line));
  const worker = startWorker(topic, store, ({ i }) => {
    if (fails(i)) throw new Error(`card declined for bill ${i}`);
    return { i };
  });
  // What happened, as the worker saw it.
  const seen = { completed: 0, dead: 0, failed: 0 };
  worker.on('completed', () => seen.completed++);
  worker.on('deadLettered', (_job, info) => seen[info.topic === null ? 'failed' : 'dead']++);
  await worker.run();
  await waitFor(() => seen.completed + seen.dead + seen.failed === 10_000, {
    timeoutMs: 120_000,
    message: () => `10,000 jobs finished: ${JSON.stringify(seen)}`,
  });
  expect(seen).toEqual({ completed: 9500, dead: 333, failed: 167 });
  // The DLQ in Kafka holds the dead ones; the worker warned of each one dropped.
  const dlq = new Queue(`${topic}.dlq`, { connection: { brokers: BROKERS } });
  const dlqEnds = await admin.endOffsets(`${topic}.dlq`, await dlq.partitionCount()).finally(() => dlq.close());
  expect([...dlqEnds.values()].reduce((sum, end) => sum + end, 0)).toBe(333);
  expect(dropWarnings.filter((line) => /failed for good and was dropped \(deadLetter: false\): card declined/.test(line))).toHaveLength(167);

  expect(await store.flush(30_000)).toBe(true);
  expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, retrying: 0, completed: 9500, dead: 333, failed: 167 });
  expect(store.droppedWrites).toBe(0);
  const [failedJob] = await queue.getJobs('failed', 0, 0);
  expect(failedJob).toMatchObject({ state: 'failed', attemptsMade: 2 });
  expect(failedJob.failedReason).toMatch(/^card declined for bill \d+$/);
  expect(failedJob.stacktrace).toHaveLength(2);
});

test('retention keeps the number of Redis keys bounded over 50,000 completed jobs, run by a real Worker', async () => {
  // The default retention: the last 1,000 completed jobs.
  const { topic, store, queue } = await setUp('kafka-bounded');
  const keys = store.keys(topic);
  let completed = 0;
  const worker = startWorker(topic, store, ({ i }) => i);
  worker.on('completed', () => completed++);
  await worker.run();
  let maxKeys = 0;
  let maxRecords = 0;
  for (let round = 1; round <= 10; round++) {
    const jobs = Array.from({ length: 5000 }, (_, k) => ({ name: 'thumbnail', data: { i: round * 5000 + k } }));
    await queue.addBulk(jobs);
    await waitFor(() => completed === round * 5000, { timeoutMs: 60_000, message: () => `round ${round}: ${completed} completed` });
    expect(await store.flush(30_000)).toBe(true);
    maxKeys = Math.max(maxKeys, (await keysUnder(redis, store.prefix)).length);
    maxRecords = Math.max(maxRecords, (await redis.hlen(keys.compact)) + (await redis.hlen(keys.completions)));
  }
  expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: 1000 });
  // At most 1,000 jobs are kept, as job hashes or as records of a queue hash, plus the queue's
  // own keys (the completed set, the two record hashes, the event stream).
  expect(maxRecords).toBeLessThanOrEqual(1000);
  expect(maxKeys).toBeLessThanOrEqual(1004);
  expect(store.droppedWrites).toBe(0);
});
