'use strict';
// The BullMQ side of scripts/bench/enqueue.js: Queue.add one at a time and Queue.addBulk on Redis.

const { Queue } = require('bullmq');

function redisConnection(url) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379), maxRetriesPerRequest: null };
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const count = await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // BullMQ's calls return once Redis stored the jobs: both rates are the same.
  return { count, seconds, rate: count / seconds, returnedRate: count / seconds };
}

/** Runs the BullMQ scenarios; returns rows shaped like partita's. */
async function runBullmq({ redisUrl, sizes, batch, jobData }) {
  const name = `partita-bench-${Date.now().toString(36)}`;
  const queue = new Queue(name, { connection: redisConnection(redisUrl) });
  const results = [];
  try {
    // Warm-up: connection, Lua scripts loaded, JIT.
    await queue.addBulk(Array.from({ length: 2_000 }, (_, i) => ({ name: 'warmup', data: jobData(i) })));

    results.push({
      system: 'BullMQ',
      scenario: 'Queue.add, one at a time',
      ...(await timed(async () => {
        for (let i = 0; i < sizes.bullOne; i++) await queue.add('recalc', jobData(i));
        return sizes.bullOne;
      })),
    });

    results.push({
      system: 'BullMQ',
      scenario: `Queue.addBulk, batches of ${batch.toLocaleString('en-US')}`,
      ...(await timed(async () => {
        for (let start = 0; start < sizes.bullBulk; start += batch) {
          const jobs = [];
          for (let i = start; i < start + batch; i++) jobs.push({ name: 'recalc', data: jobData(i) });
          await queue.addBulk(jobs);
        }
        return sizes.bullBulk;
      })),
    });
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return results;
}

module.exports = { runBullmq };
