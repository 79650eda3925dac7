// `partita dlq list` and `partita dlq replay`: dead jobs are shown as a table, then re-run and
// succeed once the bug is fixed (the job module swapped), keeping their key and original id.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from '@partita/enqueuer';
import { readDeadJobs } from '@partita/worker';
import { REPLAY_HEADERS } from '../../src/dead-letter/replay';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { readTopic, headerValue } from '../../../../test/support/raw-kafka';
import { countLines } from '../../../../test/support/job-records';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const run = promisify(execFile);
const CLI = path.join(__dirname, '../../bin/partita.js');
const FIXTURE = path.join(__dirname, 'fixtures/flaky-jobs.js');
const admin = new TestAdmin();
const workers: WorkerProcess[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  admin.close();
});

test('dead jobs are listed, replayed and succeed after the fix', async () => {
  const queue = uniqueName('charges');
  const group = uniqueName('charges-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.txt`);
  await admin.createTopic(queue, 2);
  const env = { QUEUE: queue, RECORD_FILE: recordFile };
  const broken = new WorkerProcess({ jobs: FIXTURE, queue, group, env });
  workers.push(broken);
  await waitFor(() => broken.assigned().size === 2, { timeoutMs: 60000, message: 'assignment' });

  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  const added = await q.addBulk(['o-1', 'o-2', 'o-3'].map((orderId) => ({ name: 'Charge', data: { orderId }, opts: { key: orderId } })));
  await q.close();
  await waitFor(async () => (await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS }).catch(() => [])).length === 3, {
    timeoutMs: 30000,
    message: '3 dead jobs',
  });
  broken.signal('SIGTERM');
  expect((await broken.exited).code).toBe(0);

  const list = await run(process.execPath, [CLI, 'dlq', 'list', '--queue', queue], { env: { ...process.env, PARTITA_BROKERS: BROKERS } });
  const lines = list.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^JOB\s+KEY\s+ATTEMPTS\s+WHEN \(UTC\)\s+SOURCE\s+ERROR$/);
  for (const orderId of ['o-1', 'o-2', 'o-3']) {
    expect(list.stdout).toMatch(
      new RegExp(`Charge\\s+${orderId}\\s+2\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d+@\\d+\\s+Error: card processor rejected order ${orderId}`),
    );
  }
  expect(list.stdout).toMatch(/3 dead job\(s\) in /);

  // The bug is fixed: a worker with the fixed module runs the replayed jobs.
  const fixed = new WorkerProcess({ jobs: FIXTURE, queue, group, env: { ...env, FIXED: '1' } });
  workers.push(fixed);
  const replay = await run(process.execPath, [CLI, 'dlq', 'replay', '--queue', queue, '--job', 'Charge', '--since', '1h'], {
    env: { ...process.env, PARTITA_BROKERS: BROKERS },
  });
  expect(replay.stdout).toMatch(/3 replayed, 0 skipped/);
  // Counts newline-terminated lines only: a line being written is not counted yet.
  await waitFor(() => countLines(recordFile) === 3, { timeoutMs: 60000, message: 'the replayed jobs to succeed' });
  const done = fs
    .readFileSync(recordFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  expect(done.map(([orderId]) => orderId).sort()).toEqual(['o-1', 'o-2', 'o-3']);
  // Fresh ids; the original ids are kept in a header; the keys are the same.
  const originalIds = new Set(added.map((a) => a.id));
  expect(done.every(([, id]) => !originalIds.has(id))).toBe(true);
  const replayed = (await readTopic(queue, 2, 6)).filter((m) => headerValue(m, REPLAY_HEADERS.originalId));
  expect(replayed).toHaveLength(3);
  expect(new Set(replayed.map((m) => headerValue(m, REPLAY_HEADERS.originalId)))).toEqual(originalIds);
  expect(replayed.map((m) => String(m.key)).sort()).toEqual(['o-1', 'o-2', 'o-3']);

  // Filters: a job name that does not exist selects nothing.
  const none = await run(process.execPath, [CLI, 'dlq', 'replay', '--queue', queue, '--job', 'Refund'], { env: { ...process.env, PARTITA_BROKERS: BROKERS } });
  expect(none.stdout).toMatch(/0 replayed, 0 skipped/);
});
