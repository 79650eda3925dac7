'use strict';
// The baseline of scripts/bench/worker.js: a bare librdkafka KafkaConsumer (callback API) that only
// consumes and commits. No decoding, no job bookkeeping: the most a Node.js consumer can take from
// the broker on this machine, which is the limit for any Kafka job runner.

const Kafka = require('@confluentinc/kafka-javascript');

const POLL_TIMEOUT_MS = 100;

/**
 * Consumes `expected` messages of `topic` in group `groupId` with `consume(batchSize)` in a loop.
 * Offsets are stored after every batch (enable.auto.offset.store=false + offsetsStore, as partita
 * does) and committed by librdkafka's auto-commit, and on close.
 * Returns { count, seconds, rate } timed from the first message received to the last.
 */
function runRawConsumer({ brokers, topic, groupId, expected, batchSize, timeoutMs = 120_000 }) {
  return new Promise((resolve, reject) => {
    const consumer = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': brokers,
        'group.id': groupId,
        'client.id': 'partita-bench-raw',
        'enable.auto.commit': true,
        'auto.commit.interval.ms': 1000,
        'enable.auto.offset.store': false,
      },
      // A topic property: in the global config the binding's (empty) topic config would override it.
      { 'auto.offset.reset': 'earliest' },
    );
    let count = 0;
    let first;
    let last;
    let settled = false;
    const guard = setTimeout(() => fail(new Error(`raw consumer: only ${count}/${expected} messages after ${timeoutMs} ms`)), timeoutMs);

    function fail(error) {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      consumer.disconnect(() => reject(error));
    }

    function done() {
      settled = true;
      clearTimeout(guard);
      const seconds = Number(last - first) / 1e9;
      // disconnect() commits the stored offsets (enable.auto.commit) before leaving the group.
      consumer.disconnect(() => resolve({ count, seconds, rate: count / seconds, window: [String(first), String(last)] }));
    }

    function loop() {
      consumer.consume(batchSize, (err, messages) => {
        if (settled) return;
        if (err && err.code !== Kafka.CODES.ERRORS.ERR__TIMED_OUT && err.code !== Kafka.CODES.ERRORS.ERR__PARTITION_EOF) {
          fail(err instanceof Error ? err : new Error(err.message));
          return;
        }
        if (messages && messages.length > 0) {
          const now = process.hrtime.bigint();
          if (first === undefined) first = now;
          count += messages.length;
          // One store per partition per batch: one past the highest offset seen.
          const next = new Map();
          for (const m of messages) next.set(m.partition, m.offset + 1);
          const offsets = [];
          for (const [partition, offset] of next) offsets.push({ topic, partition, offset });
          consumer.offsetsStore(offsets);
          if (count >= expected) {
            last = now;
            done();
            return;
          }
        }
        setImmediate(loop);
      });
    }

    consumer.connect({ timeout: 30_000 }, (err) => {
      if (err) {
        fail(new Error(`raw consumer could not connect to ${brokers}: ${err.message}`));
        return;
      }
      consumer.setDefaultConsumeTimeout(POLL_TIMEOUT_MS);
      consumer.subscribe([topic]);
      loop();
    });
  });
}

module.exports = { runRawConsumer };
