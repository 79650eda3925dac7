// A broker killed with -9 for 30 s, then stopped cleanly for 20 s, while live enqueuers add keyed
// jobs (async, sync, and async with a short delivery timeout) and two real `partita worker`
// processes run them. Runs against its own killable broker (test/support/chaos-broker.ts), never the
// main one. What must hold:
// - with the default delivery timeout (120 s) the outages cost nothing: every job whose `add`
//   resolved runs, nothing is reported failed, and every sync `add` settles;
// - with a delivery timeout shorter than the outage, every job that was not delivered is reported
//   by id (event, and close()'s DeliveryError.jobIds), and no job of a key runs when an earlier job
//   of that key, added before the failure was reported, failed without being written (no gaps);
// - per key, no job starts before every earlier job of its key that ran has finished.
import os from 'node:os';
import path from 'node:path';
import { DeliveryError, Queue, QueueOptions } from '@partita/enqueuer';
import { ChaosBroker } from '../support/chaos-broker';
import { JobRecord, readRecords, runsByKey } from '../support/job-records';
import { uniqueName, waitFor } from '../support/wait';
import { WorkerProcess } from '../support/worker-process';
import { RECORDING_JOBS } from '../support/worker-test-kit';

jest.setTimeout(330_000);
// Kafka only: a job-state store would de-duplicate the fixed job ids.
delete process.env.PARTITA_REDIS_URL;

const broker = new ChaosBroker();
const workers: WorkerProcess[] = [];
const queues: Queue[] = [];
const PARTITIONS = 6;
const SHORT_TIMEOUT_MS = 8_000;

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await Promise.allSettled(queues.map((q) => q.close()));
  await broker.stop();
});

/** What happened to one job on the enqueuer's side. */
interface Sent {
  key: string;
  seq: number;
  id: string;
  calledAt: number;
  outcome: 'pending' | 'resolved' | 'rejected';
  error?: Error;
  rejectedAt?: number;
  /** When a deliveryFailed event named it. */
  reportedAt?: number;
}

/** Adds keyed jobs with per-key sequence numbers and records what became of each. */
class Driver {
  readonly sent = new Map<string, Sent>();
  private readonly seqs = new Map<string, number>();
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];

  constructor(
    readonly name: string,
    readonly queue: Queue,
    private readonly keys: string[],
    private readonly sync: boolean,
  ) {
    queue.on('deliveryFailed', (jobId) => {
      const job = this.sent.get(jobId);
      if (job && job.reportedAt === undefined) job.reportedAt = Date.now();
    });
  }

  /** Async: one add every `everyMs` round the keys, not awaited (as an app would). Sync: one awaiting loop per key. */
  start(everyMs: number): void {
    if (this.sync) {
      for (const key of this.keys) this.loops.push(this.syncLoop(key, everyMs));
    } else {
      this.loops.push(this.asyncLoop(everyMs));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async asyncLoop(everyMs: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      void this.add(this.keys[i % this.keys.length]);
      await sleep(everyMs);
    }
  }

  private async syncLoop(key: string, everyMs: number): Promise<void> {
    while (!this.stopped) {
      await this.add(key);
      await sleep(everyMs);
    }
  }

  private add(key: string): Promise<void> {
    const seq = this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    const id = `${this.name}-${key}-${seq}`;
    const job: Sent = { key: `${this.name}-${key}`, seq, id, calledAt: Date.now(), outcome: 'pending' };
    this.sent.set(id, job);
    const opts = { key: job.key, jobId: id, ...(this.sync ? { dispatch: 'sync' as const } : {}) };
    return this.queue.add('Record', { key: job.key, seq }, opts).then(
      () => void (job.outcome = 'resolved'),
      (error: Error) => {
        job.outcome = 'rejected';
        job.error = error;
        job.rejectedAt = Date.now();
      },
    );
  }

  jobs(): Sent[] {
    return [...this.sent.values()];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs of a key that started before an earlier job of the key (among those that ran) had finished once. */
function orderViolations(records: JobRecord[]): string[] {
  const bad: string[] = [];
  for (const [key, runs] of runsByKey(records)) {
    const ran = [...new Set(runs.map((r) => r.s))].sort((a, b) => a - b);
    const byEnd = [...runs].sort((a, b) => a.t1 - b.t1);
    const finished = new Set<number>();
    let e = 0;
    for (const run of runs) {
      while (e < byEnd.length && byEnd[e].t1 <= run.t0) finished.add(byEnd[e++].s);
      const missing = ran.find((s) => s < run.s && !finished.has(s));
      if (missing !== undefined) bad.push(`${key}: seq ${run.s} started before seq ${missing} had finished`);
    }
  }
  return bad;
}

test('kill -9 for 30 s, then a clean stop for 20 s: nothing lost, order kept, every failure reported by id', async () => {
  await broker.start();
  const topic = uniqueName('chaos-outage');
  const recordFile = path.join(os.tmpdir(), `${topic}.jsonl`);
  const connection = (clientId: string): QueueOptions['connection'] => ({ brokers: broker.brokers, clientId });
  // Separate client ids: separate producers, so the async enqueuer's jobs take the fast lane.
  const asyncQueue = new Queue(topic, { connection: connection('chaos-async') });
  const syncQueue = new Queue(topic, { connection: connection('chaos-sync') });
  const shortQueue = new Queue(topic, { connection: connection('chaos-short'), deliveryTimeoutMs: SHORT_TIMEOUT_MS });
  queues.push(asyncQueue, syncQueue, shortQueue);
  await asyncQueue.ensureTopic({ partitions: PARTITIONS, replicationFactor: 1 });

  const env = { PARTITA_BROKERS: broker.brokers, QUEUE: topic, RECORD_FILE: recordFile };
  const group = uniqueName('chaos-outage-group');
  for (let i = 0; i < 2; i++) workers.push(new WorkerProcess({ jobs: RECORDING_JOBS, queue: topic, group, concurrency: 8, env }));
  await waitFor(() => workers.every((w) => w.assigned().size > 0), {
    timeoutMs: 60_000,
    message: () => `both workers to get partitions:\n${workers.map((w) => w.lines.slice(-5).join('\n')).join('\n--\n')}`,
  });

  const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);
  const drivers = [
    new Driver('async', asyncQueue, keys(40), false),
    new Driver('sync', syncQueue, keys(10), true),
    new Driver('short', shortQueue, keys(20), false),
  ];
  const [asyncDriver, syncDriver, shortDriver] = drivers as [Driver, Driver, Driver];
  asyncDriver.start(5);
  syncDriver.start(50);
  shortDriver.start(10);

  // Jobs flow, then the broker dies without a word for 30 s (plus its restart), then comes back.
  await waitFor(() => readRecords(recordFile).length >= 500, { timeoutMs: 60_000, message: 'the first 500 jobs to run' });
  const killedAt = Date.now();
  await broker.kill9();
  await sleep(30_000);
  await broker.restart();
  const downMs = Date.now() - killedAt;
  // It ran again before the clean stop: jobs flow through the restarted broker.
  const before = readRecords(recordFile).length;
  await waitFor(() => readRecords(recordFile).length >= before + 500, { timeoutMs: 90_000, message: 'jobs to run after the restart' });

  // A clean stop (SIGTERM) for 20 s.
  await broker.stop();
  await sleep(20_000);
  await broker.restart();
  const afterStop = readRecords(recordFile).length;
  await waitFor(() => readRecords(recordFile).length >= afterStop + 500, { timeoutMs: 90_000, message: 'jobs to run after the second restart' });

  await Promise.all(drivers.map((d) => d.stop()));
  // Nothing may stay pending: every add resolves or rejects.
  await waitFor(() => drivers.every((d) => d.jobs().every((j) => j.outcome !== 'pending')), {
    timeoutMs: 30_000,
    message: () => `every add to settle; pending: ${drivers.map((d) => `${d.name} ${d.jobs().filter((j) => j.outcome === 'pending').length}`).join(', ')}`,
  });
  await asyncQueue.close();
  await syncQueue.close();
  const shortClose = await shortQueue.close().then(
    () => undefined,
    (error: unknown) => error,
  );

  // Every job that was acknowledged or not reported failed must run.
  const expected = drivers.flatMap((d) => d.jobs().filter((j) => j.outcome === 'resolved' && j.reportedAt === undefined));
  const ranKey = (k: string, s: number) => `${k}#${s}`;
  const ran = () => new Set(readRecords(recordFile).map((r) => ranKey(r.k, r.s)));
  await waitFor(
    () => {
      const seen = ran();
      return expected.every((j) => seen.has(ranKey(j.key, j.seq)));
    },
    {
      timeoutMs: 120_000,
      message: () => {
        const seen = ran();
        const lost = expected.filter((j) => !seen.has(ranKey(j.key, j.seq)));
        return `every delivered job to run; ${lost.length} missing, e.g. ${lost
          .slice(0, 5)
          .map((j) => j.id)
          .join(', ')}`;
      },
    },
  );
  const records = readRecords(recordFile);
  const seen = ran();
  const summary = drivers.map((d) => {
    const jobs = d.jobs();
    const reportedJobs = jobs.filter((j) => j.reportedAt !== undefined);
    const writtenAnyway = reportedJobs.filter((j) => seen.has(ranKey(j.key, j.seq))).length;
    return `${d.name}: ${jobs.length} added, ${jobs.filter((j) => j.outcome === 'resolved').length} resolved, ${jobs.filter((j) => j.outcome === 'rejected').length} rejected, ${reportedJobs.length} reported failed (${writtenAnyway} of them written and run anyway)`;
  });
  console.log(`broker down ${downMs} ms (kill -9), then stopped 20 s; ${records.length} runs\n${summary.join('\n')}`);

  // The default delivery timeout outlasts both outages: nothing failed, nothing was refused.
  for (const d of [asyncDriver, syncDriver]) {
    expect(
      d
        .jobs()
        .filter((j) => j.reportedAt !== undefined)
        .map((j) => j.id),
    ).toEqual([]);
    expect(
      d
        .jobs()
        .filter((j) => j.outcome === 'rejected')
        .map((j) => `${j.id}: ${j.error?.message}`),
    ).toEqual([]);
  }

  // The short delivery timeout gave up during the 30 s outage: every job it gave up on is named.
  const short = shortDriver.jobs();
  const reported = short.filter((j) => j.reportedAt !== undefined);
  expect(reported.length).toBeGreaterThan(0);
  expect(shortClose).toBeInstanceOf(DeliveryError);
  expect(new Set((shortClose as DeliveryError).jobIds)).toEqual(new Set(reported.map((j) => j.id)));
  // 0 lost: a resolved add either ran or was reported failed.
  expect(short.filter((j) => j.outcome === 'resolved' && j.reportedAt === undefined && !seen.has(ranKey(j.key, j.seq))).map((j) => j.id)).toEqual([]);
  // No gap: a failed job that was not written is never followed, in its key, by a job added before
  // the failure was reported.
  const gaps: string[] = [];
  const failedUnwritten = [...reported.filter((j) => !seen.has(ranKey(j.key, j.seq))), ...short.filter((j) => j.outcome === 'rejected')];
  for (const failed of failedUnwritten) {
    const reportedAt = failed.reportedAt ?? failed.rejectedAt!;
    for (const later of short) {
      if (later.key === failed.key && later.seq > failed.seq && later.calledAt < reportedAt && seen.has(ranKey(later.key, later.seq))) {
        gaps.push(`${later.id} ran although ${failed.id} (added before its failure was reported) failed`);
      }
    }
  }
  expect(gaps.slice(0, 10)).toEqual([]);

  // Order per key among everything that ran, for all three enqueuers.
  expect(orderViolations(records).slice(0, 10)).toEqual([]);
});
