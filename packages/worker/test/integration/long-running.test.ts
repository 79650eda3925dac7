// Jobs that run three times longer than max.poll.interval.ms complete without the
// worker leaving its group and without re-delivery.
import os from 'node:os';
import path from 'node:path';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { enqueueKeyed } from '../../../../test/support/enqueue';
import { countLines, readRecords } from '../../../../test/support/job-records';
import { TestAdmin } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures/recording-jobs.js');
const MAX_POLL_INTERVAL_MS = 3000;
const admin = new TestAdmin();
let worker: WorkerProcess | undefined;

afterAll(async () => {
  await worker?.kill();
  admin.close();
});

test('jobs 3x longer than max.poll.interval.ms finish once, the worker stays in its group', async () => {
  const queue = uniqueName('long');
  const group = uniqueName('long-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, 2);
  worker = new WorkerProcess({
    jobs: FIXTURE,
    queue,
    group,
    concurrency: 4,
    longRunning: true,
    revokeGraceMs: 1000, // must stay below max.poll.interval.ms
    env: { QUEUE: queue, RECORD_FILE: recordFile },
    kafka: { 'max.poll.interval.ms': MAX_POLL_INTERVAL_MS, 'session.timeout.ms': MAX_POLL_INTERVAL_MS, 'heartbeat.interval.ms': 500 },
  });
  await waitFor(() => worker!.assigned().size === 2, { timeoutMs: 60000, message: () => `assignment; worker said:\n${worker!.lines.join('\n')}` });

  // 4 keys x 2 jobs: two waves of jobs that each run 3 x max.poll.interval.ms.
  const total = await enqueueKeyed(queue, { keys: 4, perKey: 2, ms: 3 * MAX_POLL_INTERVAL_MS });
  await waitFor(() => countLines(recordFile) >= total, { timeoutMs: 90000, message: () => `${total} long jobs (have ${countLines(recordFile)})` });
  await waitForFullyCommitted(admin, group, queue, 2);

  const records = readRecords(recordFile);
  expect(records).toHaveLength(total); // no re-delivery
  for (const r of records) {
    expect(r.a).toBe(1);
    expect(r.t1 - r.t0).toBeGreaterThanOrEqual(3 * MAX_POLL_INTERVAL_MS - 5);
    expect(r.rev).toBe(false);
  }
  // Still the same single member, never revoked or re-assigned, no errors.
  expect(worker.lines.filter((l) => /revoked|error/.test(l))).toEqual([]);
  expect(worker.lines.filter((l) => l.includes('assigned'))).toHaveLength(1);
  expect(await admin.describeGroup(group)).toMatchObject({ members: 1 });
  await admin.deleteTopic(queue);
});
