// SIGTERM with jobs in flight lets them finish, commits, exits 0 within the
// timeout; a restarted worker runs none of them again.
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

test('SIGTERM: running jobs finish, offsets are committed, exit 0; nothing re-runs after restart', async () => {
  const queue = uniqueName('shutdown');
  const group = uniqueName('shutdown-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 2);
  const env = { QUEUE: queue, RECORD_FILE: recordFile, STARTED_LOG: '1' };
  const worker = new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 8, shutdownTimeoutMs: 15000, env });
  workers.push(worker);
  await waitFor(() => worker.assigned().size === 2, { timeoutMs: 60000, message: 'assignment' });

  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  await q.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'Record', data: { key: `k${i}`, seq: 0, ms: 2000 }, opts: { key: `k${i}` } })));
  await q.flush();
  await waitFor(() => worker.lines.filter((l) => l.startsWith('[started]')).length === 8, {
    timeoutMs: 30000,
    message: () => `8 jobs running; worker said:\n${worker.lines.join('\n')}`,
  });

  const signalledAt = Date.now();
  worker.signal('SIGTERM');
  const exit = await worker.exited;
  expect(exit.code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(15000);
  const records = readRecords(recordFile);
  expect(records).toHaveLength(8); // all finished, none aborted
  expect(records.every((r) => r.t1 - r.t0 >= 1995 && !r.rev)).toBe(true);
  await waitForFullyCommitted(admin, group, queue, 2, 5000); // committed before exit

  // A new worker takes over; a marker job shows it is processing, and none of the 8 ran again.
  const restarted = new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 8, env });
  workers.push(restarted);
  await q.add('Record', { key: 'marker', seq: 0, ms: 0 }, { key: 'marker' });
  await q.close();
  await waitFor(() => countLines(recordFile) >= 9, { timeoutMs: 60000, message: 'the marker job' });
  await waitForFullyCommitted(admin, group, queue, 2);
  const after = readRecords(recordFile);
  expect(after).toHaveLength(9);
  expect(after.filter((r) => r.pid === restarted.pid).map((r) => r.k)).toEqual(['marker']);
  await admin.deleteTopic(queue);
});
