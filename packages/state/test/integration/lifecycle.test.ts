// A job's life cycle as the store records it from worker events, read back BullMQ style.
import { Redis } from 'ioredis';
import { attachStateRecorder, createStateStore, JobFailedError, QueueEvents, QueueEventMap, StateStore } from '@partita/state';
import { dropPrefix, FakeWorker, REDIS_URL, uniquePrefix } from './helpers';
import { waitFor } from '../../../../test/support/wait';

const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('life');
let store: StateStore;
const worker = new FakeWorker();
const queue = 'emails';

beforeAll(() => {
  store = createStateStore({ redis: REDIS_URL, prefix, logger: false });
  attachStateRecorder(worker, store, { workerId: 'w-1' });
});

afterAll(async () => {
  await store.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

test('waiting → active → completed, with returnvalue, progress, logs, via getJob and QueueEvents', async () => {
  const events = new QueueEvents(queue, { redis: REDIS_URL, prefix });
  const seen: Array<[string, unknown]> = [];
  for (const name of ['added', 'active', 'progress', 'completed'] as const) {
    events.on(name as 'added', (args: QueueEventMap[typeof name]) => seen.push([name, args]));
  }
  await events.waitUntilReady();

  expect(await store.reserveJobIds(queue, ['job-1'])).toEqual([true]);
  store.recordWaiting(queue, [{ id: 'job-1', name: 'welcome', data: { userId: 42, at: new Date(5) }, opts: { attempts: 3 }, key: 'user-42' }]);
  await store.flush();
  let job = await store.getJob(queue, 'job-1');
  expect(job?.state).toBe('waiting');
  expect(await job?.getState()).toBe('waiting');
  expect(job?.data).toEqual({ userId: 42, at: new Date(5) });
  expect(job?.opts).toEqual({ attempts: 3 });
  expect(job?.key).toBe('user-42');
  expect(await store.getJobCounts(queue, 'waiting', 'active')).toEqual({ waiting: 1, active: 0 });

  const info = worker.job(queue, 'job-1', { name: 'welcome', data: { userId: 42 }, key: 'user-42', partition: 3, offset: 17 });
  worker.emit('active', info);
  worker.emit('progress', info, 50);
  worker.emit('log', info, 'half way');
  await store.flush();
  job = await store.getJob(queue, 'job-1');
  expect(job).toMatchObject({ state: 'active', progress: 50, logs: ['half way'], partition: 3, offset: 17, attemptsStarted: 1, workerId: 'w-1' });
  expect(job?.data).toEqual({ userId: 42, at: new Date(5) }); // the enqueuer's record is kept
  expect(job?.processedOn).toBeGreaterThan(0);

  const finished = job!.waitUntilFinished({ timeoutMs: 10_000 });
  worker.emit('progress', info, { step: 'done' });
  worker.emit('completed', info, { sent: true, at: new Date(7) });
  await expect(finished).resolves.toEqual({ sent: true, at: new Date(7) });
  job = await store.getJob(queue, 'job-1');
  expect(job).toMatchObject({ state: 'completed', returnvalue: { sent: true, at: new Date(7) }, progress: { step: 'done' }, attemptsMade: 1 });
  expect(job?.finishedOn).toBeGreaterThanOrEqual(job!.processedOn!);
  expect(await store.getJobCounts(queue)).toEqual({ waiting: 0, active: 0, retrying: 0, completed: 1, failed: 0, dead: 0 });

  await waitFor(() => seen.some(([name]) => name === 'completed'), { timeoutMs: 5000, message: 'completed event' });
  expect(seen.map(([name]) => name)).toEqual(['added', 'active', 'progress', 'progress', 'completed']);
  expect(seen[0][1]).toEqual({ jobId: 'job-1', name: 'welcome' });
  expect(seen[1][1]).toEqual({ jobId: 'job-1', attempt: 1, prev: 'waiting' });
  expect(seen[2][1]).toEqual({ jobId: 'job-1', data: 50 });
  expect(seen[4][1]).toEqual({ jobId: 'job-1', returnvalue: { sent: true, at: new Date(7) }, attemptsMade: 1 });

  // Resumable: a second reader from the first event id on sees the rest.
  const firstId = (await redis.xrange(store.keys(queue).events, '-', '+', 'COUNT', 1))[0][0];
  const resumed = new QueueEvents(queue, { redis: REDIS_URL, prefix, lastEventId: firstId });
  const again: string[] = [];
  resumed.on('active', () => again.push('active'));
  resumed.on('progress', () => again.push('progress'));
  resumed.on('completed', () => again.push('completed'));
  await waitFor(() => again.length === 4, { timeoutMs: 5000, message: () => `resumed events (${again.join(',')})` });
  expect(again).toEqual(['active', 'progress', 'progress', 'completed']);
  expect(resumed.lastEventId).toBe(events.lastEventId);
  await Promise.all([events.close(), resumed.close()]);
});

test('a running job shows as active without a flush: a start waits for its completion one write interval at most', async () => {
  const q = 'held';
  // Worker-only jobs first: the store then sends data with the starts (no extra data writes,
  // which would also write what waits).
  worker.complete(worker.job(q, 'warm-1'), 1);
  worker.complete(worker.job(q, 'warm-2'), 2);
  await store.flush();
  const running = worker.job(q, 'running-1', { name: 'long' });
  const quick = worker.job(q, 'quick-1', { name: 'short' });
  worker.emit('active', running);
  worker.emit('active', quick);
  worker.emit('completed', quick, 'done');
  // No flush(): the timer-driven writes alone (every flushIntervalMs, 5 ms by default).
  await waitFor(async () => (await store.getJob(q, 'running-1'))?.state === 'active', { timeoutMs: 2000, message: 'running-1 active' });
  await waitFor(async () => (await store.getJob(q, 'quick-1'))?.state === 'completed', { timeoutMs: 2000, message: 'quick-1 completed' });
  worker.emit('completed', running, 'late');
  await waitFor(async () => (await store.getJob(q, 'running-1'))?.returnvalue === 'late', { timeoutMs: 2000, message: 'running-1 completed' });
  expect(await store.getJob(q, 'running-1')).toMatchObject({ state: 'completed', attemptsMade: 1, name: 'long' });
});

test('a failing job: retrying with failedReason, then dead; waitUntilFinished rejects', async () => {
  const events = new QueueEvents(queue, { redis: REDIS_URL, prefix });
  const seen: string[] = [];
  events.on('retrying', ({ jobId }) => jobId === 'job-2' && seen.push('retrying'));
  events.on('failed', ({ jobId, deadLetterTopic }) => jobId === 'job-2' && seen.push(`failed:${deadLetterTopic}`));
  events.on('dead', ({ jobId }) => jobId === 'job-2' && seen.push('dead'));
  await events.waitUntilReady();

  const info = worker.job(queue, 'job-2');
  worker.emit('active', info);
  worker.emit('failed', info, new TypeError('smtp down'), { attempt: 1, willRetry: true, delayMs: 1000 });
  await store.flush();
  let job = await store.getJob(queue, 'job-2');
  expect(job).toMatchObject({ state: 'retrying', failedReason: 'smtp down', attemptsMade: 1 });
  expect(job?.data).toEqual({ n: 'job-2' }); // no enqueuer record: the worker's data is recorded
  expect(job?.stacktrace[0]).toMatch(/^TypeError: smtp down/);
  // its start and its retry went in one batch: indexed once, in the set it ended in
  expect(await store.getJobCounts(queue, 'retrying', 'active')).toEqual({ retrying: 1, active: 0 });

  const finished = store.waitUntilFinished(queue, 'job-2', { timeoutMs: 10_000 });
  const second = { ...info, attempt: 2 };
  worker.emit('active', second);
  expect(await store.flush()).toBe(true);
  expect(await store.getState(queue, 'job-2')).toBe('active');
  worker.emit('failed', second, new Error('smtp still down'), { attempt: 2, willRetry: false });
  worker.emit('deadLettered', second, { topic: `${queue}.dlq`, error: new Error('smtp still down') });
  const error = await finished.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JobFailedError);
  expect(error).toMatchObject({ state: 'dead', failedReason: 'smtp still down', attemptsMade: 2, jobId: 'job-2' });
  job = await store.getJob(queue, 'job-2');
  expect(job).toMatchObject({ state: 'dead', failedReason: 'smtp still down', attemptsMade: 2, deadLetterTopic: `${queue}.dlq` });
  expect(job?.stacktrace).toHaveLength(2);
  expect(await store.getJobCounts(queue, 'retrying', 'dead', 'active')).toEqual({ retrying: 0, dead: 1, active: 0 });
  await waitFor(() => seen.length === 3, { timeoutMs: 5000, message: () => `events: ${seen.join(',')}` });
  expect(seen).toEqual(['retrying', `failed:${queue}.dlq`, 'dead']);
  await events.close();
});

test('dead-lettering disabled: the job ends failed; a poison message (never active) is recorded too', async () => {
  const info = worker.job(queue, 'job-3');
  worker.failAll(info, 1, null, 'bad input');
  const poison = worker.job(queue, 'poison-1', { name: 'unknown', data: undefined, key: 'k', partition: 2, offset: 99 });
  worker.emit('failed', poison, new Error('no job named x'), { attempt: 1, willRetry: false });
  worker.emit('deadLettered', poison, { topic: `${queue}.dlq`, error: new Error('no job named x') });
  await store.flush();
  expect(await store.getJob(queue, 'job-3')).toMatchObject({ state: 'failed', failedReason: 'bad input #1', deadLetterTopic: undefined });
  expect(await store.getJob(queue, 'poison-1')).toMatchObject({ state: 'dead', name: 'unknown', key: 'k', partition: 2, offset: 99 });
  await expect(store.waitUntilFinished(queue, 'job-3', { timeoutMs: 5000 })).rejects.toMatchObject({ state: 'failed', failedReason: 'bad input #1' });
});

test('late or repeated writes never move a job back: the enqueuer recording after the worker finished', async () => {
  const info = worker.job(queue, 'job-4', { partition: 1, offset: 5 });
  worker.complete(info, 'ok');
  await store.flush();
  store.recordWaiting(queue, [{ id: 'job-4', name: 'test-job', data: { n: 'job-4' }, opts: { attempts: 1 } }]);
  worker.emit('active', info); // a redelivery's event arriving late
  await store.flush();
  const job = await store.getJob(queue, 'job-4');
  expect(job).toMatchObject({ state: 'completed', returnvalue: 'ok', opts: { attempts: 1 } });
  expect(await store.getJobCounts(queue, 'waiting', 'active')).toEqual({ waiting: 0, active: 0 });

  // a second try running: a late completion of the first one and a repeated start of it are skipped
  const first = worker.job(queue, 'job-5');
  const second = { ...first, attempt: 2 };
  worker.emit('active', second);
  expect(await store.flush()).toBe(true);
  worker.emit('completed', first, 'stale');
  worker.emit('active', first);
  await store.flush();
  expect(await store.getJob(queue, 'job-5')).toMatchObject({ state: 'active', attemptsStarted: 2, returnvalue: undefined });
});

test('jobs only a worker records (no enqueuer state) are created whole, in one write batch', async () => {
  const q = 'worker-only';
  const reader = new QueueEvents(q, { redis: REDIS_URL, prefix });
  const seen: string[] = [];
  reader.on('active', ({ jobId }) => seen.push(`active:${jobId}`));
  reader.on('completed', ({ jobId, returnvalue }) => seen.push(`completed:${jobId}:${JSON.stringify(returnvalue) ?? 'undefined'}`));
  await reader.waitUntilReady();
  const infos = ['w1', 'w2', 'w3'].map((id, i) => worker.job(q, id, { name: 'report', key: i === 2 ? null : `k-${i}`, partition: i, offset: 40 + i }));
  worker.complete(infos[0], undefined);
  worker.complete(infos[1], { rows: 2 });
  worker.emit('active', infos[2]); // still running when the batch goes
  await store.flush();
  expect(await store.getJob(q, 'w1')).toMatchObject({
    state: 'completed',
    name: 'report',
    key: 'k-0',
    partition: 0,
    offset: 40,
    data: { n: 'w1' },
    returnvalue: undefined,
    attemptsStarted: 1,
    attemptsMade: 1,
    workerId: 'w-1',
  });
  expect(await store.getJob(q, 'w2')).toMatchObject({ state: 'completed', returnvalue: { rows: 2 }, key: 'k-1' });
  const running = await store.getJob(q, 'w3');
  expect(running).toMatchObject({ state: 'active', key: null, partition: 2, offset: 42, attemptsStarted: 1, attemptsMade: 0, finishedOn: undefined });
  expect(running?.processedOn).toBeGreaterThan(0);
  expect(await store.getJobCounts(q, 'active', 'completed')).toEqual({ active: 1, completed: 2 });
  await waitFor(() => seen.length === 5, { timeoutMs: 5000, message: () => `events (${seen.join(', ')})` });
  // each job's events in order (jobs of one write batch may come in another order)
  expect([...seen].sort()).toEqual(['active:w1', 'active:w2', 'active:w3', 'completed:w1:undefined', 'completed:w2:{"rows":2}']);
  expect(seen.indexOf('active:w1')).toBeLessThan(seen.indexOf('completed:w1:undefined'));
  expect(seen.indexOf('active:w2')).toBeLessThan(seen.indexOf('completed:w2:{"rows":2}'));
  await reader.close();
});

test('an enqueuer record and a quick completion in one write batch; a reserved id completed by a worker keeps its record', async () => {
  const q = 'same-batch';
  store.recordWaiting(q, [{ id: 's1', name: 'sync', data: { from: 'enqueuer' }, opts: { attempts: 2 } }]);
  worker.complete(worker.job(q, 's1', { name: 'sync' }), 'done');
  await store.flush();
  expect(await store.getJob(q, 's1')).toMatchObject({ state: 'completed', returnvalue: 'done', data: { from: 'enqueuer' }, opts: { attempts: 2 } });
  expect(await store.getJobCounts(q, 'waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: 1 });

  expect(await store.reserveJobIds(q, ['s2'])).toEqual([true]);
  worker.complete(worker.job(q, 's2'), 'ok'); // the enqueuer's own record has not arrived
  await store.flush();
  expect(await redis.pttl(store.keys(q).job('s2'))).toBe(-1); // the reservation's expiry is gone
  expect(await store.getJob(q, 's2')).toMatchObject({ state: 'completed', returnvalue: 'ok' });

  // a job first written earlier in the same batch is read, not taken for new: a late start stays behind
  const poison = worker.job(q, 's3');
  worker.emit('deadLettered', poison, { topic: 'jobs.dlq', error: new Error('cannot decode') });
  worker.emit('active', poison);
  await store.flush();
  expect(await store.getJob(q, 's3')).toMatchObject({ state: 'dead', deadLetterTopic: 'jobs.dlq' });
  expect(await store.getJobCounts(q, 'active', 'dead')).toEqual({ active: 0, dead: 1 });
});

test('completions of waiting jobs and of jobs with no record in one batch: QueueEvents tells each state before', async () => {
  const q = 'prev-states';
  const reader = new QueueEvents(q, { redis: REDIS_URL, prefix });
  const seen: string[] = [];
  reader.on('active', ({ jobId, prev }) => seen.push(`active:${jobId}:${prev ?? 'none'}`));
  reader.on('completed', ({ jobId, returnvalue }) => seen.push(`completed:${jobId}:${JSON.stringify(returnvalue) ?? 'undefined'}`));
  await reader.waitUntilReady();
  store.recordWaiting(
    q,
    ['p1', 'p2', 'p3'].map((id) => ({ id, name: 'sync' })),
  );
  await store.flush();
  // one batch: waiting jobs (written as their ids alone), one with a result, one nobody recorded
  worker.complete(worker.job(q, 'p1'), undefined);
  worker.complete(worker.job(q, 'n1'), undefined);
  worker.complete(worker.job(q, 'p2'), 'two');
  worker.complete(worker.job(q, 'p3'), undefined);
  await store.flush();
  await waitFor(() => seen.length === 8, { timeoutMs: 5000, message: () => `events (${seen.join(', ')})` });
  expect(seen).toEqual([
    'active:p1:waiting',
    'completed:p1:undefined',
    'active:n1:none',
    'completed:n1:undefined',
    'active:p2:waiting',
    'completed:p2:"two"',
    'active:p3:waiting',
    'completed:p3:undefined',
  ]);
  expect(await store.getJobCounts(q, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 4 });
  await reader.close();
});

test('getJobs lists per state, newest first; clean removes old finished jobs', async () => {
  const q = 'listing';
  for (let i = 0; i < 5; i++) worker.complete(worker.job(q, `c${i}`), i);
  worker.failAll(worker.job(q, 'd0'), 2, `${q}.dlq`);
  await store.flush();
  const completed = await store.getJobs(q, 'completed');
  expect(completed.map((j) => j.id)).toEqual(['c4', 'c3', 'c2', 'c1', 'c0']);
  expect((await store.getJobs(q, ['completed'], 0, 1, true)).map((j) => j.id)).toEqual(['c0', 'c1']);
  expect((await store.getJobs(q, ['dead', 'completed'], 0, 0)).map((j) => j.id)).toEqual(['d0', 'c4']);
  expect(await store.clean(q, 60_000, 0, 'completed')).toEqual([]);
  const removed = await store.clean(q, 0, 3, 'completed');
  expect(removed).toEqual(['c0', 'c1', 'c2']);
  expect(await store.getJob(q, 'c0')).toBeUndefined();
  expect(await store.getJobCounts(q, 'completed', 'dead')).toEqual({ completed: 2, dead: 1 });
  expect(await store.clean(q, 0, 0, 'dead')).toEqual(['d0']);
});

test('reserveJobIds: a known unfinished id is a duplicate, a finished one may run again; release drops a reservation', async () => {
  const q = 'dedup-basic';
  expect(await store.reserveJobIds(q, ['a', 'b', 'a'])).toEqual([true, true, false]);
  expect(await store.reserveJobIds(q, ['a', 'c'])).toEqual([false, true]);
  expect(await store.releaseJobIds(q, ['c'])).toBe(1);
  expect(await store.reserveJobIds(q, ['c'])).toEqual([true]);
  store.recordWaiting(q, [{ id: 'a', name: 'x' }]);
  await store.flush();
  expect(await redis.pttl(store.keys(q).job('a'))).toBe(-1); // recorded: no longer expires
  expect(await store.releaseJobIds(q, ['a'])).toBe(0); // recorded jobs are not released
  worker.complete(worker.job(q, 'a'), 1);
  await store.flush();
  expect(await store.reserveJobIds(q, ['a'])).toEqual([true]);
  expect(await store.getState(q, 'a')).toBe('waiting');
});

test('compact records: jobs only a worker records, once their data goes inline, are one field each of a queue hash, read like any job', async () => {
  const q = 'compact';
  const keys = store.keys(q);
  // The first batch's jobs had no record: the store learns to send the data inline from then on.
  worker.complete(worker.job(q, 'first'), 1);
  expect(await store.flush()).toBe(true);
  expect(await redis.exists(keys.job('first'))).toBe(1);

  const reader = new QueueEvents(q, { redis: REDIS_URL, prefix });
  const results = new Map<string, unknown>();
  reader.on('completed', ({ jobId, returnvalue }) => results.set(jobId, returnvalue));
  await reader.waitUntilReady();
  const started = Date.now();
  const info = worker.job(q, 'k1', { name: 'resize', key: 'img-7', partition: 2, offset: 40, data: { size: 3 } });
  worker.complete(info, { ok: true, at: new Date(9) });
  worker.complete(worker.job(q, 'k2'), undefined);
  worker.complete(worker.job(q, 'k3'), 'three');
  worker.complete(worker.job(q, 'k4'), 'four');
  expect(await store.flush()).toBe(true);
  expect(await redis.exists(keys.job('k1'), keys.job('k2'))).toBe(0);
  expect(await redis.hlen(keys.compact)).toBe(4);
  // their events carry the results the records hold
  await waitFor(() => results.size === 4, { timeoutMs: 5000, message: () => `completed events (${[...results.keys()].join(', ')})` });
  expect(Object.fromEntries(results)).toEqual({ k1: { ok: true, at: new Date(9) }, k2: undefined, k3: 'three', k4: 'four' });
  await reader.close();

  expect(await store.getJob(q, 'k1')).toMatchObject({
    state: 'completed',
    name: 'resize',
    key: 'img-7',
    partition: 2,
    offset: 40,
    data: { size: 3 },
    returnvalue: { ok: true, at: new Date(9) },
    attemptsStarted: 1,
    attemptsMade: 1,
    workerId: 'w-1',
  });
  expect((await store.getJob(q, 'k1'))?.finishedOn).toBeGreaterThanOrEqual(started);
  expect(await store.getJob(q, 'k2')).toMatchObject({ state: 'completed', returnvalue: undefined, data: { n: 'k2' } });
  expect(await store.getState(q, 'k1')).toBe('completed');
  expect((await store.getJobs(q, 'completed')).map((j) => j.id)).toEqual(['k4', 'k3', 'k2', 'k1', 'first']);
  await expect(store.waitUntilFinished(q, 'k3', { timeoutMs: 5000 })).resolves.toBe('three');

  // A later write turns the record into a hash first: the enqueuer's late record keeps the state.
  store.recordWaiting(q, [{ id: 'k1', name: 'resize', data: { size: 3 }, opts: { attempts: 2 } }]);
  expect(await store.flush()).toBe(true);
  expect(await redis.hexists(keys.compact, 'k1')).toBe(0);
  expect(await store.getJob(q, 'k1')).toMatchObject({ state: 'completed', returnvalue: { ok: true, at: new Date(9) }, opts: { attempts: 2 }, workerId: 'w-1' });
  expect(await store.getJobCounts(q, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 5 });

  // A finished job's id may be reserved again: its record goes.
  expect(await store.reserveJobIds(q, ['k2'])).toEqual([true]);
  expect(await redis.hexists(keys.compact, 'k2')).toBe(0);
  expect(await store.getJobCounts(q, 'completed')).toEqual({ completed: 4 });

  // A record and a later write of the same job in one batch: the write still sees it.
  const redelivered = worker.job(q, 'k5');
  worker.complete(redelivered, 'five');
  worker.emit('deadLettered', redelivered, { topic: `${q}.dlq`, error: new Error('redelivered and failed') });
  expect(await store.flush()).toBe(true);
  expect(await redis.hexists(keys.compact, 'k5')).toBe(0);
  expect(await store.getJob(q, 'k5')).toMatchObject({ state: 'dead', returnvalue: 'five', failedReason: 'redelivered and failed' });
  expect(await store.getJobCounts(q, 'completed', 'dead')).toEqual({ completed: 4, dead: 1 });

  // clean removes records too
  expect((await store.clean(q, 0, 0, 'completed')).sort()).toEqual(['first', 'k1', 'k3', 'k4']);
  expect(await redis.exists(keys.compact)).toBe(0);
  expect(await store.getJob(q, 'k3')).toBeUndefined();
});

test('first tries written together (once the data goes inline): jobs with a record, or written earlier in the batch, are each applied as their own op', async () => {
  const q = 'first-tries';
  const keys = store.keys(q);
  // Learn inline data: a batch of jobs nobody recorded.
  worker.complete(worker.job(q, 'learn'), 0);
  expect(await store.flush()).toBe(true);

  // One batch: fresh first tries and one whose enqueuer recorded it (most have no record: the data
  // stays inline).
  store.recordWaiting(q, [{ id: 'queued', name: 'mail', data: { to: 'a@b' }, opts: { attempts: 3 } }]);
  expect(await store.flush()).toBe(true);
  worker.complete(worker.job(q, 'fresh-0'), undefined);
  worker.complete(worker.job(q, 'fresh-1'), undefined);
  worker.complete(worker.job(q, 'queued', { name: 'mail', data: { to: 'a@b' } }), 'sent');
  expect(await store.flush()).toBe(true);
  // Another: a job whose second try completed before a late first try of it (an older stamp: it
  // must not win), and a fresh one.
  worker.complete(worker.job(q, 'late', { attempt: 2 }), 'second');
  worker.complete(worker.job(q, 'late', { attempt: 1 }), 'first');
  worker.complete(worker.job(q, 'fresh-2'), 'two');
  expect(await store.flush()).toBe(true);

  expect(await store.getJob(q, 'queued')).toMatchObject({
    state: 'completed',
    returnvalue: 'sent',
    opts: { attempts: 3 },
    data: { to: 'a@b' },
    attemptsMade: 1,
  });
  expect(await redis.hexists(keys.compact, 'queued')).toBe(0);
  expect(await store.getJob(q, 'late')).toMatchObject({ state: 'completed', returnvalue: 'second', attemptsMade: 2 });
  expect(await store.getJob(q, 'fresh-2')).toMatchObject({ state: 'completed', returnvalue: 'two', data: { n: 'fresh-2' } });
  expect(await redis.hexists(keys.compact, 'fresh-1')).toBe(1);
  expect(await redis.hexists(keys.compact, 'fresh-2')).toBe(1);
  expect(await store.getJobCounts(q, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 6 });
  expect((await store.getJobs(q, 'completed')).map((j) => j.id).sort()).toEqual(['fresh-0', 'fresh-1', 'fresh-2', 'late', 'learn', 'queued']);
});

test('first tries of waiting jobs written together: their completion records, set moves and events per batch', async () => {
  const q = 'first-tries-waiting';
  const reader = new QueueEvents(q, { redis: REDIS_URL, prefix });
  const done = new Map<string, unknown>();
  reader.on('completed', ({ jobId, returnvalue }) => done.set(jobId, returnvalue));
  await reader.waitUntilReady();
  try {
    store.recordWaiting(
      q,
      ['q1', 'q2', 'q3'].map((id, i) => ({ id, name: 'mail', data: { to: id }, opts: { attempts: 2 }, key: `k-${i}`, partition: i, offset: 10 + i })),
    );
    expect(await store.flush()).toBe(true);
    expect(await store.getJobCounts(q, 'waiting')).toEqual({ waiting: 3 });
    worker.complete(worker.job(q, 'q1', { name: 'mail', partition: 0, offset: 10 }), undefined);
    worker.complete(worker.job(q, 'q2', { name: 'mail', partition: 1, offset: 11 }), { sent: new Date(2) });
    worker.complete(worker.job(q, 'q3', { name: 'mail', partition: 2, offset: 12 }), undefined);
    expect(await store.flush()).toBe(true);
    expect(await store.getJobCounts(q, 'waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: 3 });
    expect(await store.getJob(q, 'q2')).toMatchObject({
      state: 'completed',
      data: { to: 'q2' },
      opts: { attempts: 2 },
      key: 'k-1',
      offset: 11,
      returnvalue: { sent: new Date(2) },
      attemptsStarted: 1,
      attemptsMade: 1,
      workerId: 'w-1',
    });
    expect((await store.getJob(q, 'q1'))?.finishedOn).toBeGreaterThan(0);
    await waitFor(() => done.size === 3, { timeoutMs: 5000, message: () => `completed events (${[...done.keys()].join(', ')})` });
    expect(Object.fromEntries(done)).toEqual({ q1: undefined, q2: { sent: new Date(2) }, q3: undefined });
  } finally {
    await reader.close();
  }
});

test('completion records over waiting hashes: read as the completed job, turned into the hash by any later write, removed with it', async () => {
  const q = 'completions';
  const keys = store.keys(q);
  const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
  store.recordWaiting(
    q,
    ids.map((id, i) => ({ id, name: 'mail', data: { to: id }, opts: { attempts: 2, jobId: id }, key: `k-${i}`, timestamp: 1000 + i })),
  );
  expect(await store.flush()).toBe(true);
  for (const id of ids) worker.complete(worker.job(q, id, { name: 'mail', key: `k-${id}` }), id === 'w2' ? { sent: new Date(3) } : undefined);
  expect(await store.flush()).toBe(true);

  // one write for the batch: the hashes stay as the enqueuer wrote them
  expect(await redis.hlen(keys.completions)).toBe(5);
  expect(await redis.hget(keys.job('w2'), 'state')).toBe('waiting');
  expect(await store.getJobCounts(q, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 5 });
  expect(await store.getJob(q, 'w2')).toMatchObject({
    state: 'completed',
    name: 'mail',
    data: { to: 'w2' },
    opts: { attempts: 2, jobId: 'w2' },
    timestamp: 1001,
    returnvalue: { sent: new Date(3) },
    attemptsStarted: 1,
    attemptsMade: 1,
    workerId: 'w-1',
  });
  expect(await store.getState(q, 'w1')).toBe('completed');
  expect((await store.getJobs(q, 'completed')).map((j) => j.id).sort()).toEqual(ids);
  await expect(store.waitUntilFinished(q, 'w2', { timeoutMs: 5000 })).resolves.toEqual({ sent: new Date(3) });

  // a progress report arriving late does not touch a completed job
  worker.emit('progress', worker.job(q, 'w1'), 70);
  // a later write turns the record into the hash first: a redelivered try's dead-lettering wins
  worker.emit('deadLettered', worker.job(q, 'w3'), { topic: `${q}.dlq`, error: new Error('redelivered and failed') });
  expect(await store.flush()).toBe(true);
  expect(await redis.hget(keys.job('w1'), 'progress')).toBeNull();
  expect(await redis.hexists(keys.completions, 'w3')).toBe(0);
  expect(await store.getJob(q, 'w3')).toMatchObject({
    state: 'dead',
    data: { to: 'w3' },
    opts: { attempts: 2, jobId: 'w3' },
    failedReason: 'redelivered and failed',
  });

  // a finished job's id may be reserved again: its record and hash go
  expect(await store.reserveJobIds(q, ['w4'])).toEqual([true]);
  expect(await redis.hexists(keys.completions, 'w4')).toBe(0);
  expect(await store.getJobCounts(q, 'completed', 'dead')).toEqual({ completed: 3, dead: 1 });

  // clean removes the records with their hashes
  expect((await store.clean(q, 0, 0, 'completed')).sort()).toEqual(['w1', 'w2', 'w5']);
  expect(await redis.exists(keys.completions, keys.job('w1'), keys.job('w2'), keys.job('w5'))).toBe(0);
  expect(await store.getJob(q, 'w2')).toBeUndefined();
});

test('first tries of waiting jobs in one batch with one that is not waiting: each is applied as its own op', async () => {
  const q = 'completions-mixed';
  const keys = store.keys(q);
  store.recordWaiting(
    q,
    ['m1', 'm2'].map((id) => ({ id, name: 'mail', data: { to: id } })),
  );
  expect(await store.flush()).toBe(true);
  // m3 has no record (its enqueuer's write is late); m1 and m2 leave the waiting set all the same
  for (const id of ['m1', 'm3', 'm2']) worker.complete(worker.job(q, id, { name: 'mail' }), `done ${id}`);
  expect(await store.flush()).toBe(true);
  expect(await redis.exists(keys.completions)).toBe(0);
  expect(await store.getJobCounts(q, 'waiting', 'completed')).toEqual({ waiting: 0, completed: 3 });
  for (const id of ['m1', 'm2']) {
    expect(await store.getJob(q, id)).toMatchObject({ state: 'completed', data: { to: id }, returnvalue: `done ${id}` });
  }
  // the worker-only job gets its data from the worker
  await waitFor(async () => (await store.getJob(q, 'm3'))?.data !== undefined, { timeoutMs: 5000, message: () => 'data of m3' });
  expect(await store.getJob(q, 'm3')).toMatchObject({ state: 'completed', data: { n: 'm3' }, returnvalue: 'done m3' });
});
