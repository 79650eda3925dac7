// The store wired to a real Queue and a real Worker on the local Kafka by hand, the way the
// `state` option of Queue and Worker calls it (here with a worker id of the test's own): reserve
// ids → produce → recordWaiting; the worker's events → attachStateRecorder.
import { Redis } from 'ioredis';
import { EnqueueOptions } from '@partita/job';
import { Queue } from '@partita/enqueuer';
import { Worker } from '@partita/worker';
import { attachStateRecorder, createStateStore, JobFailedError, QueueEvents, StateStore } from '@partita/state';
import { addJobsWithState } from '@partita/state/enqueue';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { dropPrefix, REDIS_URL, uniquePrefix } from './helpers';

const admin = new TestAdmin();
const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('kafka');
let store: StateStore;
let worker: Worker | undefined;
let queue: Queue | undefined;
const topic = uniqueName('partita-state');

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await store?.close();
  await admin.deleteTopic(topic).catch(() => undefined);
  await admin.deleteTopic(`${topic}.dlq`).catch(() => undefined);
  admin.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** Queue.add with state, as the Queue's `state` option does it. */
async function add(name: string, data: unknown, opts: EnqueueOptions = {}): Promise<string> {
  const [result] = await addJobsWithState(store, topic, [{ name, data, opts }], (jobs) => queue!.addBulk(jobs));
  return result.id;
}

test('a real worker: waiting → active → completed with returnvalue; a failing job → retrying → dead; events; dedup', async () => {
  store = createStateStore({ redis: REDIS_URL, prefix, logger: false });
  await admin.createTopic(topic, 2);
  queue = new Queue(topic, { connection: { brokers: BROKERS } });
  const events = new QueueEvents(topic, { redis: REDIS_URL, prefix });
  const seen: string[] = [];
  events.on('progress', ({ jobId, data }) => seen.push(`${jobId}:progress:${JSON.stringify(data)}`));
  events.on('retrying', ({ jobId }) => seen.push(`${jobId}:retrying`));
  events.on('dead', ({ jobId }) => seen.push(`${jobId}:dead`));
  await events.waitUntilReady();

  // Enqueued before any worker runs: waiting, with partition and offset (sync dispatch).
  const okId = await add('resize', { w: 100 }, { jobId: 'img-1', key: 'user-1', dispatch: 'sync' });
  const badId = await add('resize', { w: -1 }, { jobId: 'img-2', key: 'user-2', attempts: 2, dispatch: 'sync' });
  expect(await add('resize', { w: 100 }, { jobId: 'img-1', key: 'user-1' })).toBe('img-1'); // duplicate: not produced
  // A bulk with a known id, a repeated id and a fresh one: only the fresh one is produced.
  const bulk = await addJobsWithState(
    store,
    topic,
    [
      { name: 'resize', data: { w: 1 }, opts: { jobId: 'img-1' } },
      { name: 'resize', data: { w: 50 }, opts: { jobId: 'img-3', key: 'user-3' } },
      { name: 'resize', data: { w: 2 }, opts: { jobId: 'img-3' } },
    ],
    async (jobs) => {
      expect(jobs.map((j) => j.data)).toEqual([{ w: 50 }]);
      return queue!.addBulk(jobs);
    },
  );
  expect(bulk.map((r) => r.id)).toEqual(['img-1', 'img-3', 'img-3']);
  const img3 = store.waitUntilFinished(topic, 'img-3', { timeoutMs: 60_000 });
  await store.flush();
  const waiting = await store.getJob(topic, okId);
  expect(waiting).toMatchObject({ state: 'waiting', name: 'resize', data: { w: 100 }, key: 'user-1' });
  expect(waiting?.offset).toBeGreaterThanOrEqual(0);
  const finished = waiting!.waitUntilFinished({ timeoutMs: 60_000 });
  const failed = store.waitUntilFinished(topic, badId, { timeoutMs: 60_000 }).catch((e: unknown) => e);

  worker = new Worker(
    topic,
    (job, ctx) => {
      const { w } = job.data as { w: number };
      ctx.updateProgress({ step: 'start' });
      ctx.log(`resizing to ${w}`);
      if (w < 0) throw new RangeError(`bad width ${w}`);
      return { width: w, at: new Date(0) };
    },
    { connection: { brokers: BROKERS }, groupId: `${topic}-workers`, concurrency: 4 },
  );
  attachStateRecorder(worker, store, { workerId: 'test-worker' });
  await worker.run();

  await expect(finished).resolves.toEqual({ width: 100, at: new Date(0) });
  await expect(img3).resolves.toEqual({ width: 50, at: new Date(0) });
  const error = await failed;
  expect(error).toBeInstanceOf(JobFailedError);
  expect(error).toMatchObject({ state: 'dead', failedReason: 'bad width -1', attemptsMade: 2 });

  const done = await store.getJob(topic, okId);
  expect(done).toMatchObject({ state: 'completed', attemptsMade: 1, workerId: 'test-worker', progress: { step: 'start' }, logs: ['resizing to 100'] });
  expect(done?.offset).toBe(waiting?.offset);
  expect(done!.finishedOn!).toBeGreaterThanOrEqual(done!.processedOn!);
  const dead = await store.getJob(topic, badId);
  expect(dead).toMatchObject({ state: 'dead', deadLetterTopic: `${topic}.dlq`, attemptsMade: 2, opts: { attempts: 2 } });
  expect(dead?.stacktrace[0]).toMatch(/^RangeError: bad width -1/);
  expect(await store.getJobCounts(topic)).toMatchObject({ waiting: 0, active: 0, retrying: 0, completed: 2, dead: 1 });
  await waitFor(() => seen.includes('img-2:dead'), { timeoutMs: 10_000, message: () => `events: ${seen.join(', ')}` });
  expect(seen).toEqual(expect.arrayContaining(['img-1:progress:{"step":"start"}', 'img-2:retrying', 'img-2:dead']));

  // Finished: the same id may be added again.
  expect(await store.reserveJobIds(topic, ['img-1'])).toEqual([true]);
  await store.releaseJobIds(topic, ['img-1']);
  await events.close();
});

test('jobs only a worker records: their data and options come from the envelope the worker received, stored as it came', async () => {
  const own = uniqueName('partita-state-env');
  const ownStore = createStateStore({ redis: REDIS_URL, prefix, logger: false });
  await admin.createTopic(own, 1);
  const plainQueue = new Queue(own, { connection: { brokers: BROKERS } });
  let ownWorker: Worker | undefined;
  try {
    // no state on the Queue: the worker is the first to record these jobs
    const jobs = Array.from({ length: 40 }, (_, i) => ({
      name: 'report',
      data: { n: i, at: new Date(i), tags: new Set(['a']) },
      opts: { jobId: `r-${i}`, attempts: 3, key: `k-${i % 4}` },
    }));
    await plainQueue.addBulk(jobs);
    ownWorker = new Worker(own, (job) => (job.data as { n: number }).n, { connection: { brokers: BROKERS }, groupId: `${own}-workers`, concurrency: 8 });
    attachStateRecorder(ownWorker, ownStore, { workerId: 'env-worker' });
    await ownWorker.run();
    await waitFor(async () => (await ownStore.getJobCounts(own, 'completed')).completed === 40, {
      timeoutMs: 60_000,
      message: 'all 40 jobs completed in the store',
    });
    // the data of jobs first sent without it follows once Redis answered which it created
    expect(await ownStore.flush()).toBe(true);
    for (const i of [0, 17, 39]) {
      const job = await ownStore.getJob(own, `r-${i}`);
      expect(job).toMatchObject({
        state: 'completed',
        name: 'report',
        returnvalue: i,
        key: `k-${i % 4}`,
        opts: { attempts: 3 },
        workerId: 'env-worker',
        attemptsMade: 1,
      });
      expect(job?.data).toEqual({ n: i, at: new Date(i), tags: new Set(['a']) });
    }
    // The stored data fields hold the envelope bytes (marked E), not superjson text of the data
    // written again: in a compact record (the data sent inline) or the job's hash (sent apart).
    const keys = ownStore.keys(own);
    for (const { opts } of jobs) {
      const record = await redis.hget(keys.compact, opts.jobId);
      const field = record !== null ? record.split('\n')[2] : await redis.hget(keys.job(opts.jobId), 'data');
      expect(field).toMatch(new RegExp(`^E\\{"json":\\{"v":1,"id":"${opts.jobId}"`));
    }
  } finally {
    await ownWorker?.close();
    await plainQueue.close();
    await ownStore.close();
    await admin.deleteTopic(own).catch(() => undefined);
  }
});
