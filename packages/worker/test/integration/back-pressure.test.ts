// With a backlog of 200,000 jobs and slow jobs, the worker's memory stays flat:
// its buffer is bounded and fetching pauses instead of reading the whole backlog.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enqueueKeyed } from '../../../../test/support/enqueue';
import { countLines } from '../../../../test/support/job-records';
import { TestAdmin } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures/recording-jobs.js');
const admin = new TestAdmin();
let worker: WorkerProcess | undefined;

afterAll(async () => {
  await worker?.kill();
  admin.close();
});

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
}

test('a 200,000-job backlog with slow jobs keeps the RSS flat', async () => {
  const queue = uniqueName('backlog');
  const group = uniqueName('backlog-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 4);
  const total = await enqueueKeyed(queue, { keys: 1000, perKey: 200, ms: 20 });
  expect(total).toBe(200000);

  worker = new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 16, env: { QUEUE: queue, RECORD_FILE: recordFile } });
  await waitFor(() => countLines(recordFile) >= 500, { timeoutMs: 60000, message: 'the worker to get going' });
  const samples: number[] = [];
  // Sample for a while once warm: 10 samples, each after 200 more jobs ran.
  for (let i = 0; i < 10; i++) {
    const target = countLines(recordFile) + 200;
    await waitFor(() => countLines(recordFile) >= target, { timeoutMs: 30000, message: 'progress' });
    samples.push(rssMb(worker.pid));
  }
  const done = countLines(recordFile);
  // The backlog is far from read: the worker is slow on purpose, and it did not buffer everything.
  expect(done).toBeLessThan(total / 4);
  const growth = Math.max(...samples) - samples[0];
  expect(growth).toBeLessThan(40); // MB: flat, while reading all 200k jobs would add far more
  expect(Math.max(...samples)).toBeLessThan(400);
  await worker.kill();
  await admin.deleteTopic(queue);
});
