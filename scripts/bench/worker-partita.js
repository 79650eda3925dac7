'use strict';
// The partita side of scripts/bench/worker.js: a Worker from @partita/worker consuming a
// pre-filled topic with a no-op processor (or a registered no-op Job class, or a job that sleeps).

const { createHash } = require('node:crypto');
const { completionClock } = require('./completion-clock');
const { loadPackage } = require('./partita-packages');

function loadPartita() {
  return { worker: loadPackage('worker'), job: loadPackage('job') };
}

/**
 * The options every partita row of the worker benchmark runs with. The one place to change them;
 * with `withState` (the "partita + state" row, `--with-state` in worker.js) they add the job-state
 * store (@partita/state) in the local Redis, under a prefix of the run's own.
 *
 * @param {object} p
 * @param {string} p.brokers
 * @param {string} p.groupId
 * @param {number} p.concurrency      jobs in flight in the process
 * @param {number} p.batchSize        messages taken per poll
 * @param {number} [p.maxPartitions]  virtual partitions (lanes) per Kafka partition; default: concurrency
 * @param {number} [p.highWatermark]  back-pressure marks; default: the worker's (1000 / highWatermark / 2)
 * @param {number} [p.lowWatermark]
 * @param {boolean} [p.withState]     the "with state" row: the store with its default options
 */
function partitaWorkerOptions({ brokers, groupId, concurrency, batchSize, maxPartitions, highWatermark, lowWatermark, withState = false }) {
  const options = {
    connection: { brokers },
    groupId,
    concurrency,
    batchSize,
    virtualPartitions: maxPartitions === undefined ? {} : { maxPartitions },
    // No jobs fail here; the DLQ topic (<queue>.dlq) is still created at startup as in production.
  };
  if (highWatermark !== undefined) options.highWatermark = highWatermark;
  if (lowWatermark !== undefined) options.lowWatermark = lowWatermark;
  // The job-state store in the local Redis, under a prefix of its own that is removed afterwards.
  options.state = withState ? { redis: STATE_REDIS_URL, prefix: statePrefix(groupId) } : false;
  return options;
}

const STATE_REDIS_URL = process.env.PARTITA_REDIS_URL || 'redis://127.0.0.1:6379';
// Short, as the default prefix ('partita') is: Redis hashes, copies and compares every key of
// every job, and a prefix built from the consumer group's name made each one 40 bytes longer.
const statePrefix = (groupId) => `pb-${createHash('sha1').update(groupId).digest('hex').slice(0, 8)}`;

/**
 * A job-state store under the prefix a `withState` worker of `groupId` writes to: given to the
 * fill's Queue, it records the jobs as waiting, as a Queue with state does.
 */
function stateStoreFor(groupId) {
  const { createStateStore } = loadPackage('state');
  return createStateStore({ redis: STATE_REDIS_URL, prefix: statePrefix(groupId) });
}

/** Deletes the state keys a `withState` run wrote. */
async function removeStateKeys(groupId) {
  const Redis = require('ioredis');
  const redis = new Redis(STATE_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${statePrefix(groupId)}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** How long a job of the given variant takes: a no-op, or `sleepMs` on a timer. */
function makeHandler(variant, { topic, jobName, sleepMs }, { Job }) {
  const sleep = sleepMs > 0 ? () => new Promise((resolve) => setTimeout(resolve, sleepMs)) : undefined;
  if (variant === 'processor') return sleep ? async () => sleep() : async () => {};
  if (variant === 'job-class') {
    class BenchNoop extends Job {
      async perform() {
        if (sleep) await sleep();
      }
    }
    BenchNoop.queue = topic;
    BenchNoop.jobName = jobName;
    return [BenchNoop];
  }
  throw new Error(`unknown partita variant ${variant}`);
}

/**
 * Runs a Worker built with `partitaWorkerOptions(settings)` until `expected` jobs completed. Timed from the first `completed` event to the
 * last, so group join and the first fetch are not counted (as for the other contenders).
 */
async function runPartitaWorker({ variant, topic, jobName, expected, sleepMs = 0, settings, timeoutMs = 180_000 }) {
  const partita = loadPartita();
  const options = partitaWorkerOptions(settings);
  const worker = new partita.worker.Worker(topic, makeHandler(variant, { topic, jobName, sleepMs }, partita.job), options);
  const errors = [];
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
  const clock = completionClock(worker, expected, timeoutMs, 'partita');
  worker.on('error', (error) => errors.push(error.message));
  const started = process.hrtime.bigint();
  try {
    await worker.run();
    await clock.finished;
  } finally {
    clearInterval(rssTimer);
    await worker.close({ timeoutMs: 10_000 });
    if (settings.withState) await removeStateKeys(settings.groupId);
  }
  const { count, failed, first, last } = clock;
  const seconds = clock.seconds();
  return {
    count,
    seconds,
    rate: count / seconds,
    failed,
    errors: errors.slice(0, 5),
    startupSeconds: Number(first - started) / 1e9,
    window: [String(first), String(last)],
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}

/** Without Kafka: `lanes` loops each awaiting a `sleepMs` timer, for `seconds`. What timers allow. */
async function runTimerBaseline({ lanes, sleepMs, seconds }) {
  const sleep = () => new Promise((resolve) => setTimeout(resolve, sleepMs));
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (process.hrtime.bigint() < until) {
        await sleep();
        count++;
      }
    }),
  );
  const ended = process.hrtime.bigint();
  const elapsed = Number(ended - started) / 1e9;
  return { count, seconds: elapsed, rate: count / elapsed, window: [String(started), String(ended)] };
}

module.exports = { partitaWorkerOptions, stateStoreFor, runPartitaWorker, runTimerBaseline };
