// Every job runs, each key in order and one at a time, different keys of one
// partition in parallel, over two real worker processes.
import os from 'node:os';
import path from 'node:path';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { enqueueKeyed } from '../../../../test/support/enqueue';
import { countLines, crossKeyOverlaps, orderViolations, overlappingKeys, readRecords } from '../../../../test/support/job-records';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';
import { RECORDING_JOBS, workerTestKit } from '../../../../test/support/worker-test-kit';

const FIXTURE = RECORDING_JOBS;
const { admin, workers } = workerTestKit();

test('20,000 jobs over 100 keys, 4 partitions, 2 workers: exactly once, in key order, keys in parallel', async () => {
  const queue = uniqueName('order');
  const group = uniqueName('order-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 4);
  const env = { QUEUE: queue, RECORD_FILE: recordFile };
  for (let i = 0; i < 2; i++) workers.push(new WorkerProcess({ jobs: FIXTURE, queue, group, concurrency: 16, env }));
  // Both members hold partitions before any job exists, so the run is not disturbed by a rebalance.
  await waitFor(() => workers.every((w) => w.assigned().size > 0) && workers[0].assigned().size + workers[1].assigned().size === 4, {
    timeoutMs: 60000,
    message: () => `both workers assigned: ${workers.map((w) => [...w.assigned()].join(',')).join(' | ')}`,
  });

  const total = await enqueueKeyed(queue, { keys: 100, perKey: 200, ms: 2 });
  await waitFor(() => countLines(recordFile) >= total, { timeoutMs: 120000, message: () => `${total} runs (have ${countLines(recordFile)})` });
  // Everything is committed, so nothing can run again.
  await waitForFullyCommitted(admin, group, queue, 4, 30000);

  const records = readRecords(recordFile);
  expect(records).toHaveLength(total); // exactly once: no job lost, none run twice
  expect(new Set(records.map((r) => `${r.k}/${r.s}`)).size).toBe(total);
  expect(overlappingKeys(records)).toEqual([]);
  expect(orderViolations(records)).toEqual([]);
  // Virtual partitions: jobs of different keys in one partition ran at the same time (measured).
  const overlaps = crossKeyOverlaps(records);
  expect(overlaps).toBeGreaterThan(total / 10);
  // Both processes did work.
  expect(new Set(records.map((r) => r.pid)).size).toBe(2);
  await admin.deleteTopic(queue);
});
