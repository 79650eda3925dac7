// Jobs that hang or kill their worker, driven from outside: real `partita worker` processes on the
// real broker, restarted the way a supervisor (systemd, Kubernetes) would restart them.
import os from 'node:os';
import path from 'node:path';
import { Queue } from '@partita/enqueuer';
import { headerValue, readTopic } from '../support/raw-kafka';
import { BROKERS } from '../support/kafka-admin';
import { uniqueName, waitFor } from '../support/wait';
import { WorkerProcess, WorkerProcessOptions } from '../support/worker-process';
import { workerTestKit } from '../support/worker-test-kit';
import { readJsonLines } from '../support/job-records';

const FAULT_JOBS = path.join(__dirname, 'fixtures/fault-jobs.js');
const { admin, spawnWorker } = workerTestKit();
// A short session, so that the group notices a dead worker quickly.
const KAFKA = { 'session.timeout.ms': 3000, 'heartbeat.interval.ms': 300 };

interface Entry {
  ev: 'run' | 'start' | 'end';
  job: string;
  k: string;
  s?: number;
  o: number;
  p: number;
  a: number;
  pid: number;
  t: number;
  aborted?: boolean;
}

function entries(file: string): Entry[] {
  return readJsonLines<Entry>(file);
}

async function enqueue(queue: string, jobs: Array<{ name: string; data: object; opts?: object }>): Promise<void> {
  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  await q.addBulk(jobs);
  await q.close();
}

function setup(prefix: string) {
  const queue = uniqueName(prefix);
  const group = uniqueName(`${prefix}-group`);
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  const options = (env: Record<string, string> = {}): WorkerProcessOptions => ({
    jobs: FAULT_JOBS,
    queue,
    group,
    concurrency: 8,
    kafka: KAFKA,
    env: { QUEUE: queue, RECORD_FILE: recordFile, PARTITA_BROKERS: BROKERS, ...env },
  });
  return { queue, group, recordFile, options };
}

test('a try that outlives its timeout fails and is dead-lettered; the commit point moves on, its key waits for it', async () => {
  const { queue, group, recordFile, options } = setup('hung-timeout');
  await admin.createTopic(queue, 1);
  await enqueue(queue, [
    { name: 'Hang', data: { key: 'h' }, opts: { key: 'h', timeout: 1000, attempts: 1 } },
    { name: 'Record', data: { key: 'h', seq: 1 }, opts: { key: 'h' } },
    ...Array.from({ length: 500 }, (_, i) => ({ name: 'Record', data: { key: `k${i % 50}`, seq: i }, opts: { key: `k${i % 50}` } })),
  ]);
  // The hung try settles after 6 s, long after its 1 s timeout.
  const worker = spawnWorker(options({ HANG_MS: '6000' }));

  // The dead letter of the timed-out job arrives while its perform still runs.
  const [dead] = await readTopic(`${queue}.dlq`, 1, 1, 20000);
  expect(headerValue(dead, 'partita-dlq-error-class')).toBe('JobTimeoutError');
  expect(headerValue(dead, 'partita-dlq-source-offset')).toBe('0');
  // The commit point passes the hung job (offset 0) before its perform ended.
  await waitFor(async () => ((await admin.committed(group, queue, 1)).get(0) ?? -1) >= 1, { timeoutMs: 10000, message: 'commit past offset 0' });
  expect(entries(recordFile).some((e) => e.job === 'Hang' && e.ev === 'end')).toBe(false);
  // Every other key ran meanwhile.
  expect(entries(recordFile).filter((e) => e.ev === 'run' && e.k !== 'h')).toHaveLength(500);

  // Key h's next job started only after the hung perform settled.
  await waitFor(() => entries(recordFile).some((e) => e.ev === 'run' && e.k === 'h'), { timeoutMs: 15000, message: "key h's second job" });
  const records = entries(recordFile);
  const hangEnd = records.find((e) => e.job === 'Hang' && e.ev === 'end')!;
  const next = records.find((e) => e.ev === 'run' && e.k === 'h')!;
  expect(hangEnd.aborted).toBe(true);
  expect(next.t).toBeGreaterThanOrEqual(hangEnd.t);
  worker.signal('SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  await admin.deleteTopic(queue);
  await admin.deleteTopic(`${queue}.dlq`);
});

test('a job that never settles, without a timeout: the partition stops before its commit metadata overflows, and a restart runs no finished job again', async () => {
  const { queue, group, recordFile, options } = setup('hung-forever');
  await admin.createTopic(queue, 1);
  const total = 20000;
  await enqueue(queue, [
    { name: 'Hang', data: { key: 'h' }, opts: { key: 'h' } },
    ...Array.from({ length: total }, (_, i) => ({ name: 'Record', data: { key: `k${i % 200}`, seq: i }, opts: { key: `k${i % 200}` } })),
  ]);
  const first = spawnWorker({ ...options(), shutdownTimeoutMs: 3000 });
  // The committed metadata (finished offsets above the hung job) grows to its mark, then stops.
  await waitFor(async () => ((await admin.committedWithMetadata(group, queue, 1)).get(0)?.metadata ?? '').length >= 1500, {
    timeoutMs: 60000,
    message: 'committed metadata near its limit',
  });
  let seen = -1;
  await waitFor(
    () => {
      const now = entries(recordFile).length;
      const stable = now === seen;
      seen = now;
      return stable;
    },
    { timeoutMs: 30000, intervalMs: 1500, message: 'the partition to stop taking work' },
  );
  const ranBefore = entries(recordFile).filter((e) => e.ev === 'run');
  expect(ranBefore.length).toBeGreaterThan(500);
  expect(ranBefore.length).toBeLessThan(total);
  first.signal('SIGTERM');
  expect((await first.exited).code).toBe(0);

  // The restart lets the hung job finish at once, and runs everything else exactly once overall.
  const second = spawnWorker(options({ HANG_MS: '10' }));
  await waitFor(() => entries(recordFile).filter((e) => e.ev === 'run').length >= total, { timeoutMs: 90000, message: 'all jobs run' });
  const runs = entries(recordFile).filter((e) => e.ev === 'run');
  const again = runs.filter((e) => e.pid === second.pid && ranBefore.some((r) => r.o === e.o));
  expect(again).toEqual([]);
  expect(new Set(runs.map((e) => e.o)).size).toBe(total);
  second.signal('SIGTERM');
  await second.exited;
  await admin.deleteTopic(queue);
});

test('a job that kills its worker ends in the dead letter queue as worker-crashed, and the other jobs all run', async () => {
  const { queue, recordFile, options } = setup('crashing');
  await admin.createTopic(queue, 2);
  const attempts = 3;
  await enqueue(queue, [
    ...Array.from({ length: 200 }, (_, i) => ({ name: 'Record', data: { key: `k${i % 40}`, seq: i }, opts: { key: `k${i % 40}` } })),
    { name: 'Crash', data: { key: 'boom' }, opts: { key: 'boom', attempts } },
    ...Array.from({ length: 200 }, (_, i) => ({ name: 'Record', data: { key: `k${i % 40}`, seq: 200 + i }, opts: { key: `k${i % 40}` } })),
  ]);
  // Two workers, each restarted whenever it dies, as a supervisor would.
  let restarts = 0;
  const live: WorkerProcess[] = [];
  let stopping = false;
  const supervise = (): void => {
    const worker = spawnWorker(options());
    live.push(worker);
    void worker.exited.then(() => {
      if (stopping) return;
      restarts++;
      if (restarts <= 12) supervise();
    });
  };
  supervise();
  supervise();

  const [dead] = await readTopic(`${queue}.dlq`, 2, 1, 120000);
  expect(headerValue(dead, 'partita-dlq-reason')).toBe('worker-crashed');
  await waitFor(
    () =>
      entries(recordFile).filter((e) => e.ev === 'run').length >= 400 &&
      new Set(
        entries(recordFile)
          .filter((e) => e.ev === 'run')
          .map((e) => e.s),
      ).size === 400,
    {
      timeoutMs: 60000,
      message: 'the 400 other jobs',
    },
  );
  const starts = entries(recordFile).filter((e) => e.job === 'Crash');
  // Its tries, plus at most one death that could not be blamed on it alone.
  expect(starts.length).toBeGreaterThanOrEqual(attempts);
  expect(starts.length).toBeLessThanOrEqual(attempts + 1);
  expect(restarts).toBe(starts.length);
  stopping = true;
  for (const worker of live) worker.signal('SIGTERM');
  await Promise.all(live.map((w) => w.exited));
  await admin.deleteTopic(queue);
  await admin.deleteTopic(`${queue}.dlq`);
});
