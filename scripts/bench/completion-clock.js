'use strict';
// Times a worker from its first `completed` event to its `expected`-th, so that connecting and
// joining are not counted. Shared by the partita and BullMQ contenders.
function completionClock(worker, expected, timeoutMs, label) {
  const clock = { count: 0, failed: 0, first: undefined, last: undefined };
  clock.finished = new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${label}: only ${clock.count}/${expected} jobs completed after ${timeoutMs} ms`)), timeoutMs);
    worker.on('completed', () => {
      const now = process.hrtime.bigint();
      if (clock.count === 0) clock.first = now;
      if (++clock.count === expected) {
        clock.last = now;
        clearTimeout(guard);
        resolve();
      }
    });
  });
  worker.on('failed', () => clock.failed++);
  clock.seconds = () => Number(clock.last - clock.first) / 1e9;
  return clock;
}

module.exports = { completionClock };
