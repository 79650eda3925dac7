'use strict';
// The BullMQ side of scripts/bench/worker.js: BullMQ's "worker-concurrent" scenario on the local
// Redis. A queue pre-filled with no-op jobs (addBulk), then `new Worker(name, async () => {},
// { connection, concurrency })` runs them all. The queue has a unique name and is obliterated
// afterwards, so no key of it stays in Redis.

const { Queue, Worker } = require('bullmq');
const { completionClock } = require('./completion-clock');
const IORedis = require('ioredis');

function redisConnection(url) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379), maxRetriesPerRequest: null };
}

/** Keys left under the queue's prefix (should be 0 after obliterate). */
async function leftoverKeys(url, name) {
  const redis = new IORedis(redisConnection(url));
  try {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${name}:*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

/**
 * Fills a fresh queue with `expected` no-op jobs and runs them with one Worker.
 * Timed from the first `completed` event to the last. Returns { count, seconds, rate, ... }.
 */
async function runBullmqWorker({ redisUrl, expected, concurrency, batch = 1_000, timeoutMs = 180_000 }) {
  const name = `partita-bench-worker-${Date.now().toString(36)}`;
  const connection = redisConnection(redisUrl);
  const queue = new Queue(name, { connection });
  let worker;
  try {
    const fillStarted = process.hrtime.bigint();
    for (let start = 0; start < expected; start += batch) {
      const jobs = [];
      for (let i = start; i < Math.min(start + batch, expected); i++) jobs.push({ name: 'noop', data: { i } });
      await queue.addBulk(jobs);
    }
    const fillSeconds = Number(process.hrtime.bigint() - fillStarted) / 1e9;

    worker = new Worker(name, async () => {}, { connection, concurrency });
    worker.on('error', () => undefined);
    const clock = completionClock(worker, expected, timeoutMs, 'BullMQ');
    await clock.finished;
    const { count, failed, first, last } = clock;
    const seconds = clock.seconds();
    return { count, seconds, rate: count / seconds, failed, fillSeconds, queue: name, window: [String(first), String(last)] };
  } finally {
    if (worker) await worker.close().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const left = await leftoverKeys(redisUrl, name).catch(() => -1);
    if (left !== 0) console.error(`BullMQ queue ${name}: ${left} Redis keys left after obliterate`);
  }
}

module.exports = { runBullmqWorker };
