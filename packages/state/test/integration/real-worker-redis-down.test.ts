// The Redis-down test with the real parts: a Worker with state runs jobs from the local
// Kafka while the test kills its own redis-server and later starts it again. (redis-down.test.ts
// drives the recorder with hand-made events and checks timings, bounds and a frozen Redis.)
import { Queue } from '@partita/enqueuer';
import { createStateStore, StateStore } from '@partita/state';
import { Worker } from '@partita/worker';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { TestRedis } from '../../../../test/support/redis-server';
import { uniqueName, waitFor } from '../../../../test/support/wait';

const admin = new TestAdmin();
const topic = uniqueName('partita-redis-down');
const group = `${topic}-workers`;
let server: TestRedis | undefined;
let store: StateStore | undefined;
let worker: Worker | undefined;
let queue: Queue | undefined;

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await store?.close(1000);
  await server?.kill();
  await admin.deleteTopic(topic).catch(() => undefined);
  admin.close();
  jest.restoreAllMocks();
});

/** Adds jobs `from`..`to - 1` with ids `job-<i>`. */
async function addJobs(from: number, to: number): Promise<void> {
  const jobs = Array.from({ length: to - from }, (_, k) => ({
    name: 'send-mail',
    data: { i: from + k },
    opts: { jobId: `job-${from + k}`, key: `user-${(from + k) % 20}` },
  }));
  await queue!.addBulk(jobs);
}

test('Redis killed while a real Worker runs jobs: all complete and are committed in Kafka, the worker warns, state resumes after a restart', async () => {
  server = await TestRedis.start();
  await admin.createTopic(topic, 2);
  // The store's warnings go to console.warn, as in any worker that does not pass a logger.
  const warnings: string[] = [];
  jest.spyOn(console, 'warn').mockImplementation((line: string) => warnings.push(line));
  // A small buffer, so that the outage outlasts it and drops are counted.
  store = createStateStore({ redis: server.url, prefix: 'mail', maxBufferedWrites: 3000, removeOnComplete: false });
  await store.waitUntilReady();
  queue = new Queue(topic, { connection: { brokers: BROKERS } }); // the enqueuer keeps no state here
  worker = new Worker(topic, (job) => (job.data as { i: number }).i, { connection: { brokers: BROKERS }, groupId: group, concurrency: 8, state: store });
  let completed = 0;
  worker.on('completed', () => completed++);
  await worker.run();

  // Redis up: state is written.
  await addJobs(0, 1000);
  await waitFor(() => completed === 1000, { timeoutMs: 60_000, message: () => `first 1,000 jobs: ${completed} completed` });
  expect(await store.flush(10_000)).toBe(true);
  expect(await store.getJob(topic, 'job-999')).toMatchObject({ state: 'completed', returnvalue: 999 });
  expect(store.droppedWrites).toBe(0);

  // Redis gone: jobs go on and are committed; the worker says state writes fail, then drops the oldest.
  await server.kill();
  await addJobs(1000, 11_000);
  await waitFor(() => completed === 11_000, { timeoutMs: 60_000, message: () => `10,000 jobs with Redis down: ${completed} completed` });
  await waitForFullyCommitted(admin, group, topic, 2);
  await waitFor(() => store!.degraded, { timeoutMs: 30_000, message: 'the store to notice Redis is gone' });
  await waitFor(() => warnings.some((line) => /state write buffer full: dropping the oldest writes/.test(line)), {
    timeoutMs: 30_000,
    message: () => `a drop warning in: ${warnings.join(' | ')}`,
  });
  expect(warnings.some((line) => /Redis state writes failing .* jobs go on/.test(line))).toBe(true);
  expect(store.droppedWrites).toBeGreaterThan(0);
  expect(store.bufferedWrites).toBeLessThanOrEqual(3000);

  // Redis back (empty: no persistence): the worker writes state again and says what was lost.
  await server.restart();
  await addJobs(11_000, 11_500);
  await waitFor(() => completed === 11_500, { timeoutMs: 60_000, message: () => `500 jobs after the restart: ${completed} completed` });
  await waitFor(() => !store!.degraded, { timeoutMs: 30_000, message: 'the store to recover' });
  expect(await store.flush(10_000)).toBe(true);
  expect(warnings.some((line) => /Redis state writes recovered after [\d.]+ s; [1-9]\d* state write\(s\) were dropped/.test(line))).toBe(true);
  for (const i of [11_000, 11_250, 11_499]) expect(await store.getJob(topic, `job-${i}`)).toMatchObject({ state: 'completed', returnvalue: i });
  expect((await store.getJobCounts(topic, 'completed')).completed).toBeGreaterThanOrEqual(500);
  await waitForFullyCommitted(admin, group, topic, 2);
});
