// Workers join, leave gracefully and crash while jobs run. Nothing is lost, no key
// runs out of order or twice at once, duplicates come only from the crashed worker's uncommitted
// work, and buffered jobs of a revoked partition are not started by its old owner.
import os from 'node:os';
import path from 'node:path';
import { TestAdmin } from '../../../../test/support/kafka-admin';
import { waitForFullyCommitted } from '../../../../test/support/committed';
import { enqueueKeyed } from '../../../../test/support/enqueue';
import { countLines, JobRecord, orderViolations, overlappingKeys, readRecords } from '../../../../test/support/job-records';
import { uniqueName, waitFor } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures/recording-jobs.js');
const PARTITIONS = 6;
const COMMIT_INTERVAL_MS = 1000; // the worker default
const admin = new TestAdmin();
const workers: WorkerProcess[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  admin.close();
});

function uniqueJobs(file: string): number {
  return new Set(readRecords(file).map((r) => `${r.k}/${r.s}`)).size;
}

test('rebalance, graceful stop and kill -9 while jobs run: nothing lost, order kept, bounded duplicates', async () => {
  const queue = uniqueName('revoke');
  const group = uniqueName('revoke-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, PARTITIONS);
  const start = () => {
    const w = new WorkerProcess({
      jobs: FIXTURE,
      queue,
      group,
      concurrency: 8,
      env: { QUEUE: queue, RECORD_FILE: recordFile },
      // Short session so the crashed member's partitions move on quickly.
      kafka: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 },
    });
    workers.push(w);
    return w;
  };
  const [a, b] = [start(), start()];
  await waitFor(() => a.assigned().size + b.assigned().size === PARTITIONS && a.assigned().size > 0 && b.assigned().size > 0, {
    timeoutMs: 60000,
    message: 'first two workers assigned',
  });

  const total = await enqueueKeyed(queue, { keys: 60, perKey: 100, ms: 25 });
  const progress = (fraction: number) =>
    waitFor(() => countLines(recordFile) >= total * fraction, { timeoutMs: 120000, message: `${fraction * 100}% of the jobs` });

  await progress(0.15);
  const c = start(); // joins: cooperative rebalance moves partitions to it while jobs run
  await waitFor(() => c.assigned().size > 0, { timeoutMs: 60000, message: 'third worker assigned' });

  await progress(0.4);
  a.signal('SIGTERM'); // graceful: finishes running jobs, commits, leaves
  const aExit = await a.exited;
  expect(aExit.code).toBe(0);

  await progress(0.6);
  const killedAt = Date.now();
  await b.kill(); // crash: no commit, no goodbye

  await waitFor(() => uniqueJobs(recordFile) >= total, { timeoutMs: 120000, message: () => `all ${total} jobs (have ${uniqueJobs(recordFile)})` });
  await waitForFullyCommitted(admin, group, queue, PARTITIONS, 60000);

  const records = readRecords(recordFile);
  // Nothing lost.
  expect(uniqueJobs(recordFile)).toBe(total);
  // Per key: one at a time, never ahead of an unfinished earlier job.
  expect(overlappingKeys(records)).toEqual([]);
  expect(orderViolations(records)).toEqual([]);

  // Duplicates: only the crashed worker's jobs that were in flight or finished after its last commit.
  const seen = new Map<string, JobRecord>();
  const duplicates: Array<{ first: JobRecord; again: JobRecord }> = [];
  for (const r of [...records].sort((x, y) => x.t0 - y.t0)) {
    const id = `${r.k}/${r.s}`;
    const first = seen.get(id);
    if (first) duplicates.push({ first, again: r });
    else seen.set(id, r);
  }
  for (const { first } of duplicates) {
    expect(first.pid).toBe(b.pid);
    expect(first.t1).toBeGreaterThan(killedAt - COMMIT_INTERVAL_MS - 1000);
  }
  // The graceful stop and the join caused no duplicate at all (their jobs finished within the grace period).
  expect(duplicates.filter((d) => d.first.pid !== b.pid)).toEqual([]);

  // Buffered jobs of a revoked partition were not started by the old owner after the revocation.
  for (const w of [a, b, c]) {
    const changes = w.assignmentChanges();
    for (const revoke of changes.filter((ch) => ch.change === 'revoked')) {
      const partition = Number(revoke.tp.split('/').pop());
      const reassigned = changes.find((ch) => ch.change === 'assigned' && ch.tp === revoke.tp && ch.at > revoke.at);
      const late = records.filter((r) => r.pid === w.pid && r.p === partition && r.t0 > revoke.at && (!reassigned || r.t0 < reassigned.at));
      expect(late).toEqual([]);
    }
  }
  // The rebalance really revoked partitions from a worker that was running jobs.
  expect([a, b].some((w) => w.assignmentChanges().some((ch) => ch.change === 'revoked'))).toBe(true);
  await admin.deleteTopic(queue);
});
