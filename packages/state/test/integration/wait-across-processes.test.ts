// waitUntilFinished in this process while another process runs the jobs and records them.
import { Redis } from 'ioredis';
import { createStateStore, JobFailedError, WaitTimeoutError } from '@partita/state';
import { dropPrefix, REDIS_URL, runChild, uniquePrefix } from './helpers';

const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('wait');
const store = createStateStore({ redis: REDIS_URL, prefix, logger: false });

afterAll(async () => {
  await store.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
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
  expect(child).toMatchObject({ code: 0, stderr: '' });

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
