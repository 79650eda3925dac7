// Hostile input driven from outside: whoever can write to a queue topic writes garbage, forged
// options and forged dead letter targets with a plain Kafka client, interleaved with good jobs on the
// same keys. A real `partita worker` must run every good job in key order, dead-letter every bad
// message exactly once with a reason, never write where a message tells it to (here: into queue V,
// consumed by a second worker), and never let a message hold its key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Message } from '@confluentinc/kafka-javascript';
import { encodeEnvelope, envelopeHeaders } from '@partita/job/wire';
import { waitForFullyCommitted } from '../support/committed';
import { produceRaw, RawMessage, readTopic } from '../support/raw-kafka';
import { BROKERS } from '../support/kafka-admin';
import { uniqueName, waitFor } from '../support/wait';
import { workerTestKit } from '../support/worker-test-kit';
import { readJsonLines } from '../support/job-records';

const HOSTILE_JOBS = path.join(__dirname, 'fixtures/hostile-jobs.js');
const { admin, spawnWorker } = workerTestKit();

const PARTITIONS = 3;
const KEYS = 6;
const GOOD_PER_KEY = 30;
/** The whole run (produce to fully committed) must take less than this. */
const BOUND_MS = 60_000;

interface Run {
  job: 'Record' | 'Fail';
  k: string;
  s?: number;
  c?: string;
  o: number;
  a: number;
  q?: string;
  t0?: number;
}

function runs(file: string): Run[] {
  return readJsonLines<Run>(file);
}

/** The last value of a header (a dead letter record has the job's own headers first, then partita's). */
function lastHeader(message: Message, name: string): string | undefined {
  let value: string | undefined;
  for (const h of message.headers ?? []) if (name in h) value = String(h[name]);
  return value;
}

async function endTotal(topic: string, partitions: number): Promise<number> {
  const ends = await admin.endOffsets(topic, partitions);
  return [...ends.values()].reduce((a, b) => a + b, 0);
}

/** A bad message: its case name travels in an `x-case` header, which its dead letter record keeps. */
interface BadCase {
  name: string;
  key?: string;
  value: string | Buffer | null;
  headers?: Record<string, string>;
  /** The `partita-dlq-reason` its dead letter record must carry. */
  reason: string;
}

/** An envelope's JSON text with whatever a forger wants in it. */
function forgedEnvelope(name: string, caseName: string, key: string, opts: unknown): string {
  return JSON.stringify({ json: { v: 1, id: `bad-${caseName}`, name, data: { key, case: caseName }, enqueuedAt: Date.now(), opts } });
}

function corpus(queue: string, victim: string, keyOf: (i: number) => string): BadCase[] {
  const fail = (caseName: string, opts: unknown, reason: string, i: number): BadCase => ({
    name: caseName,
    value: forgedEnvelope('Fail', caseName, keyOf(i), opts),
    headers: envelopeHeaders({ v: 1, name: 'Fail', id: `bad-${caseName}` }),
    reason,
  });
  const cases: Array<(i: number) => BadCase> = [
    () => ({ name: 'garbage-bytes', value: Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x22, 0x80, 0xc3, 0x28]), reason: 'undecodable' }),
    () => ({ name: 'null-value', value: null, reason: 'undecodable' }),
    () => ({ name: 'empty-value', value: Buffer.alloc(0), reason: 'undecodable' }),
    () => ({ name: 'not-json', value: 'hello, worker {', reason: 'undecodable' }),
    (i) => ({
      name: 'wrong-version',
      value: JSON.stringify({ json: { v: 2, id: 'bad-v2', name: 'Record', data: { key: keyOf(i) }, enqueuedAt: 1, opts: {} } }),
      reason: 'unknown-version',
    }),
    () => ({ name: 'missing-fields', value: JSON.stringify({ json: { v: 1, name: 'Record' } }), reason: 'undecodable' }),
    (i) => fail('attempts-abc', { attempts: 'abc' }, 'invalid-options', i),
    (i) => fail('attempts-1e9', { attempts: 1e9, backoff: 'x' }, 'invalid-options', i),
    (i) => fail('attempts-negative', { attempts: -1 }, 'invalid-options', i),
    (i) => fail('backoff-3e9', { attempts: 3, backoff: 3e9 }, 'invalid-options', i),
    (i) => fail('dead-letter-internal-topic', { attempts: 1, deadLetter: '__consumer_offsets' }, 'invalid-options', i),
    // Valid options, but a target this worker does not allow: the job runs, fails, and goes to the default.
    (i) => fail('dead-letter-victim-queue', { attempts: 1, deadLetter: victim }, 'failed', i),
    (i) => fail('dead-letter-own-queue', { attempts: 1, deadLetter: queue }, 'failed', i),
    // superjson's path (a `meta`) would make the own __proto__ the prototype: a valid job dead-lettering into V.
    (i) => ({
      name: 'proto-envelope',
      value: `{"json":{"__proto__":{"v":1,"id":"bad-proto","name":"Fail","enqueuedAt":1,"opts":{"attempts":1,"deadLetter":${JSON.stringify(victim)}}},"data":{"key":${JSON.stringify(keyOf(i))},"case":"proto-envelope"}},"meta":{"values":{"data.none":["undefined"]}}}`,
      reason: 'undecodable',
    }),
    (i) => ({
      name: 'proto-opts',
      value: forgedEnvelope('Fail', 'proto-opts', keyOf(i), { attempts: 1 }).replace(
        '"opts":{',
        `"opts":{"__proto__":{"deadLetter":${JSON.stringify(victim)}},`,
      ),
      reason: 'undecodable',
    }),
    (i) => ({
      name: 'unknown-job',
      value: encodeEnvelope({ v: 1, id: 'bad-unknown', name: 'NoSuchJob', data: { key: keyOf(i) }, enqueuedAt: Date.now(), opts: {} }),
      headers: envelopeHeaders({ v: 1, name: 'NoSuchJob', id: 'bad-unknown' }),
      reason: 'unknown-job',
    }),
    () => ({ name: 'huge-header', value: 'not an envelope', headers: { 'x-junk': 'j'.repeat(512 * 1024) }, reason: 'undecodable' }),
  ];
  return cases.map((make, i) => {
    const bad = make(i);
    return { ...bad, key: keyOf(i), headers: { ...bad.headers, 'x-case': bad.name } };
  });
}

test('hostile messages among good jobs: every good job runs in key order, every bad one is dead-lettered once with a reason, nothing reaches another queue', async () => {
  const queue = uniqueName('hostile');
  const victim = uniqueName('hostile-victim');
  const group = uniqueName('hostile-group');
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  const victimRecordFile = path.join(os.tmpdir(), `${victim}.jsonl`);
  await admin.createTopic(queue, PARTITIONS);
  await admin.createTopic(victim, 1);
  const env = { PARTITA_BROKERS: BROKERS };
  const worker = spawnWorker({ jobs: HOSTILE_JOBS, queue, group, concurrency: 8, env: { ...env, QUEUE: queue, RECORD_FILE: recordFile } });
  const victimWorker = spawnWorker({
    jobs: HOSTILE_JOBS,
    queue: victim,
    group: uniqueName('victim-group'),
    env: { ...env, QUEUE: victim, RECORD_FILE: victimRecordFile },
  });
  try {
    await waitFor(() => worker.assigned().size === PARTITIONS && victimWorker.assigned().size === 1, {
      timeoutMs: 60000,
      message: () => `both workers assigned:\n${worker.lines.slice(-5).join('\n')}\n${victimWorker.lines.slice(-5).join('\n')}`,
    });

    // Good jobs on KEYS keys; the bad messages spread over the same keys, in the middle of their runs.
    const keyOf = (i: number) => `key-${i % KEYS}`;
    const placed = corpus(queue, victim, keyOf);
    const bad = [...placed];
    const messages: RawMessage[] = [];
    for (let seq = 0; seq < GOOD_PER_KEY; seq++) {
      for (let k = 0; k < KEYS; k++) {
        const key = `key-${k}`;
        const envelope = { v: 1 as const, id: `good-${k}-${seq}`, name: 'Record', data: { key, seq }, enqueuedAt: Date.now(), opts: {} };
        messages.push({ key, value: encodeEnvelope(envelope), headers: envelopeHeaders(envelope) });
      }
      // Three bad messages after every few rounds of good ones, from round 3 on.
      if (seq >= 3 && seq % 2 === 1) {
        for (const b of bad.splice(0, 3)) messages.push({ key: b.key, value: b.value, headers: b.headers });
      }
    }
    expect(bad).toHaveLength(0); // all placed
    const started = Date.now();
    await produceRaw(queue, messages);

    const good = KEYS * GOOD_PER_KEY;
    const goodRuns = () => runs(recordFile).filter((r) => r.job === 'Record');
    await waitFor(() => new Set(goodRuns().map((r) => `${r.k}/${r.s}`)).size === good, {
      timeoutMs: BOUND_MS,
      message: () => `${good} good jobs (have ${new Set(goodRuns().map((r) => `${r.k}/${r.s}`)).size}); worker:\n${worker.lines.slice(-10).join('\n')}`,
    });
    // Every message settled: its dead letter (if any) was acknowledged before the commit passed it.
    await waitForFullyCommitted(admin, group, queue, PARTITIONS, Math.max(1000, BOUND_MS - (Date.now() - started)));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(BOUND_MS);

    // Good jobs: each once, in key order, one at a time per key.
    const byKey = new Map<string, Run[]>();
    for (const r of goodRuns()) byKey.set(r.k, [...(byKey.get(r.k) ?? []), r]);
    expect(goodRuns()).toHaveLength(good);
    for (const [key, list] of byKey) {
      const inStartOrder = [...list].sort((a, b) => a.t0! - b.t0!);
      expect({ key, seqs: inStartOrder.map((r) => r.s) }).toEqual({ key, seqs: Array.from({ length: GOOD_PER_KEY }, (_, s) => s) });
    }

    // Bad messages: each exactly once in the queue's own DLQ, with its reason.
    const dlq = `${queue}.dlq`;
    expect(await endTotal(dlq, PARTITIONS)).toBe(placed.length);
    const records = await readTopic(dlq, PARTITIONS, placed.length);
    const got = records.map((m) => [lastHeader(m, 'x-case'), lastHeader(m, 'partita-dlq-reason')]).sort();
    expect(got).toEqual(placed.map((b) => [b.name, b.reason]).sort());
    for (const m of records) expect(lastHeader(m, 'partita-dlq-source-topic')).toBe(queue);
    const huge = records.find((m) => lastHeader(m, 'x-case') === 'huge-header');
    expect(lastHeader(huge!, 'x-junk')).toHaveLength(512 * 1024);

    // Only the two forged dead letter targets with valid options ran (once each); the poison never did.
    const failRuns = runs(recordFile).filter((r) => r.job === 'Fail');
    expect(failRuns.map((r) => [r.c, r.a]).sort()).toEqual([
      ['dead-letter-own-queue', 1],
      ['dead-letter-victim-queue', 1],
    ]);
    // The worker named the refused targets and the option that would allow them.
    await worker.waitForLine(
      new RegExp(`asked for dead letter topic ${victim}, which this worker does not allow; it went to ${dlq} instead.*deadLetterTopics`),
      5000,
    );
    await worker.waitForLine(new RegExp(`asked for dead letter topic ${queue}, which this worker does not allow`), 5000);

    // Nothing was written back into the queue, and nothing reached the victim queue or its worker.
    expect(await endTotal(queue, PARTITIONS)).toBe(messages.length);
    expect(await endTotal(victim, 1)).toBe(0);
    expect(runs(victimRecordFile)).toEqual([]);
    expect(worker.running && victimWorker.running).toBe(true);
  } finally {
    await Promise.all([worker.kill(), victimWorker.kill()]);
    for (const topic of [queue, `${queue}.dlq`, victim, `${victim}.dlq`]) await admin.deleteTopic(topic).catch(() => undefined);
    for (const file of [recordFile, victimRecordFile]) fs.rmSync(file, { force: true });
  }
});
