// After a crash mid-batch with lanes finishing out of order, the restarted worker
// resumes from the lowest unfinished offset: every unfinished job runs, nothing is skipped, and
// jobs that finished above it (recorded in the commit metadata) do not run again.
import os from 'node:os';
import path from 'node:path';
import { Queue } from '@partita/enqueuer';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { countLines, readRecords } from '../../../../test/support/job-records';
import { BROKERS } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';
import { RECORDING_JOBS, workerTestKit } from '../../../../test/support/worker-test-kit';

const FIXTURE = RECORDING_JOBS;
const { admin, workers } = workerTestKit();

test('kill -9 with slow jobs below finished ones: the restart runs exactly the unfinished jobs', async () => {
  const queue = uniqueName('crash');
  const group = uniqueName('crash-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 1);
  // offset 0: slow key A; 1..30 fast keys; 31: slow key C; 32..60 fast keys.
  const jobs = [
    { key: 'A', seq: 0, ms: 120000 },
    ...Array.from({ length: 30 }, (_, i) => ({ key: `B${i}`, seq: 0, ms: 1 })),
    { key: 'C', seq: 0, ms: 120000 },
    ...Array.from({ length: 29 }, (_, i) => ({ key: `D${i}`, seq: 0, ms: 1 })),
  ];
  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  await q.addBulk(jobs.map((data) => ({ name: 'Record', data, opts: { key: data.key } })));
  await q.close();

  const env = { QUEUE: queue, RECORD_FILE: recordFile, STARTED_LOG: '1' };
  // A short session, so the group notices the crash quickly.
  const kafka = { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 };
  const first = new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 8, env, kafka });
  workers.push(first);
  await waitFor(() => countLines(recordFile) >= 59, { timeoutMs: 60000, message: 'the 59 fast jobs' });
  await first.waitForLine(/\[started\] A 0 0@0/);
  await first.waitForLine(/\[started\] C 0 0@31/);
  // The commit point is stuck below the slow job at offset 0; the finished offsets above it are in the metadata.
  await waitFor(
    async () => {
      const c = (await admin.committedWithMetadata(group, queue, 1)).get(0);
      return c?.offset === 0 && (c.metadata ?? '').length > 0;
    },
    { timeoutMs: 15000, message: 'commit at offset 0 with metadata' },
  );
  await first.kill();

  const second = new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 8, env: { ...env, MAX_MS: '50' }, kafka });
  workers.push(second);
  await waitForFullyCommitted(admin, group, queue, 1, 60000);

  const rerun = readRecords(recordFile).filter((r) => r.pid === second.pid);
  // The restart began at the lowest unfinished offset and ran the unfinished jobs, nothing else.
  expect(rerun.map((r) => r.o).sort((a, b) => a - b)).toEqual([0, 31]);
  const firstStarted = second.lines.find((l) => l.startsWith('[started]'));
  expect(firstStarted).toMatch(/@0$/);
  // Every job ran at least once overall.
  expect(new Set(readRecords(recordFile).map((r) => r.o)).size).toBe(61);
  await admin.deleteTopic(queue);
});
