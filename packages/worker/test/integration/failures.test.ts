// Retries with backoff hold back only their key, dead jobs go to the
// DLQ with their story in headers, poison messages never crash the worker, and a DLQ that cannot be
// written keeps the job uncommitted until it can.
import { Queue } from '@partita/enqueuer';
import { encodeEnvelope, envelopeHeaders } from '@partita/job/wire';
import { readDeadJobs, Worker } from '@partita/worker';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { produceRaw } from '../../../../test/support/raw-kafka';
import { retryOrderViolations, startRecordingWorker } from '../../../../test/support/in-process-worker';
import { uniqueName, waitFor } from '../../../../test/support/wait';

const admin = new TestAdmin();
const workers: Worker[] = [];
const topics: string[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close({ timeoutMs: 2000 })));
  await Promise.all(topics.map((t) => admin.deleteTopic(t).catch(() => undefined)));
  admin.close();
});

async function newQueue(partitions: number) {
  const name = uniqueName('fail');
  await admin.createTopic(name, partitions);
  topics.push(name, `${name}.dlq`);
  return name;
}

async function enqueue(queue: string, jobs: Array<{ key: string; seq: number; opts?: Record<string, unknown> }>) {
  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  await q.addBulk(jobs.map((j) => ({ name: 'Test', data: { seq: j.seq }, opts: { key: j.key, ...j.opts } })));
  await q.close();
}

test('a job that fails twice then succeeds: three tries with exponential gaps, its key waits, others do not', async () => {
  const queue = await newQueue(2);
  const tries = new Map<number, number>();
  const { worker, runs } = await startRecordingWorker(queue, (job) => {
    if (job.key !== 'flaky' || job.data.seq !== 0) return { ms: 5 };
    const n = (tries.get(job.offset) ?? 0) + 1;
    tries.set(job.offset, n);
    return n <= 2 ? { error: new Error(`boom ${n}`) } : {};
  });
  workers.push(worker);
  const jobs = [];
  for (let seq = 0; seq < 4; seq++) {
    jobs.push({ key: 'flaky', seq, opts: { attempts: 3, backoff: { type: 'exponential', delay: 300 } } });
    for (let k = 0; k < 10; k++) jobs.push({ key: `other${k}`, seq });
  }
  await enqueue(queue, jobs);
  await waitFor(() => runs.filter((r) => r.ok).length === jobs.length, { timeoutMs: 30000, message: 'all jobs completed' });

  const flaky0 = runs.filter((r) => r.key === 'flaky' && r.seq === 0).sort((a, b) => a.t0 - b.t0);
  expect(flaky0.map((r) => [r.attempt, r.ok])).toEqual([
    [1, false],
    [2, false],
    [3, true],
  ]);
  const gap1 = flaky0[1].t0 - flaky0[0].t1;
  const gap2 = flaky0[2].t0 - flaky0[1].t1;
  expect(gap1).toBeGreaterThanOrEqual(295);
  expect(gap1).toBeLessThan(300 + 400);
  expect(gap2).toBeGreaterThanOrEqual(595);
  expect(gap2).toBeLessThan(600 + 400);
  // The key's later jobs ran after it; other keys were not delayed by it.
  const laterFlaky = runs.filter((r) => r.key === 'flaky' && r.seq > 0);
  expect(Math.min(...laterFlaky.map((r) => r.t0))).toBeGreaterThanOrEqual(flaky0[2].t1);
  const others = runs.filter((r) => r.key !== 'flaky');
  expect(Math.max(...others.map((r) => r.t1))).toBeLessThan(flaky0[1].t0);
  expect(retryOrderViolations(runs)).toEqual([]);
});

test('a job that always fails: 4 tries, one DLQ record with its story, commit passes it, its key goes on after', async () => {
  const queue = await newQueue(3);
  const group = uniqueName('fail-group');
  const { worker, runs, deadLettered } = await startRecordingWorker(
    queue,
    (job) => (job.key === 'doomed' && job.data.seq === 1 ? { error: new TypeError('cannot read the invoice') } : { ms: 2 }),
    { groupId: group, backoff: 50 },
  );
  workers.push(worker);
  await enqueue(
    queue,
    [0, 1, 2, 3].map((seq) => ({ key: 'doomed', seq })),
  );
  await waitFor(() => runs.filter((r) => r.key === 'doomed' && r.ok).length === 3, { timeoutMs: 30000, message: 'the other jobs of the key' });

  const doomed = runs.filter((r) => r.seq === 1);
  expect(doomed.map((r) => r.attempt)).toEqual([1, 2, 3, 4]); // the default: 4 tries
  expect(deadLettered).toHaveLength(1);
  const sourcePartition = doomed[0].partition;
  const [dead] = await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS });
  expect(dead).toMatchObject({
    key: 'doomed',
    dlqPartition: sourcePartition, // same partition count, so the same partition: per-key order kept
    sourceTopic: queue,
    sourcePartition,
    sourceOffset: doomed[0].offset,
    group,
    attempts: 4,
    errorClass: 'TypeError',
    errorMessage: 'cannot read the invoice',
    reason: 'failed',
    name: 'Test',
  });
  expect(dead.headers['partita-dlq-error-stack']).toMatch(/TypeError: cannot read the invoice/);
  expect(dead.firstFailedAt!.getTime()).toBeLessThan(dead.lastFailedAt!.getTime());
  expect(deadLettered[0]).toMatchObject({ topic: `${queue}.dlq`, partition: dead.dlqPartition, offset: dead.dlqOffset });
  // Later jobs of the key ran after the dead-lettering, in order.
  const deadAt = new Map([[`doomed/1`, deadLettered[0].at]]);
  expect(retryOrderViolations(runs, deadAt)).toEqual([]);
  const after = runs.filter((r) => r.seq > 1).sort((a, b) => a.t0 - b.t0);
  expect(after.map((r) => r.seq)).toEqual([2, 3]);
  expect(after[0].t0).toBeGreaterThanOrEqual(deadLettered[0].at);
  // The committed offset passed the dead job.
  await waitFor(async () => (await admin.committed(group, queue, 3)).get(sourcePartition) === 4, { timeoutMs: 15000, message: 'commit past the dead job' });
});

test('poison messages of each kind go to the DLQ with the reason; the worker goes on', async () => {
  const queue = await newQueue(1);
  const good = encodeEnvelope({ v: 1, id: 'good-1', name: 'Test', data: { seq: 7 }, enqueuedAt: Date.now(), opts: {} });
  const unknownVersion = Buffer.from(good.toString().replace('"v":1', '"v":99'));
  const unknownJob = encodeEnvelope({ v: 1, id: 'nope-1', name: 'Nope', data: { seq: 0 }, enqueuedAt: Date.now(), opts: {} });
  expect(unknownVersion.toString()).toContain('"v":99');

  // A worker with a registry (only `Test` is known), so an unknown job name is poison.
  const { Job } = await import('@partita/job');
  const ran: number[] = [];
  class Test extends Job<{ seq: number }> {
    static queue = queue;
    perform(data: { seq: number }) {
      ran.push(data.seq);
      return Promise.resolve();
    }
  }
  const worker = new Worker(queue, [Test], { connection: { brokers: BROKERS } });
  const failed: Array<{ attempt: number; willRetry: boolean }> = [];
  worker.on('failed', (_job, _error, info) => failed.push(info));
  workers.push(worker);
  await worker.run();
  await produceRaw(queue, [
    { key: 'p1', value: 'this is not json {' },
    { key: 'p2', value: unknownVersion, headers: envelopeHeaders({ name: 'Test', id: 'v99', v: 1 }) },
    { key: 'p3', value: unknownJob, headers: envelopeHeaders({ name: 'Nope', id: 'nope-1', v: 1 }) },
    { key: 'p4', value: null },
    { key: 'g', value: good, headers: envelopeHeaders({ name: 'Test', id: 'good-1', v: 1 }) },
  ]);
  await waitFor(() => ran.includes(7), { timeoutMs: 30000, message: 'the good job after the poison' });
  let dead: Awaited<ReturnType<typeof readDeadJobs>> = [];
  await waitFor(async () => (dead = await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS }).catch(() => [])).length === 4, {
    timeoutMs: 15000,
    message: '4 poison records',
  });
  expect(Object.fromEntries(dead.map((d) => [d.key, d.reason]))).toEqual({ p1: 'undecodable', p2: 'unknown-version', p3: 'unknown-job', p4: 'undecodable' });
  expect(dead.every((d) => d.attempts === 1)).toBe(true); // no retries
  expect(failed.filter((f) => f.willRetry)).toEqual([]);
  expect(dead.find((d) => d.key === 'p1')!.value!.toString()).toBe('this is not json {'); // the bytes are kept
});

test('a DLQ write that fails keeps the job uncommitted and recovers once the DLQ exists', async () => {
  const queue = await newQueue(1);
  const group = uniqueName('dlqdown-group');
  const lateDlq = uniqueName('late-dlq');
  topics.push(lateDlq);
  const { worker, runs, errors, deadLettered } = await startRecordingWorker(
    queue,
    (job) => (job.key === 'bad' ? { error: new Error('always') } : {}),
    // A job's own deadLetter is honoured only where the worker allows it.
    { groupId: group, deadLetterTopics: [lateDlq] },
  );
  workers.push(worker);
  // The job's own dead letter topic does not exist (and the broker does not auto-create topics).
  await enqueue(queue, [
    { key: 'bad', seq: 0, opts: { attempts: 1, deadLetter: lateDlq } },
    { key: 'fine', seq: 0 },
    { key: 'fine', seq: 1 },
  ]);
  await waitFor(() => runs.filter((r) => r.key === 'fine').length === 2 && errors.length >= 2, { timeoutMs: 30000, message: 'failed DLQ writes' });
  expect(errors[0].name).toBe('DeadLetterWriteError');
  expect(deadLettered).toHaveLength(0);
  // Not committed past the dead job (offset 0), though later jobs finished.
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let an auto-commit interval pass
  const committed = (await admin.committed(group, queue, 1)).get(0) ?? -1;
  expect(committed).toBeLessThanOrEqual(0);

  await admin.createTopic(lateDlq, 1);
  await waitFor(() => deadLettered.length === 1, { timeoutMs: 30000, message: 'the DLQ write to succeed once the topic exists' });
  await waitFor(async () => (await admin.committed(group, queue, 1)).get(0) === 3, { timeoutMs: 15000, message: 'commit past everything' });
  const dead = await readDeadJobs(lateDlq, { brokers: BROKERS });
  expect(dead.map((d) => d.key)).toEqual(['bad']);
  expect(runs.filter((r) => r.key === 'bad')).toHaveLength(1); // the job itself did not run again
});

test('virtual partitions with 50 keys, 5 always failing: the 45 others finish at full speed, order holds for all', async () => {
  const run = async (failing: boolean) => {
    const queue = await newQueue(1);
    const failKeys = new Set(failing ? ['k0', 'k10', 'k20', 'k30', 'k40'] : []);
    const { worker, runs, deadLettered } = await startRecordingWorker(
      queue,
      (job) => (failKeys.has(String(job.key)) ? { ms: 5, error: new Error('broken key') } : { ms: 5 }),
      { concurrency: 16, virtualPartitions: { maxPartitions: 16 }, attempts: 3, backoff: 300 },
    );
    workers.push(worker);
    const jobs = [];
    for (let seq = 0; seq < 20; seq++) for (let k = 0; k < 50; k++) jobs.push({ key: `k${k}`, seq });
    const started = performance.timeOrigin + performance.now();
    await enqueue(queue, jobs);
    const goodJobs = jobs.filter((j) => !failKeys.has(j.key)).length;
    await waitFor(() => runs.filter((r) => r.ok).length === goodJobs, { timeoutMs: 60000, message: 'good keys done' });
    const goodDone = Math.max(...runs.filter((r) => r.ok).map((r) => r.t1)) - started;
    await waitFor(() => deadLettered.length === failKeys.size * 20, {
      timeoutMs: 120000,
      message: () => `all failing jobs dead-lettered (${deadLettered.length})`,
    });
    const deadAt = new Map(deadLettered.map((d) => [`${d.job.key}/${(d.job.data as { seq: number }).seq}`, d.at]));
    return { runs, goodDone, deadAt, allDone: Math.max(...deadLettered.map((d) => d.at), 0) - started };
  };
  const baseline = await run(false);
  const withFailures = await run(true);
  // The 45 healthy keys finish about as fast as without any failure...
  expect(withFailures.goodDone).toBeLessThan(Math.max(baseline.goodDone * 2, baseline.goodDone + 1000));
  // ...long before the failing keys are through their retries.
  expect(withFailures.goodDone).toBeLessThan(withFailures.allDone / 2);
  expect(retryOrderViolations(withFailures.runs, withFailures.deadAt)).toEqual([]);
  expect(retryOrderViolations(baseline.runs)).toEqual([]);
});
