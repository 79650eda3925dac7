'use strict';
// Fills a benchmark topic with no-op jobs through partita's own Queue.addBulk, and checks that the
// topic holds exactly that many messages. Shared by worker.js and worker-ab.js.

/**
 * @param {object} p
 * @param {object} p.enqueuer  the built @partita/enqueuer module
 * @param {object} p.admin     a TopicAdmin (createTopicAdmin) on the same broker
 * @param {string} p.brokers
 * @param {string} p.topic     an existing, empty topic
 * @param {number} p.count     jobs to enqueue
 * @param {number} p.keys      distinct keys, `key-0` … `key-<keys-1>`, in turn
 * @param {string} p.jobName
 * @param {object} [p.stateStore] a @partita/state StateStore: the Queue records each job in it as
 *   `waiting`, as a Queue with state does (else the enqueuer alone, even if PARTITA_REDIS_URL is set)
 * @returns {Promise<Array<{ partition: number, low: number, high: number }>>} the topic's watermarks
 */
async function fillTopic({ enqueuer, admin, brokers, topic, count, keys, jobName, stateStore }) {
  const started = Date.now();
  const queue = new enqueuer.Queue(topic, { connection: { brokers }, state: stateStore ?? false });
  try {
    for (let start = 0; start < count; start += 1_000) {
      const jobs = [];
      for (let i = start; i < Math.min(start + 1_000, count); i++) jobs.push({ name: jobName, data: { i }, opts: { key: `key-${i % keys}` } });
      await queue.addBulk(jobs);
      // The fill is not timed: let the state writes keep up rather than overflow the store's buffer.
      while (stateStore && stateStore.bufferedWrites > 20_000) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await queue.flush();
  } finally {
    await queue.close();
  }
  if (stateStore) {
    if (!(await stateStore.flush(60_000))) throw new Error(`filling ${topic}: the waiting records were not all written within 60 s`);
    if (stateStore.droppedWrites > 0) throw new Error(`filling ${topic}: ${stateStore.droppedWrites} waiting records dropped`);
  }
  const marks = await admin.watermarks(topic);
  const stored = marks.reduce((sum, m) => sum + m.high - m.low, 0);
  if (stored !== count) throw new Error(`filling ${topic}: ${stored} messages stored, ${count} sent`);
  console.log(
    `  filled ${topic}: ${count.toLocaleString('en-US')} jobs, ${keys} keys, ${marks.length} partition(s)${stateStore ? ', recorded as waiting' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return marks;
}

module.exports = { fillTopic };
