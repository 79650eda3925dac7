#!/usr/bin/env node
// Worker throughput with and without the state store, in one run: no-op jobs on the local Kafka,
// state in the local Redis. Build first: npx turbo run build. PARTITA_ROOT=<another checkout> runs
// that checkout's packages instead (see scripts/bench/partita-packages.js).
//
//   [ENQUEUER_STATE=1] [RECORD_DATA=0] node packages/state/bench/worker-state.js [jobs=100000] [rounds=1]
'use strict';

const { loadPackage } = require('../../../scripts/bench/partita-packages');
const { Queue } = loadPackage('enqueuer');
const { createTopicAdmin } = loadPackage('kafka');
const { Worker } = loadPackage('worker');
const { createStateStore, attachStateRecorder } = loadPackage('state');
const { Redis } = require('ioredis');

const JOBS = Number(process.argv[2] || 100_000);
const ROUNDS = Number(process.argv[3] || 1);
// ENQUEUER_STATE=1: the jobs are recorded as waiting when enqueued (state on both sides), so the
// worker finds their records; else only the worker records state (it sends the data too).
const ENQUEUER_STATE = process.env.ENQUEUER_STATE === '1';
const PARTITIONS = 12;
const BROKERS = process.env.PARTITA_BROKERS || '127.0.0.1:9092';
const REDIS_URL = process.env.PARTITA_REDIS_URL || 'redis://127.0.0.1:6379';

function jobData(i) {
  return {
    userId: `user-${i % 1000}`,
    orderId: `order-${i}`,
    action: 'recalculate-totals',
    items: [{ sku: 'A-1', qty: 2 }],
    requestedAt: new Date(1_700_000_000_000 + i),
  };
}

/** Enqueues the jobs; with `store`, records them as waiting too (as a Queue with state does). */
async function fill(topic, store) {
  const queue = new Queue(topic, { connection: { brokers: BROKERS } });
  for (let i = 0; i < JOBS; i += 1000) {
    const jobs = Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: 'noop', data: jobData(i + k), opts: { key: `user-${(i + k) % 1000}` } }));
    const results = await queue.addBulk(jobs);
    if (store) {
      store.recordWaiting(
        topic,
        jobs.map((job, k) => ({ id: results[k].id, name: job.name, data: job.data, opts: job.opts, key: job.opts.key, partition: results[k].partition })),
      );
      // The fill is not what is measured: let the records keep up rather than be dropped.
      while (store.bufferedWrites > 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await queue.close();
  if (store) await store.flush(60_000);
}

async function run(topic, withState, store) {
  const prefix = `pbench-${topic}`;
  let done = 0;
  let resolveDone;
  const allDone = new Promise((r) => (resolveDone = r));
  const worker = new Worker(topic, async () => undefined, { connection: { brokers: BROKERS }, groupId: `${topic}-g`, concurrency: 64 });
  worker.on('completed', () => {
    if (++done === JOBS) resolveDone();
  });
  if (store) attachStateRecorder(worker, store, { recordData: process.env.RECORD_DATA !== '0' });
  const cpu0 = process.cpuUsage();
  await worker.run();
  // Clock starts at the first job: group join time is not throughput.
  const started = await new Promise((r) => worker.once('active', () => r(process.hrtime.bigint())));
  await allDone;
  if (store) await store.flush(60_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await worker.close();
  let stateInfo = '';
  if (store) {
    const counts = await store.getJobCounts(topic);
    stateInfo = ` completed kept=${counts.completed} dropped=${store.droppedWrites}`;
    await store.close();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  return { seconds, rate: JOBS / seconds, cpuMs: (cpu.user + cpu.system) / 1000, stateInfo };
}

(async () => {
  const admin = createTopicAdmin({ brokers: BROKERS });
  const results = { without: [], with: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const withState of process.env.ONLY === 'with' ? [true] : process.env.ONLY === 'without' ? [false] : [false, true]) {
        const topic = `partita-bench-state-${Date.now().toString(36)}-${withState ? 's' : 'n'}`;
        await admin.ensureTopic(topic, { partitions: PARTITIONS, replicationFactor: 1 });
        const store = withState ? createStateStore({ redis: REDIS_URL, prefix: `pbench-${topic}`, events: process.env.EVENTS !== '0' }) : undefined;
        if (store) await store.waitUntilReady();
        await fill(topic, ENQUEUER_STATE ? store : undefined);
        const r = await run(topic, withState, store);
        results[withState ? 'with' : 'without'].push(r.rate);
        console.log(
          `${withState ? 'with state   ' : 'without state'}: ${JOBS} jobs in ${r.seconds.toFixed(2)} s = ${Math.round(r.rate)} jobs/s (process CPU ${Math.round(r.cpuMs)} ms)${r.stateInfo}`,
        );
        await admin.deleteTopic(topic).catch(() => undefined);
      }
    }
  } finally {
    admin.close();
  }
  const avg = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  if (results.with.length > 0 && results.without.length > 0) {
    const ratio = avg(results.with) / avg(results.without);
    console.log(`with/without: ${(ratio * 100).toFixed(1)}% (goal: >= 75%)`);
  }
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
