// A dead-letter write that can never succeed must not hold its key and its
// partition's commit point for ever. Large jobs fit their DLQ (created as large as its queue), a
// record that still does not fit is written reduced, once, and odd thrown values dead-letter like
// any failure.
import { randomBytes } from 'node:crypto';
import { Queue } from '@partita/enqueuer';
import { createTopicAdmin } from '@partita/kafka';
import { DeadLetterInfo, JobInfo, readDeadJobs, Worker } from '@partita/worker';
import { DLQ_HEADERS } from '../../src/dead-letter/record';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { uniqueName, waitFor } from '../../../../test/support/wait';

const admin = new TestAdmin();
const topicAdmin = createTopicAdmin({ brokers: BROKERS });
const workers: Worker[] = [];
const topics: string[] = [];
const EIGHT_MB = 8 * 1024 * 1024;

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close({ timeoutMs: 2000 })));
  for (const t of topics) await admin.deleteTopic(t).catch(() => undefined);
  admin.close();
  topicAdmin.close();
});

/** A queue topic that takes messages up to 8 MB; its DLQ is left to the worker unless `dlqBytes` says otherwise. */
async function bigQueue(dlqBytes?: number): Promise<string> {
  const queue = uniqueName('big');
  topics.push(queue, `${queue}.dlq`);
  await topicAdmin.ensureTopic(queue, { partitions: 1, config: { 'max.message.bytes': String(EIGHT_MB) } });
  if (dlqBytes !== undefined) await topicAdmin.ensureTopic(`${queue}.dlq`, { partitions: 1, config: { 'max.message.bytes': String(dlqBytes) } });
  return queue;
}

/** 5 MB of data that compression cannot shrink much (lz4 on random base64). */
function fiveMegabytes(): string {
  return randomBytes(3.75 * 1024 * 1024).toString('base64');
}

async function enqueueBig(queue: string, data: string) {
  const q = new Queue(queue, { connection: { brokers: BROKERS, kafka: { 'message.max.bytes': 10_000_000 } } });
  await q.add('Big', { blob: data }, { key: 'big', attempts: 1, dispatch: 'sync' });
  await q.add('Small', { n: 1 }, { key: 'big', dispatch: 'sync' }); // the key's next job
  await q.close();
}

async function startWorker(queue: string, group: string, processor: (job: JobInfo) => unknown, options: Partial<ConstructorParameters<typeof Worker>[2]> = {}) {
  const worker = new Worker(queue, (job) => processor(job), { connection: { brokers: BROKERS }, groupId: group, ...options });
  workers.push(worker);
  const errors: Error[] = [];
  const dead: DeadLetterInfo[] = [];
  const completed: JobInfo[] = [];
  worker.on('error', (e) => errors.push(e));
  worker.on('deadLettered', (_job, info) => dead.push(info));
  worker.on('completed', (job) => completed.push(job));
  await worker.run();
  return { worker, errors, dead, completed };
}

test('a 5 MB job that fails on a queue taking 8 MB lands whole in the DLQ the worker created', async () => {
  const queue = await bigQueue();
  const group = uniqueName('big-group');
  const { errors, dead, completed } = await startWorker(queue, group, (job) => {
    if (job.name === 'Big') throw new Error('cannot process this blob');
  });
  const blob = fiveMegabytes();
  await enqueueBig(queue, blob);
  await waitFor(() => dead.length === 1 && completed.length === 1, {
    timeoutMs: 60000,
    message: () => `the dead-lettering (errors: ${errors.map((e) => e.message).join(' | ')})`,
  });
  expect(dead[0].reduced).toBeUndefined();
  const configs = await topicAdmin.describeConfigs([`${queue}.dlq`], ['max.message.bytes']);
  expect(Number(configs.get(`${queue}.dlq`)!.get('max.message.bytes'))).toBeGreaterThan(EIGHT_MB);
  const [record, ...more] = await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS });
  expect(more).toHaveLength(0);
  expect(record.value!.length).toBeGreaterThan(5_000_000);
  expect(record.value!.toString()).toContain(blob);
  expect(record.errorMessage).toBe('cannot process this blob');
  expect(errors).toEqual([]);
  await waitFor(async () => (await admin.committed(group, queue, 1)).get(0) === 2, { timeoutMs: 15000, message: 'commit past both jobs' });
});

test('a DLQ that exists at 1 MB: a warning with the fix, the reduced record lands exactly once, the job is committed', async () => {
  const queue = await bigQueue(1_048_588);
  const group = uniqueName('small-dlq-group');
  let tries = 0;
  const { errors, dead, completed } = await startWorker(queue, group, (job) => {
    if (job.name === 'Big') {
      tries++;
      throw new Error('cannot process this blob');
    }
  });
  expect(errors.map((e) => e.message).join('\n')).toMatch(
    new RegExp(
      `dead letter topic ${queue}\\.dlq takes messages up to 1048588 bytes .*kafka-configs\\.sh --bootstrap-server \\S+ --alter --entity-type topics --entity-name ${queue}\\.dlq --add-config max\\.message\\.bytes=${EIGHT_MB + 32 * 1024}`,
    ),
  );
  const startupWarnings = errors.length;
  const blob = fiveMegabytes();
  await enqueueBig(queue, blob);
  await waitFor(() => dead.length === 1 && completed.length === 1, {
    timeoutMs: 60000,
    message: () => `the dead-lettering (errors: ${errors.map((e) => e.message).join(' | ')})`,
  });
  await waitFor(async () => (await admin.committed(group, queue, 1)).get(0) === 2, { timeoutMs: 15000, message: 'commit past both jobs' });
  expect(tries).toBe(1);
  expect(dead[0].reduced).toMatchObject({ form: 'reduced', keptBytes: 64 * 1024 });
  expect(dead[0].reduced!.why).toMatch(/too large/i);
  // Exactly one record: nothing was written before the refusal, nothing again after.
  expect((await admin.endOffsets(`${queue}.dlq`, 1)).get(0)).toBe(1);
  const [record] = await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS });
  expect(record.value!.length).toBe(64 * 1024);
  expect(blob.startsWith(record.value!.subarray(record.value!.indexOf('"blob":"') + 8).toString())).toBe(true);
  expect(record.headers[DLQ_HEADERS.originalBytes]).toBe(String(dead[0].reduced!.originalBytes));
  expect(Number(record.headers[DLQ_HEADERS.originalBytes])).toBeGreaterThan(5_000_000);
  expect(record.headers[DLQ_HEADERS.reduced]).toMatch(/too large/i);
  expect(record).toMatchObject({ sourceTopic: queue, sourceOffset: 0, errorMessage: 'cannot process this blob', name: 'Big', reason: 'failed' });
  // No failed write was reported: the sink reduced the record itself.
  expect(errors.slice(startupWarnings)).toEqual([]);
});

test('odd thrown values use their attempts and land in the DLQ exactly once each', async () => {
  const queue = uniqueName('odd');
  topics.push(queue, `${queue}.dlq`);
  await admin.createTopic(queue, 2);
  const group = uniqueName('odd-group');
  const odd: Record<string, () => unknown> = {
    numericStack: () => Object.assign(new Error('numeric stack'), { stack: 42 }),
    objectMessage: () => Object.assign(new Error('x'), { message: { code: 'E_OBJ' } }),
    numericName: () => Object.assign(new Error('numeric name'), { name: 404 }),
    nullPrototype: () => Object.create(null) as object,
    throwingToString: () => ({
      toString() {
        throw new Error('no toString');
      },
    }),
    aString: () => 'just a string',
    undefinedValue: () => undefined,
    hugeMessage: () => new Error('m'.repeat(2 * 1024 * 1024)),
  };
  const tries = new Map<string, number>();
  const { errors, dead, completed } = await startWorker(
    queue,
    group,
    (job) => {
      const kind = (job.data as { kind: string }).kind;
      if (kind === 'fine') return;
      tries.set(kind, (tries.get(kind) ?? 0) + 1);
      throw odd[kind]();
    },
    { backoff: 10 },
  );
  const q = new Queue(queue, { connection: { brokers: BROKERS } });
  const kinds = Object.keys(odd);
  await q.addBulk(
    kinds.flatMap((kind) => [
      { name: 'Odd', data: { kind }, opts: { key: kind, attempts: 3 } },
      { name: 'Odd', data: { kind: 'fine' }, opts: { key: kind } },
    ]),
  );
  await q.close();
  await waitFor(() => dead.length === kinds.length && completed.length === kinds.length, {
    timeoutMs: 60000,
    message: () =>
      `${kinds.length} dead and completed (dead ${dead.length}, completed ${completed.length}, errors: ${errors.map((e) => e.message.slice(0, 200)).join(' | ')})`,
  });
  expect(Object.fromEntries(tries)).toEqual(Object.fromEntries(kinds.map((k) => [k, 3])));
  await waitFor(async () => [...(await admin.committed(group, queue, 2)).values()].reduce((a, b) => a + b, 0) === kinds.length * 2, {
    timeoutMs: 15000,
    message: 'commit past every job',
  });
  const records = await readDeadJobs(`${queue}.dlq`, { brokers: BROKERS });
  expect(records.map((r) => r.key).sort()).toEqual([...kinds].sort());
  for (const record of records) {
    expect(record.attempts).toBe(3);
    expect(typeof record.errorClass).toBe('string');
    expect(record.errorMessage!.length).toBeLessThanOrEqual(1000);
  }
  const byKey = new Map(records.map((r) => [r.key, r]));
  expect(byKey.get('numericName')!.errorClass).toBe('404');
  expect(byKey.get('objectMessage')!.errorMessage).toBe('{"code":"E_OBJ"}');
  expect(byKey.get('aString')!.errorMessage).toBe('just a string');
  expect(byKey.get('aString')!.errorClass).toBe('ThrownValueError');
  expect(errors).toEqual([]);
});
