// Dead letters under hostile input, driven from outside: a real `partita worker` process, messages
// and dead letter records produced with a plain Kafka client, and the `partita dlq` CLI.
// - Jobs that throw odd values (an Error with a numeric stack or name or an object message, an
//   object without a prototype, one whose toString throws, a proxy whose every trap throws, a
//   string, undefined, a 2 MB message) use their attempts and land in the DLQ exactly once each.
// - A dead letter record keeps the job's header bytes exactly: non-UTF-8 values, repeated names,
//   a header named __proto__, and a forged partita-dlq-source-topic (partita's own comes last).
// - `dlq replay` writes only to --queue, filters --job on the envelope, and re-validates options.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Message } from '@confluentinc/kafka-javascript';
import { decodeEnvelope, encodeEnvelope, envelopeHeaders } from '@partita/job/wire';
import { DLQ_HEADERS, REPLAY_HEADERS } from '@partita/worker/dead-letter';
import { waitForFullyCommitted } from '../support/committed';
import { BROKERS } from '../support/kafka-admin';
import { produceRaw, RawMessage, readTopic } from '../support/raw-kafka';
import { uniqueName, waitFor } from '../support/wait';
import { workerTestKit } from '../support/worker-test-kit';

const run = promisify(execFile);
const CLI = path.join(__dirname, '../../packages/worker/bin/partita.js');
const JOBS = path.join(__dirname, 'fixtures/dead-letter-jobs.js');
const { admin, spawnWorker } = workerTestKit();

const ODD_KINDS = [
  'numericStack',
  'objectMessage',
  'numericName',
  'nullPrototype',
  'throwingToString',
  'aString',
  'undefinedValue',
  'everyTrapThrows',
  'hugeMessage',
];
const PARTITIONS = 2;

/** A record as produced raw: headers in order, names may repeat. */
type RawRecord = RawMessage & { headers: Array<[string, string | Buffer]> };

function envelope(name: string, id: string, data: unknown, opts: unknown = {}): Buffer {
  return Buffer.from(JSON.stringify({ json: { v: 1, id, name, data, enqueuedAt: Date.now(), opts } }));
}

function jobHeaders(name: string, id: string): Array<[string, string]> {
  return Object.entries(envelopeHeaders({ v: 1, name, id }));
}

/** Every header of a consumed message, in order, as [name, bytes]. */
function headerList(message: Message): Array<[string, Buffer]> {
  return (message.headers ?? []).map((h) => {
    const names = Object.keys(h);
    // The binding assigns each header's name, so __proto__ lands as the object's prototype.
    if (names.length === 0) return ['__proto__', Object.getPrototypeOf(h) as Buffer];
    return [names[0], h[names[0]] as Buffer];
  });
}

function lastHeader(message: Message, name: string): string | undefined {
  let value: string | undefined;
  for (const [n, v] of headerList(message)) if (n === name) value = v.toString();
  return value;
}

/** One try as fixtures/dead-letter-jobs.js records it: job class, kind of value thrown, offset, attempt. */
type Try = { job: string; kind: string; o: number; a: number };

function tries(file: string): Try[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Try);
}

async function endTotal(topic: string, partitions: number): Promise<number> {
  return [...(await admin.endOffsets(topic, partitions)).values()].reduce((a, b) => a + b, 0);
}

const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, PARTITA_BROKERS: BROKERS } });

test('odd thrown values, header bytes kept in the DLQ, and a replay that trusts no record', async () => {
  const queue = uniqueName('dlqfaults');
  const victim = uniqueName('victim');
  const group = uniqueName('dlqfaults-group');
  const dlq = `${queue}.dlq`;
  const recordFile = path.join(os.tmpdir(), `${queue}.jsonl`);
  await admin.createTopic(queue, PARTITIONS);
  await admin.createTopic(victim, 1);
  const worker = spawnWorker({ jobs: JOBS, queue, group, env: { QUEUE: queue, RECORD_FILE: recordFile } });
  await waitFor(() => worker.assigned().size === PARTITIONS, { timeoutMs: 60000, message: () => `assignment (${worker.lines.slice(-5).join(' | ')})` });

  // 1. Odd thrown values, each followed by a good job of its key; and one job with hostile headers.
  const bin = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);
  const hostileHeaders: Array<[string, string | Buffer]> = [
    ...jobHeaders('Throw', 'headers-1'),
    ['trace', 'first'],
    ['bin', bin],
    ['trace', 'second'],
    [DLQ_HEADERS.sourceTopic, victim],
    ['__proto__', 'not a prototype'],
  ];
  await produceRaw(queue, [
    ...ODD_KINDS.flatMap((kind): RawRecord[] => [
      { key: kind, value: envelope('Throw', `odd-${kind}`, { kind }, { attempts: 2, backoff: 10 }), headers: jobHeaders('Throw', `odd-${kind}`) },
      { key: kind, value: envelope('Fine', `fine-${kind}`, { kind }), headers: jobHeaders('Fine', `fine-${kind}`) },
    ]),
    { key: 'headers', value: envelope('Throw', 'headers-1', { kind: 'plain' }, { attempts: 1 }), headers: hostileHeaders },
  ]);
  const produced = ODD_KINDS.length * 2 + 1;
  await waitFor(async () => (await endTotal(dlq, PARTITIONS).catch(() => 0)) >= ODD_KINDS.length + 1, {
    timeoutMs: 60000,
    message: () => `every odd job in the DLQ (${worker.lines.slice(-3).join(' | ')})`,
  });
  await waitForFullyCommitted(admin, group, queue, PARTITIONS, 30000);
  expect(await endTotal(queue, PARTITIONS)).toBe(produced);
  const done = tries(recordFile);
  for (const kind of ODD_KINDS) {
    expect(done.filter((t) => t.job === 'Throw' && t.kind === kind).map((t) => t.a)).toEqual([1, 2]);
    expect(done.filter((t) => t.job === 'Fine' && t.kind === kind)).toHaveLength(1);
  }
  // Exactly once each, even after the commit: no write was repeated.
  expect(await endTotal(dlq, PARTITIONS)).toBe(ODD_KINDS.length + 1);
  const records = await readTopic(dlq, PARTITIONS, ODD_KINDS.length + 1);
  expect(records.map((m) => String(m.key)).sort()).toEqual([...ODD_KINDS, 'headers'].sort());
  for (const record of records) {
    expect(lastHeader(record, DLQ_HEADERS.attempts)).toBe(String(record.key) === 'headers' ? '1' : '2');
    expect(lastHeader(record, DLQ_HEADERS.errorMessage)!.length).toBeLessThanOrEqual(1000);
    expect(lastHeader(record, DLQ_HEADERS.errorClass)!.length).toBeGreaterThan(0);
  }
  const byKey = new Map(records.map((m) => [String(m.key), m]));
  expect(lastHeader(byKey.get('numericName')!, DLQ_HEADERS.errorClass)).toBe('404');
  expect(lastHeader(byKey.get('aString')!, DLQ_HEADERS.errorMessage)).toBe('just a string');

  // 2. The job's headers, byte for byte and in order, then partita's: the real source comes last.
  const hostile = byKey.get('headers')!;
  const kept = headerList(hostile).slice(0, hostileHeaders.length);
  expect(kept.map(([name]) => name)).toEqual(hostileHeaders.map(([name]) => name));
  for (let i = 0; i < kept.length; i++) expect(kept[i][1].equals(Buffer.from(hostileHeaders[i][1]))).toBe(true);
  expect(lastHeader(hostile, DLQ_HEADERS.sourceTopic)).toBe(queue);

  worker.signal('SIGTERM');
  expect((await worker.exited).code).toBe(0);

  // 3. Records forged straight into the DLQ, then a replay to the queue.
  const forged = (id: string, name: string, headerName: string, opts: unknown, source?: string): RawRecord => ({
    key: id,
    value: encodeEnvelope({ v: 1, id, name, data: { kind: 'plain' }, enqueuedAt: Date.now(), opts: opts as never }),
    headers: [...jobHeaders(headerName, id), ...(source ? [[DLQ_HEADERS.sourceTopic, source] as [string, string]] : [])],
  });
  const invalid: RawRecord = {
    key: 'bad-opts',
    value: envelope('Throw', 'bad-opts', { kind: 'plain' }, { attempts: 'abc' }),
    headers: jobHeaders('Throw', 'bad-opts'),
  };
  await produceRaw(dlq, [
    forged('named-in-header-only', 'Fine', 'Throw', {}), // the header says Throw, the envelope Fine
    forged('to-the-victim', 'Throw', 'Throw', {}, victim), // its source header sends it to another queue
    invalid, // options the API refuses
    forged('loops-back', 'Throw', 'Throw', { deadLetter: queue }), // dead-letters into its own queue
    forged('honest', 'Throw', 'Throw', {}, queue),
  ]);
  const dryFine = await cli(['dlq', 'replay', '--queue', queue, '--job', 'Fine', '--dry-run']);
  expect(dryFine.stdout).toMatch(/would replay 1 job\(s\)/);
  const dryThrow = await cli(['dlq', 'replay', '--queue', queue, '--job', 'Throw', '--dry-run']);
  expect(dryThrow.stdout).toMatch(new RegExp(`would replay ${ODD_KINDS.length + 1 + 3} job\\(s\\)`));

  const queueBefore = await endTotal(queue, PARTITIONS);
  const replay = await cli(['dlq', 'replay', '--queue', queue]);
  const replayed = ODD_KINDS.length + 1 + 2; // the dead jobs, the one named Fine, the honest one
  expect(replay.stdout).toMatch(new RegExp(`${replayed} replayed, 3 skipped`));
  expect(replay.stdout).toMatch(/skipped .*: it came from queue "victim-/);
  expect(replay.stdout).toMatch(/skipped .*: not a job \(.*\): opts\.attempts must be/);
  expect(replay.stdout).toMatch(/skipped .*: its deadLetter option names the queue .* itself/);
  // Nothing went anywhere but the queue asked for.
  expect(await endTotal(victim, 1)).toBe(0);
  expect(await endTotal(queue, PARTITIONS)).toBe(queueBefore + replayed);
  const all = await readTopic(queue, PARTITIONS, queueBefore + replayed);
  const again = all.filter((m) => lastHeader(m, REPLAY_HEADERS.originalId) !== undefined);
  expect(again).toHaveLength(replayed);
  const originals = again.map((m) => lastHeader(m, REPLAY_HEADERS.originalId)).sort();
  expect(originals).toEqual(['headers-1', 'honest', 'named-in-header-only', ...ODD_KINDS.map((k) => `odd-${k}`)].sort());
  for (const m of again) expect(() => decodeEnvelope(m.value)).not.toThrow();
});
