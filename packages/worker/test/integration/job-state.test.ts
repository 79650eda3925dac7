// With a real worker process: the state store answers getJob / waitUntilFinished across
// processes, and when Redis goes away the worker keeps processing and committing, says so, and
// writes state again once Redis is back.
import os from 'node:os';
import path from 'node:path';
import { Queue } from '@partita/enqueuer';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { countLines } from '../../../../test/support/job-records';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { TestRedis } from '../../../../test/support/redis-server';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures/recording-jobs.js');
const admin = new TestAdmin();
let redis: TestRedis | undefined;
let worker: WorkerProcess | undefined;

afterAll(async () => {
  await worker?.kill();
  await redis?.kill();
  admin.close();
});

test('job state across processes, and a Redis outage that costs no job', async () => {
  redis = await TestRedis.start();
  const queue = uniqueName('stateful');
  const group = uniqueName('stateful-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 2);
  worker = new WorkerProcess({ jobs: FIXTURE, queue, group, env: { QUEUE: queue, RECORD_FILE: recordFile, PARTITA_REDIS_URL: redis.url } });
  await waitFor(() => worker!.assigned().size === 2, { timeoutMs: 60000, message: () => `assignment: ${worker!.lines.join('\n')}` });

  const stateful = new Queue(queue, { connection: { brokers: BROKERS }, state: { redis: redis.url } });
  try {
    const { id } = await stateful.add('Record', { key: 'a', seq: 41, ms: 20 }, { key: 'a', jobId: `order-41-${queue}` });
    const job = await waitFor(async () => (await stateful.getJob(id)) !== undefined, { timeoutMs: 10000, message: 'the waiting record' }).then(() =>
      stateful.getJob(id),
    );
    await expect(job!.waitUntilFinished({ timeoutMs: 30000 })).resolves.toBe(41); // the worker process's result
    const done = await stateful.getJob(id);
    expect(await done!.getState()).toBe('completed');
    expect(done!.returnvalue).toBe(41);
    expect(done!.attemptsMade).toBe(1);
    // Adding the same jobId again while it is known is a no-op that returns the id.
    const again = await stateful.add('Record', { key: 'a', seq: 41, ms: 20 }, { key: 'a', jobId: id });
    expect(again.id).toBe(id);

    await redis.kill();
    const plain = new Queue(queue, { connection: { brokers: BROKERS }, state: false });
    await plain.addBulk(Array.from({ length: 20 }, (_, seq) => ({ name: 'Record', data: { key: `k${seq % 4}`, seq, ms: 5 }, opts: { key: `k${seq % 4}` } })));
    await plain.close();
    // Every job still runs and is committed in Kafka while Redis is down.
    await waitFor(() => countLines(recordFile) >= 21, { timeoutMs: 60000, message: 'jobs to run without Redis' });
    await waitForFullyCommitted(admin, group, queue, 2, 30000);
    await worker.waitForLine(/\[partita:state\] Redis state writes failing/, 30000);
    expect(worker.running).toBe(true);

    await redis.restart();
    const { id: after } = await stateful.add('Record', { key: 'b', seq: 7, ms: 5 }, { key: 'b' });
    await waitFor(async () => (await stateful.getJob(after).catch(() => undefined))?.returnvalue === 7, {
      timeoutMs: 60000,
      message: 'state written again after Redis came back',
    });
    expect(await (await stateful.getJob(after))!.getState()).toBe('completed');
  } finally {
    await stateful.close();
  }
  await admin.deleteTopic(queue);
});
