// waitUntilFinished in this process while another process runs the jobs and records them: a
// real `partita worker` on Kafka, and a process that records outcomes straight into the store.
import path from 'node:path';
import { Redis } from 'ioredis';
import { Queue } from '@partita/enqueuer';
import { createStateStore, JobFailedError, WaitTimeoutError } from '@partita/state';
import { BROKERS } from '../../../../test/support/kafka-admin';
import { uniqueName } from '../../../../test/support/wait';
import { workerTestKit } from '../../../../test/support/worker-test-kit';
import { dropPrefix, REDIS_URL, runChild, uniquePrefix, stderrBesidesPersistenceWarning } from './helpers';

const STATE_JOBS = path.join(__dirname, 'fixtures/state-jobs.js');
const { admin, spawnWorker } = workerTestKit();

const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('wait');
const store = createStateStore({ redis: REDIS_URL, prefix, logger: false });

afterAll(async () => {
  await store.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

test('a `partita worker` child process runs the jobs from Kafka: waitUntilFinished resolves with its result, rejects for a dead job', async () => {
  const topic = uniqueName('partita-wait');
  await admin.createTopic(topic, 2);
  const queue = new Queue(topic, { connection: { brokers: BROKERS }, state: store });
  try {
    const { id: renderId } = await queue.add('Render', { frames: 24 }, { jobId: 'film-1', key: 'studio-a' });
    const { id: explodeId } = await queue.add('Explode', { frames: -1 }, { jobId: 'film-2', attempts: 2, backoff: 10 });
    await store.flush();
    const waiting = await queue.getJob(renderId);
    expect(waiting?.state).toBe('waiting');
    const rendered = waiting!.waitUntilFinished({ timeoutMs: 60_000 });
    const exploded = store.waitUntilFinished(topic, explodeId, { timeoutMs: 60_000 }).catch((e: unknown) => e);

    const worker = spawnWorker({ jobs: STATE_JOBS, queue: topic, group: `${topic}-workers`, env: { QUEUE: topic }, redis: REDIS_URL, statePrefix: prefix });
    await expect(rendered).resolves.toEqual({ frames: 24, pid: worker.pid, at: new Date(0) });
    expect(worker.pid).not.toBe(process.pid);
    const error = await exploded;
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ jobId: explodeId, state: 'dead', failedReason: 'cannot render -1 frames', attemptsMade: 2 });

    const renderJob = await queue.getJob(renderId);
    expect(renderJob).toMatchObject({
      state: 'completed',
      name: 'Render',
      key: 'studio-a',
      attemptsMade: 1,
      progress: { rendered: 0 },
      logs: ['rendering 24 frames'],
    });
    expect(renderJob?.workerId).toMatch(new RegExp(`:${worker.pid}$`));
    // Finished jobs settle a new waiter at once, from their record.
    await expect(store.waitUntilFinished(topic, renderId, { timeoutMs: 2000 })).resolves.toMatchObject({ frames: 24 });
  } finally {
    await queue.close();
    await admin.deleteTopic(topic).catch(() => undefined);
    await admin.deleteTopic(`${topic}.dlq`).catch(() => undefined);
  }
});

test('resolves with the result recorded by another process, rejects for a dead job', async () => {
  const queue = 'reports';
  store.recordWaiting(queue, [
    { id: 'r-1', name: 'remote', data: { id: 'r-1' } },
    { id: 'r-2', name: 'remote', data: { id: 'r-2' } },
  ]);
  await store.flush();
  const job = await store.getJob(queue, 'r-1');
  expect(job?.state).toBe('waiting');
  const done = job!.waitUntilFinished({ timeoutMs: 20_000 });
  const dead = store.waitUntilFinished(queue, 'r-2', { timeoutMs: 20_000 }).catch((e: unknown) => e);
  const unknown = store.waitUntilFinished(queue, 'never-enqueued', { timeoutMs: 300 }).catch((e: unknown) => e);

  const child = await runChild('finish-child.js', [REDIS_URL, prefix, queue, 'r-1=ok:done', 'r-2=fail:disk full']);
  expect({ ...child, stderr: stderrBesidesPersistenceWarning(child.stderr) }).toMatchObject({ code: 0, stderr: '' });

  const result = await done;
  expect(result).toMatchObject({ value: 'done' });
  expect((result as { pid: number }).pid).not.toBe(process.pid);
  const error = await dead;
  expect(error).toBeInstanceOf(JobFailedError);
  expect(error).toMatchObject({ failedReason: 'disk full', state: 'dead', jobId: 'r-2' });
  expect(await unknown).toBeInstanceOf(WaitTimeoutError);

  // A job already finished resolves at once (from its record).
  await expect(store.waitUntilFinished(queue, 'r-1', { timeoutMs: 2000 })).resolves.toMatchObject({ value: 'done' });
});

test('without events, the poll of the job record still settles the waiter', async () => {
  const quiet = createStateStore({ redis: REDIS_URL, prefix, events: false, pollIntervalMs: 100, logger: false });
  try {
    const waiting = store.waitUntilFinished('quiet', 'q-1', { timeoutMs: 5000 });
    quiet.record({ kind: 'completed', queue: 'quiet', id: 'q-1', attempt: 1, at: Date.now(), returnvalue: 42, workerId: 'w' });
    await expect(waiting).resolves.toBe(42);
  } finally {
    await quiet.close();
  }
});
