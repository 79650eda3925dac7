#!/usr/bin/env node
// Enqueue throughput: partita on the local Kafka beside BullMQ on the local Redis, in one run.
//
//   npx turbo run build      # or: npx tsc -p packages/job && npx tsc -p packages/enqueuer
//   node scripts/bench/enqueue.js [--quick] [--no-write]
//
// Prints a table and rewrites the "Enqueue" section of BENCHMARKS.md (unless --no-write).
// Each scenario counts only jobs the store has confirmed: partita's async runs include the final
// flush (every job acknowledged by the broker), BullMQ's add resolves after Redis stored the job.
'use strict';

const os = require('node:os');
const path = require('node:path');
const { execSync } = require('node:child_process');
const { runBullmq } = require('./bullmq-enqueue');
const { updateSection } = require('./benchmarks-md');
const { loadPackage } = require('./partita-packages');

const ROOT = path.resolve(__dirname, '../..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const BROKERS = process.env.PARTITA_BROKERS || '127.0.0.1:9092';
const REDIS_URL = process.env.PARTITA_REDIS_URL || 'redis://127.0.0.1:6379';
const PARTITIONS = 12;

// Sized so that the whole run stays under two minutes on a 2-core machine.
const SIZES = QUICK
  ? { syncSeconds: 2, asyncOne: 20_000, bulk: 50_000, bullOne: 3_000, bullBulk: 20_000 }
  : { syncSeconds: 5, asyncOne: 300_000, bulk: 1_000_000, bullOne: 20_000, bullBulk: 300_000 };
const BATCH = 1_000;

function loadPartita() {
  return { enqueuer: loadPackage('enqueuer'), kafka: loadPackage('kafka') };
}

/** A job as a web handler would enqueue it: an id, a few fields, a date. About 200 bytes. */
function jobData(i) {
  return {
    userId: `user-${i % 1000}`,
    orderId: `order-${i}`,
    action: 'recalculate-totals',
    items: [
      { sku: 'A-1', qty: 2 },
      { sku: 'B-7', qty: 1 },
    ],
    requestedAt: new Date(1_700_000_000_000 + i),
  };
}

const keyOf = (i) => `user-${i % 1000}`;

/**
 * Runs a scenario. `fn` returns the job count, and may call `mark()` when the last call returned
 * (before the final flush), so that both "calls returned" and "acknowledged" rates are reported.
 */
async function timed(fn) {
  const started = process.hrtime.bigint();
  let returnedAt;
  const count = await fn(() => (returnedAt = process.hrtime.bigint()));
  const ended = process.hrtime.bigint();
  const seconds = Number(ended - started) / 1e9;
  const returnedSeconds = Number((returnedAt ?? ended) - started) / 1e9;
  return { count, seconds, rate: count / seconds, returnedRate: count / returnedSeconds };
}

async function runPartita({ enqueuer, kafka }) {
  const topic = `partita-bench-enqueue-${Date.now().toString(36)}`;
  const connection = { brokers: BROKERS };
  // The enqueuer alone: no job-state store, even if PARTITA_REDIS_URL is set.
  const queueOptions = { connection, state: false };
  const admin = kafka.createTopicAdmin(connection);
  await admin.ensureTopic(topic, { partitions: PARTITIONS, replicationFactor: 1 });
  const results = [];
  try {
    // Warm-up: connection, metadata, JIT.
    {
      const warm = new enqueuer.Queue(topic, queueOptions);
      await warm.addBulk(Array.from({ length: 2_000 }, (_, i) => ({ name: 'warmup', data: jobData(i), opts: { key: keyOf(i) } })));
      await warm.add('warmup', jobData(0), { key: keyOf(0), dispatch: 'sync' });
      await warm.close();
    }

    const queue = new enqueuer.Queue(topic, queueOptions);

    // 1. add, one at a time, sync: each call waits for the broker's acknowledgement.
    results.push({
      system: 'partita',
      scenario: 'add, one at a time, sync (acked)',
      ...(await timed(async () => {
        const until = Date.now() + SIZES.syncSeconds * 1000;
        let n = 0;
        while (Date.now() < until) {
          await queue.add('recalc', jobData(n), { key: keyOf(n), dispatch: 'sync' });
          n++;
        }
        return n;
      })),
    });

    // 2. add, one at a time, async: each call awaited (returns once queued in the process);
    //    the clock stops when the final flush saw every job acknowledged.
    results.push({
      system: 'partita',
      scenario: 'add, one at a time, async (+ flush)',
      ...(await timed(async (mark) => {
        for (let i = 0; i < SIZES.asyncOne; i++) await queue.add('recalc', jobData(i), { key: keyOf(i) });
        mark();
        await queue.flush();
        return SIZES.asyncOne;
      })),
    });

    // 3. addBulk in batches of 1,000, async; the clock stops after the final flush.
    results.push({
      system: 'partita',
      scenario: `addBulk, batches of ${BATCH.toLocaleString('en-US')}, async (+ flush)`,
      ...(await timed(async (mark) => {
        for (let start = 0; start < SIZES.bulk; start += BATCH) {
          const batch = [];
          for (let i = start; i < start + BATCH; i++) batch.push({ name: 'recalc', data: jobData(i), opts: { key: keyOf(i) } });
          await queue.addBulk(batch);
        }
        mark();
        await queue.flush();
        return SIZES.bulk;
      })),
    });

    await queue.close();
    // Every job of the measured scenarios (and the warm-up) must be on the topic.
    const marks = await admin.watermarks(topic);
    const stored = marks.reduce((sum, m) => sum + m.high - m.low, 0);
    const expected = 2_001 + results.reduce((sum, r) => sum + r.count, 0);
    if (stored !== expected) throw new Error(`partita lost jobs: ${stored} stored, ${expected} sent`);
  } finally {
    await admin.deleteTopic(topic).catch(() => undefined);
    admin.close();
  }
  return results;
}

function formatTable(results) {
  const rows = results.map((r) => [
    r.system,
    r.scenario,
    r.count.toLocaleString('en-US'),
    r.seconds.toFixed(2),
    Math.round(r.rate).toLocaleString('en-US'),
    Math.round(r.returnedRate).toLocaleString('en-US'),
  ]);
  const header = ['system', 'scenario', 'jobs', 'seconds', 'jobs/s (stored/acked)', 'jobs/s (calls returned)'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i >= 2 ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function versions({ kafka }) {
  const kafkaVersion = 'Kafka 4.1 (scripts/kafka)';
  let librdkafka = 'unknown';
  try {
    librdkafka = require('@confluentinc/kafka-javascript').librdkafkaVersion;
  } catch {
    /* reported as unknown */
  }
  let redis = 'Redis';
  try {
    redis = `Redis ${execSync('redis-cli -u ' + REDIS_URL + ' INFO server', { encoding: 'utf8' }).match(/redis_version:(\S+)/)[1]}`;
  } catch {
    /* reported without version */
  }
  return {
    kafka: kafkaVersion,
    librdkafka,
    redis,
    bullmq: require('bullmq/package.json').version,
    node: process.version,
    producer: kafka.resolveProducerOptions(),
  };
}

async function main() {
  const partita = loadPartita();
  console.log(`enqueue benchmark: partita on Kafka ${BROKERS}, BullMQ on ${REDIS_URL}${QUICK ? ' (quick)' : ''}`);
  const started = Date.now();
  const results = [...(await runPartita(partita)), ...(await runBullmq({ redisUrl: REDIS_URL, sizes: SIZES, batch: BATCH, jobData }))];
  const table = formatTable(results);
  console.log(`\n${table}\n`);

  const rate = (system, text) => results.find((r) => r.system === system && r.scenario.includes(text)).rate;
  const bullBulk = rate('BullMQ', 'addBulk');
  const ratioAsync = rate('partita', 'one at a time, async') / bullBulk;
  const ratioBulk = rate('partita', 'addBulk') / bullBulk;
  const goal = `Goal: partita async/bulk enqueue ≥ 3× BullMQ addBulk. Measured: async one-at-a-time ${ratioAsync.toFixed(1)}×, addBulk ${ratioBulk.toFixed(1)}× BullMQ addBulk — ${
    ratioAsync >= 3 && ratioBulk >= 3 ? 'met' : ratioBulk >= 3 || ratioAsync >= 3 ? 'met for one of the two' : 'NOT met'
  }.`;
  console.log(goal);

  const v = versions(partita);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cpus = os.cpus();
  const machine = `${cpus.length} cores (${cpus[0] ? cpus[0].model.trim() : 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`;
  const section = [
    `Command: \`node scripts/bench/enqueue.js${QUICK ? ' --quick' : ''}\` (after \`npx turbo run build\`), run ${date} in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
    `Machine: ${machine}. Broker and Redis on the same machine (single-node ${v.kafka}; ${v.redis}); Node ${v.node}, librdkafka ${v.librdkafka}, BullMQ ${v.bullmq}.`,
    '',
    table,
    '',
    goal,
    '',
    `How it is measured: job data is a ~200-byte object with a Date; partita jobs carry a key (1,000 distinct keys) on a ${PARTITIONS}-partition topic, ` +
      `through one idempotent producer (acks=all, linger.ms=${v.producer.lingerMs}, compression ${v.producer.compression}; async jobs on its channel without success reports, sync jobs on its acknowledged channel). ` +
      `"one at a time" awaits every call. The "stored/acked" rate stops the clock when every job is stored: for partita's async rows that is after a final flush saw every job acknowledged by the broker ` +
      `(the "calls returned" rate is what the caller saw: async add returns once the job is queued in the process), ` +
      `and the run checks the topic's message count against the jobs sent. Sync rows are bound by linger.ms plus one broker round trip per job. ` +
      `BullMQ's add/addBulk resolve once Redis stored the jobs, so both of its rates are the same (no keys: BullMQ has no per-key ordering to pay for). ` +
      `The machine is shared with the broker, Redis and other work: rates vary by about ±20% between runs.`,
    '',
    'Where the time goes: the Node main thread is the limit; per job it writes the envelope (native `JSON.stringify`, ' +
      'Dates as ISO text), copies it into a Buffer and hands it to the binding, while librdkafka and the broker share the other core. ' +
      'Async jobs go through a librdkafka producer that reports failed deliveries only: a delivery report per message (a JS object, ' +
      'a copy of the key and a reference held for the message by the binding) cost about 6 µs of CPU per message, more than the rest ' +
      'of producing it (a bare producer of the same messages: about 10 µs per message with reports, 3.5 µs without). ' +
      'Each message carries one `partita` header: with three headers (name, id, version) a bare producer of the same messages ' +
      'reached about 52k messages/s, with one about 69k, because the binding and librdkafka copy every header several times.',
  ].join('\n');
  if (!args.has('--no-write')) {
    updateSection(path.join(ROOT, 'BENCHMARKS.md'), 'Enqueue', section);
    console.log('BENCHMARKS.md: Enqueue section updated');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
