import { UnrecoverableError } from '@partita/job';
import { CommitError, DeadLetterWriteError, RevokedError, ShutdownError } from '../../src/errors';
import type { FailureInfo } from '../../src/events';
import { decodeFinishedOffsets, encodeFinishedOffsets } from '../../src/core/commit-metadata';
import { flush, setup } from './engine-harness';

const tp = (partition: number) => ({ topic: 'q', partition });

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
});

/** Tracks whether a promise has settled, without awaiting it. */
function watch<T>(promise: Promise<T>): { done: () => boolean } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { done: () => done };
}

describe('Engine', () => {
  describe('assignment', () => {
    it('emits assigned and lists the assignment', () => {
      const h = setup({}, [0, 1]);
      expect(h.engine.assignment()).toEqual([tp(0), tp(1)]);
      expect(h.named('assigned').map((e) => e.args[0])).toEqual([[tp(0), tp(1)]]);
      // Assigning a known partition again does not create a second state for it.
      h.engine.assign([tp(1), tp(2)]);
      expect(h.engine.assignment()).toEqual([tp(0), tp(1), tp(2)]);
    });

    it('ignores messages of partitions not assigned', () => {
      const h = setup({}, [0]);
      h.push([5, 0, 'a']);
      expect(h.executor.started()).toEqual([]);
      expect(h.engine.unfinished).toBe(0);
    });

    it('ignores re-delivered offsets', () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.push([0, 1, 'b'], [0, 0, 'a'], [0, 2, 'c']);
      expect(h.executor.started()).toEqual(['0@0', '0@1', '0@2']);
      expect(h.engine.unfinished).toBe(3);
    });
  });

  describe('restoring the committed state of new partitions', () => {
    it('holds messages until the committed state arrives, then runs them in order', () => {
      const h = setup({}, [0], { restore: false });
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b']);
      expect(h.executor.started()).toEqual([]);
      expect(h.engine.unfinished).toBe(0);
      h.engine.restore([{ topic: 'q', partition: 0, offset: -1 }]);
      expect(h.executor.running()).toEqual(['0@0', '0@2']);
      expect(h.engine.unfinished).toBe(3);
    });

    it('skips the offsets a previous owner finished above its commit point', async () => {
      const h = setup({}, [0], { restore: false });
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeFinishedOffsets(5, [6, 8]) }]);
      h.push([0, 5, 'a'], [0, 6, 'a'], [0, 7, 'b'], [0, 8, 'b'], [0, 9, 'c']);
      expect(h.executor.running()).toEqual(['0@5', '0@7', '0@9']);
      h.executor.complete(0, 5);
      await flush();
      h.engine.flushOffsets();
      // 6 was skipped as done: the commit point moves to 7, and 8 is carried on in the metadata.
      expect(h.control.storedWithDone()).toEqual(['0@7 +8']);
      h.executor.complete(0, 7);
      h.executor.complete(0, 9);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@7 +8', '0@10']);
      expect(h.executor.started()).toEqual(['0@5', '0@7', '0@9']);
    });

    it('applies the skips to messages held before the committed state arrived', () => {
      const h = setup({}, [0], { restore: false });
      h.push([0, 5, 'a'], [0, 6, 'a'], [0, 7, 'a']);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeFinishedOffsets(5, [6]) }]);
      expect(h.executor.running()).toEqual(['0@5']);
      expect(h.engine.unfinished).toBe(2);
    });

    it('stores the commit point moved by skipped offsets alone', () => {
      // The message at the commit point is gone (retention); the next one was done by the previous owner.
      const h = setup({}, [0], { restore: false });
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeFinishedOffsets(5, [6]) }]);
      h.push([0, 6, 'a']);
      expect(h.executor.started()).toEqual([]);
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual(['0@7']);
    });

    it('ignores metadata when nothing was committed, and metadata partita did not write', () => {
      const h = setup({}, [0, 1], { restore: false });
      h.engine.restore([
        { topic: 'q', partition: 0, offset: -1, metadata: 'pt1:1' },
        { topic: 'q', partition: 1, offset: 0, metadata: 'some other tool' },
      ]);
      h.push([0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c'], [1, 1, 'd']);
      expect(h.executor.running()).toEqual(['0@0', '1@0', '0@1', '1@1']);
    });

    it('restores a partition once, and ignores partitions not assigned', () => {
      const h = setup({}, [0], { restore: false });
      h.engine.restore([
        { topic: 'q', partition: 0, offset: -1 },
        { topic: 'q', partition: 7, offset: 0 },
      ]);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 0, metadata: encodeFinishedOffsets(0, [1]) }]);
      h.push([0, 0, 'a'], [0, 1, 'b']);
      expect(h.executor.running()).toEqual(['0@0', '0@1']);
    });

    it('counts held messages toward back-pressure', () => {
      const h = setup({ highWatermark: 3, lowWatermark: 1 }, [0], { restore: false });
      h.push([0, 0, 'a'], [0, 1, 'b']);
      expect(h.control.pauses(0)).toEqual([]);
      h.push([0, 2, 'c']);
      expect(h.control.pauses(0)).toEqual(['+']);
    });

    it('lifts a back-pressure pause when every held message turns out to be done already', () => {
      // The message at the commit point is gone (retention); all the held ones were done by the previous owner.
      const h = setup({ highWatermark: 3, lowWatermark: 1 }, [0], { restore: false });
      h.push([0, 6, 'a'], [0, 7, 'b'], [0, 8, 'c']);
      expect(h.control.pauses(0)).toEqual(['+']);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeFinishedOffsets(5, [6, 7, 8]) }]);
      expect(h.executor.started()).toEqual([]);
      expect(h.engine.unfinished).toBe(0);
      expect(h.control.pauses(0)).toEqual(['+', '-']);
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual(['0@9']);
    });

    it('keeps a back-pressure pause while the held messages that still run are over the low mark', async () => {
      const h = setup({ concurrency: 1, virtualPartitions: { maxPartitions: 1 }, highWatermark: 4, lowWatermark: 1 }, [0], { restore: false });
      h.push([0, 5, 'a'], [0, 6, 'a'], [0, 7, 'a'], [0, 8, 'a']);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeFinishedOffsets(5, [6]) }]);
      expect(h.control.pauses(0)).toEqual(['+']);
      h.executor.complete(0, 5);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+']); // 7 and 8 left
      h.executor.complete(0, 7);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
    });

    it('drops held messages of a partition revoked before its state arrived, committing nothing', async () => {
      const h = setup({}, [0], { restore: false });
      h.push([0, 0, 'a']);
      await h.engine.revoke([tp(0)], { lost: false });
      h.engine.restore([{ topic: 'q', partition: 0, offset: -1 }]);
      expect(h.executor.started()).toEqual([]);
      expect(h.control.of('commit')).toEqual([]);
    });
  });

  describe('ordering and parallelism (balanced distribution)', () => {
    it('runs different keys of one partition at once, one key at a time in offset order', async () => {
      const h = setup({ concurrency: 4 });
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, 'a'], [0, 3, 'c'], [0, 4, 'a']);
      // a@2 and a@4 wait behind a@0; b and c overlap with a.
      expect(h.executor.running()).toEqual(['0@0', '0@1', '0@3']);
      h.executor.complete(0, 1);
      await flush();
      expect(h.executor.running()).toEqual(['0@0', '0@3']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual(['0@3', '0@2']);
      h.executor.complete(0, 2);
      await flush();
      expect(h.executor.running()).toEqual(['0@3', '0@4']);
      expect(h.executor.violations).toEqual([]);
    });

    it('keeps a key in order when its later jobs arrive in later polls', async () => {
      const h = setup();
      h.push([0, 0, 'a']);
      h.push([0, 1, 'a'], [0, 2, 'b']);
      expect(h.executor.running()).toEqual(['0@0', '0@2']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual(['0@2', '0@1']);
    });

    it('runs each keyless message on its own (no order needed)', () => {
      const h = setup();
      h.push([0, 0, null], [0, 1, null], [0, 2, null]);
      expect(h.executor.running()).toEqual(['0@0', '0@1', '0@2']);
    });

    it('runs keys sharing a lane one after another with the consistent distribution', async () => {
      // With one lane every key shares it; with maxPartitions 1 the partition is strictly serial.
      const h = setup({ concurrency: 4, virtualPartitions: { maxPartitions: 1, distribution: 'consistent' } }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c']);
      expect(h.executor.running()).toEqual(['0@0', '1@0']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual(['1@0', '0@1']);
    });

    it('runs a partition strictly in order with virtualPartitions: false', async () => {
      const h = setup({ concurrency: 4, virtualPartitions: false });
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, null]);
      expect(h.executor.running()).toEqual(['0@0']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual(['0@1']);
      h.executor.complete(0, 1);
      await flush();
      expect(h.executor.running()).toEqual(['0@2']);
    });

    it('still runs a job whose partitioner failed, reporting the error', () => {
      const h = setup({ virtualPartitions: { partitioner: () => 42 as unknown as string } });
      h.push([0, 0, 'a'], [0, 1, 'b']);
      expect(h.errors).toHaveLength(2);
      expect(h.errors[0]).toBeInstanceOf(TypeError);
      expect(h.errors[0].message).toMatch(/virtualPartitions\.partitioner/);
      // Both land in one fallback group: they run in offset order.
      expect(h.executor.running()).toEqual(['0@0']);
    });
  });

  describe('lanes and concurrency', () => {
    it('runs at most maxPartitions jobs of one partition at once', async () => {
      const h = setup({ concurrency: 8, virtualPartitions: { maxPartitions: 2 } }, [0]);
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c'], [0, 3, 'd']);
      expect(h.executor.running()).toEqual(['0@0', '0@1']);
      h.executor.complete(0, 1);
      await flush();
      expect(h.executor.running()).toEqual(['0@0', '0@2']);
    });

    it('runs at most `concurrency` jobs over all partitions, taking partitions in turn', async () => {
      const h = setup({ concurrency: 3, virtualPartitions: { maxPartitions: 2 } }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c'], [1, 0, 'x'], [1, 1, 'y'], [1, 2, 'z']);
      expect(h.executor.running()).toEqual(['0@0', '1@0', '0@1']);
      expect(h.engine.running).toBe(3);
      h.executor.complete(0, 0);
      await flush();
      // Partition 0 has a free lane too, but it is partition 1's turn.
      expect(h.executor.running()).toEqual(['1@0', '0@1', '1@1']);
      h.executor.complete(1, 0);
      h.executor.complete(1, 1);
      await flush();
      expect(h.executor.running().sort()).toEqual(['0@1', '0@2', '1@2']);
    });

    it('keeps every invariant under a long deterministic random schedule', async () => {
      const concurrency = 5;
      const maxPartitions = 3;
      const h = setup({ concurrency, virtualPartitions: { maxPartitions }, highWatermark: 10000 }, [0, 1, 2]);
      let seed = 12345;
      const random = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 2 ** 32;
      };
      const total = 300;
      const finished = new Set<string>();
      const next = [0, 0, 0];
      for (let i = 0; i < total; i++) {
        const p = Math.floor(random() * 3);
        const offset = next[p];
        next[p] += 1 + Math.floor(random() * 2); // offsets skip numbers now and then
        const key = random() < 0.1 ? null : `k${Math.floor(random() * 12)}`;
        h.push([p, offset, key]);
        while (random() < 0.5 && h.executor.active().length > 0) {
          const active = h.executor.active();
          const run = active[Math.floor(random() * active.length)];
          run.settle({ status: 'completed', result: null });
          finished.add(`${run.partition}@${run.offset}`);
          await flush();
          h.engine.flushOffsets();
          // The stored offset never passes a job that has not finished, and the metadata lists only finished ones.
          const call = h.control.of('storeOffsets').at(-1);
          for (const o of call?.offsets ?? []) {
            const below = h.executor.runs.filter((r) => r.partition === o.partition && r.offset < o.offset);
            expect(below.every((r) => finished.has(`${r.partition}@${r.offset}`))).toBe(true);
            for (const done of decodeFinishedOffsets(o.offset, o.metadata)) expect(finished.has(`${o.partition}@${done}`)).toBe(true);
          }
        }
        const active = h.executor.active();
        expect(active.length).toBeLessThanOrEqual(concurrency);
        for (const part of [0, 1, 2]) expect(active.filter((r) => r.partition === part).length).toBeLessThanOrEqual(maxPartitions);
      }
      while (h.executor.active().length > 0) {
        const run = h.executor.active()[0];
        run.settle({ status: 'completed', result: null });
        finished.add(`${run.partition}@${run.offset}`);
        await flush();
      }
      h.engine.flushOffsets();
      expect(h.executor.violations).toEqual([]);
      expect(new Set(h.executor.started()).size).toBe(total); // every job ran exactly once
      expect(h.executor.started()).toHaveLength(total);
      expect(h.engine.unfinished).toBe(0);
      // Stored offsets never go back, and the last one of each partition is one past its last offset.
      const last = new Map<number, number>();
      for (const call of h.control.of('storeOffsets')) {
        for (const { partition, offset } of call.offsets) {
          expect(offset).toBeGreaterThanOrEqual(last.get(partition) ?? -1);
          last.set(partition, offset);
        }
      }
      for (const p of [0, 1, 2]) {
        const lastOffset = Math.max(...h.executor.runs.filter((r) => r.partition === p).map((r) => r.offset));
        expect(last.get(p)).toBe(lastOffset + 1);
      }
    });
  });

  describe('commit point', () => {
    it('stores the commit point only over a contiguous finished prefix, and only on flushOffsets', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c'], [0, 3, 'd']);
      h.executor.complete(0, 2);
      h.executor.complete(0, 1);
      await flush();
      // Nothing stored until the poll loop asks.
      expect(h.control.stored()).toEqual([]);
      h.engine.flushOffsets();
      // The offset stays at 0; the metadata records that 1 and 2 are done.
      expect(h.control.storedWithDone()).toEqual(['0@0 +1,2']);
      h.executor.complete(0, 0);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +1,2', '0@3']);
      // No finished offset above 3, and the try of 3 has not run long enough to be recorded.
      expect(h.control.of('storeOffsets')[1].offsets[0].metadata).toBe('');
      // Nothing finished since: nothing stored again.
      h.engine.flushOffsets();
      expect(h.control.of('storeOffsets')).toHaveLength(2);
      h.executor.complete(0, 3);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual(['0@0', '0@3', '0@4']);
    });

    it('stores the offsets of several partitions in one call, only those where a job finished', async () => {
      const h = setup({ concurrency: 8 }, [0, 1, 2, 3]);
      h.push([0, 10, 'a'], [1, 20, 'b'], [2, 30, 'c'], [2, 31, 'd'], [3, 40, 'e']);
      h.executor.complete(0, 10);
      h.executor.complete(2, 31);
      h.executor.complete(1, 20);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.of('storeOffsets')).toHaveLength(1);
      expect(h.control.storedWithDone().sort()).toEqual(['0@11', '1@21', '2@30 +31']);
    });

    it('jumps over offsets the broker skipped', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 7, 'b']);
      h.executor.complete(0, 7);
      h.executor.complete(0, 0);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual(['0@8']);
    });
  });

  describe('back-pressure', () => {
    it('pauses a partition at highWatermark unfinished jobs and resumes it at lowWatermark', async () => {
      const h = setup({ concurrency: 1, virtualPartitions: { maxPartitions: 1 }, highWatermark: 4, lowWatermark: 2 }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'a']);
      expect(h.control.pauses(0)).toEqual([]);
      h.push([0, 3, 'a']);
      expect(h.control.of('pause')).toEqual([{ op: 'pause', partitions: [tp(0)] }]);
      // Messages already fetched still arrive: kept, but no second pause.
      h.push([0, 4, 'a']);
      expect(h.control.pauses(0)).toEqual(['+']);
      expect(h.engine.unfinished).toBe(5);
      h.executor.complete(0, 0);
      await flush();
      h.executor.complete(0, 1);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+']); // 3 unfinished > lowWatermark
      h.executor.complete(0, 2);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
      expect(h.control.of('resume')).toEqual([{ op: 'resume', partitions: [tp(0)] }]);
      // The other partition was never touched.
      expect(h.control.pauses(1)).toEqual([]);
    });
  });

  describe('long-running jobs', () => {
    it('pauses a partition while it has unfinished jobs and resumes it when drained', async () => {
      const h = setup({ longRunning: true }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'b']);
      expect(h.control.pauses(0)).toEqual(['+']);
      expect(h.control.pauses(1)).toEqual([]);
      h.executor.complete(0, 1);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
      h.push([0, 2, 'a']);
      expect(h.control.pauses(0)).toEqual(['+', '-', '+']);
    });

    it('resumes only once the back-pressure mark is cleared too', async () => {
      const h = setup({ longRunning: true, highWatermark: 2, lowWatermark: 1 });
      h.push([0, 0, 'a'], [0, 1, 'b']);
      expect(h.control.pauses(0)).toEqual(['+']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+']); // back-pressure gone, long-running still there
      h.executor.complete(0, 1);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
    });

    it('keeps the partition paused while a job waits for its retry', async () => {
      const h = setup({ longRunning: true, backoff: 1000 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      await jest.advanceTimersByTimeAsync(1000);
      expect(h.control.pauses(0)).toEqual(['+']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
    });
  });

  describe('retries', () => {
    it('retries after the backoff, holding back the key and letting other keys go on without holding a slot', async () => {
      const h = setup({ concurrency: 1, virtualPartitions: { maxPartitions: 1, distribution: 'balanced' }, attempts: 3, backoff: 1000 });
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b']);
      expect(h.executor.running()).toEqual(['0@0']);
      const error = new Error('flaky');
      h.executor.fail(0, 0, error);
      await flush();
      const failed = h.named('failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].args[1]).toBe(error);
      expect(failed[0].args[2]).toEqual<FailureInfo>({ attempt: 1, willRetry: true, delayMs: 1000 });
      // The only slot went to key b, not to a@1.
      expect(h.executor.running()).toEqual(['0@2']);
      h.executor.complete(0, 2);
      await flush();
      expect(h.engine.running).toBe(0);
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2']); // 0 is unfinished: nothing passes it
      await jest.advanceTimersByTimeAsync(999);
      expect(h.executor.running()).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(h.executor.running()).toEqual(['0@0']);
      expect(h.executor.run(0, 0).attempt).toBe(2);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual(['0@1']);
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2', '0@1 +2']);
      h.executor.complete(0, 1);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2', '0@1 +2', '0@3']);
      expect(h.executor.started()).toEqual(['0@0', '0@2', '0@0', '0@1']);
      expect(h.executor.violations).toEqual([]);
    });

    it("uses the job's own attempts and exponential backoff when the worker sets none", async () => {
      const h = setup();
      h.push([0, 0, 'a']);
      const backoff = { type: 'exponential' as const, delay: 100 };
      h.executor.fail(0, 0, new Error('1'), 3, backoff);
      await flush();
      await jest.advanceTimersByTimeAsync(99);
      expect(h.executor.running()).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      h.executor.fail(0, 0, new Error('2'), 3, backoff);
      await flush();
      await jest.advanceTimersByTimeAsync(199);
      expect(h.executor.running()).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(h.executor.run(0, 0).attempt).toBe(3);
      h.executor.fail(0, 0, new Error('3'), 3, backoff);
      await flush();
      expect(h.named('failed').map((e) => e.args[2])).toEqual([
        { attempt: 1, willRetry: true, delayMs: 100 },
        { attempt: 2, willRetry: true, delayMs: 200 },
        { attempt: 3, willRetry: false },
      ]);
      expect(h.sink.writes).toHaveLength(1);
    });

    it('lets the worker override the job with attempts and a custom backoffStrategy', async () => {
      const strategy = jest.fn(() => 50);
      const h = setup({ attempts: 2, backoffStrategy: strategy });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0, new Error('x'), 10, 5000);
      await flush();
      expect(strategy).toHaveBeenCalledWith(1, expect.any(Error), { id: '0@0', name: 'TestJob', data: undefined });
      await jest.advanceTimersByTimeAsync(50);
      h.executor.fail(0, 0, new Error('y'), 10, 5000);
      await flush();
      expect(h.sink.writes).toHaveLength(1); // 2 tries, not 10
    });

    it('dead-letters when the custom strategy returns -1', async () => {
      const h = setup({ backoffStrategy: () => -1 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      expect(h.sink.writes).toHaveLength(1);
    });

    it('stamps the first and the latest failure time on the job', async () => {
      jest.setSystemTime(1_000_000);
      const h = setup({ backoff: 500 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      await jest.advanceTimersByTimeAsync(500);
      h.executor.fail(0, 0);
      await flush();
      const job = h.executor.runs[0].job;
      expect(job.firstFailedAt).toBe(1_000_000);
      expect(job.lastFailedAt).toBe(1_000_500);
    });
  });

  describe('dead letter', () => {
    it('dead-letters after the last try; the commit point passes the job only once the sink resolves', async () => {
      const h = setup({ attempts: 2 });
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b']);
      h.executor.complete(0, 2);
      h.executor.fail(0, 0, new Error('first'));
      await flush();
      await jest.advanceTimersByTimeAsync(0);
      const last = new Error('last');
      h.executor.fail(0, 0, last);
      await flush();
      expect(h.sink.writes).toHaveLength(1);
      expect(h.sink.writes[0].job.message.offset).toBe(0);
      expect(h.sink.writes[0].error).toBe(last);
      expect(h.sink.writes[0].job.attempt).toBe(2);
      expect(h.named('failed').map((e) => e.args[2])).toEqual([
        { attempt: 1, willRetry: true, delayMs: 0 },
        { attempt: 2, willRetry: false },
      ]);
      // Not acknowledged yet: nothing stored past 0, and a@1 still waits.
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2']);
      expect(h.executor.running()).toEqual([]);
      h.sink.writes[0].resolve();
      await flush();
      expect(h.named('deadLettered')).toHaveLength(1);
      expect(h.named('deadLettered')[0].args[1]).toMatchObject({ topic: 'q.dlq', partition: 0, error: last });
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2', '0@1 +2']);
      // The key's next job runs only after the dead-lettering.
      expect(h.executor.running()).toEqual(['0@1']);
      h.executor.complete(0, 1);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2', '0@1 +2', '0@3']);
    });

    it('dead-letters an UnrecoverableError after one try', async () => {
      const h = setup();
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0, new UnrecoverableError('bad input'), 4, 1000);
      await flush();
      expect(h.sink.writes).toHaveLength(1);
      expect(h.named('failed')[0].args[2]).toEqual({ attempt: 1, willRetry: false });
      expect(h.executor.started()).toEqual(['0@0']);
    });

    it('treats a rejecting executor (a broken contract) as a failure with one attempt', async () => {
      const h = setup();
      jest.spyOn(h.executor, 'execute').mockImplementation(() => Promise.reject(new Error('executor broke')));
      h.push([0, 0, 'a']);
      await flush();
      expect(h.named('failed').map((e) => e.args[2])).toEqual([{ attempt: 1, willRetry: false }]);
      expect(h.sink.writes).toHaveLength(1);
      expect(h.sink.writes[0].error.message).toBe('executor broke');
    });

    it('keeps the job unfinished when the sink rejects, retries the write later, then commits', async () => {
      const h = setup({ attempts: 1 });
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b']);
      h.executor.fail(0, 0);
      await flush();
      h.sink.writes[0].reject(new Error('broker down'));
      await flush();
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toBeInstanceOf(DeadLetterWriteError);
      expect(h.errors[0].message).toMatch(/broker down/);
      expect(h.named('deadLettered')).toHaveLength(0);
      // Other keys go on, the failed key's next job waits, nothing passes 0.
      expect(h.executor.running()).toEqual(['0@2']);
      h.executor.complete(0, 2);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2']);
      expect(h.engine.running).toBe(0);
      await jest.advanceTimersByTimeAsync(1000);
      // The write is retried; the job itself does not run again.
      expect(h.sink.writes).toHaveLength(2);
      expect(h.executor.started()).toEqual(['0@0', '0@2']);
      h.sink.writes[1].resolve();
      await flush();
      h.engine.flushOffsets();
      expect(h.control.storedWithDone()).toEqual(['0@0 +2', '0@1 +2']);
      expect(h.executor.running()).toEqual(['0@1']);
    });
  });

  describe('revocation', () => {
    it('drops buffered jobs, aborts running ones, waits for them, then commits the finished commit point', async () => {
      const h = setup({ concurrency: 4, virtualPartitions: { maxPartitions: 2 }, revokeGraceMs: 5000 }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b'], [0, 3, 'c'], [1, 0, 'x']);
      expect(h.executor.running()).toEqual(['0@0', '1@0', '0@2']);
      const a0 = h.executor.run(0, 0);
      const signalBefore = a0.handle.signal; // one job looks at its signal before, one after
      const revoking = watch(h.engine.revoke([tp(0)], { lost: false }));
      expect(h.named('revoked').map((e) => e.args[0])).toEqual([[tp(0)]]);
      expect(signalBefore.aborted).toBe(true);
      expect(signalBefore.reason).toBeInstanceOf(RevokedError);
      expect(a0.handle.isRevoked()).toBe(true);
      const b2 = h.executor.run(0, 2);
      expect(b2.handle.signal.aborted).toBe(true);
      expect(b2.handle.isRevoked()).toBe(true);
      // The other partition is untouched.
      expect(h.executor.run(1, 0).handle.signal.aborted).toBe(false);
      expect(h.executor.run(1, 0).handle.isRevoked()).toBe(false);
      // a@0 finishes: a@1 (buffered) never starts, nor does c@3 on the freed lane.
      a0.settle({ status: 'completed', result: null });
      await flush();
      await jest.advanceTimersByTimeAsync(100);
      expect(h.executor.running()).toEqual(['1@0', '0@2']);
      expect(revoking.done()).toBe(false);
      // Offsets of the revoked partition are not stored by the poll loop meanwhile.
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual([]);
      b2.settle({ status: 'completed', result: null });
      await jest.advanceTimersByTimeAsync(20);
      expect(revoking.done()).toBe(true);
      // 0 and 2 are done, 1 was dropped: the commit point is 1, and 2 is recorded as done above it
      // (so the next owner skips it). Stored first, so that librdkafka's own commit cannot undo it.
      expect(h.control.committedWithDone()).toEqual(['0@1 +2']);
      expect(h.control.calls.filter((c) => c.op === 'storeOffsets' || c.op === 'commit').map((c) => c.op)).toEqual(['storeOffsets', 'commit']);
      expect(h.control.storedWithDone()).toEqual(['0@1 +2']);
      expect(h.engine.assignment()).toEqual([tp(1)]);
      expect(h.executor.started()).toEqual(['0@0', '1@0', '0@2']);
      expect(h.executor.violations).toEqual([]);
      // Messages of the revoked partition still in the poll buffer are ignored.
      h.push([0, 4, 'd']);
      expect(h.executor.started()).toHaveLength(3);
    });

    it('commits at once when nothing of the partition runs', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 0);
      h.executor.complete(0, 1);
      await flush();
      h.engine.flushOffsets();
      await h.engine.revoke([tp(0)], { lost: false });
      expect(h.control.committed()).toEqual(['0@2']);
    });

    it('commits nothing for a partition that never received a message', async () => {
      const h = setup({}, [0, 1]);
      await h.engine.revoke([tp(1)], { lost: false });
      expect(h.control.of('commit')).toEqual([]);
      expect(h.named('revoked')).toHaveLength(1);
    });

    it('waits at most revokeGraceMs, then commits what finished; later completions store nothing', async () => {
      const h = setup({ revokeGraceMs: 500 }, [0]);
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 0);
      await flush();
      const revoking = watch(h.engine.revoke([tp(0)], { lost: false }));
      await jest.advanceTimersByTimeAsync(480);
      expect(revoking.done()).toBe(false);
      expect(h.control.of('commit')).toEqual([]);
      await jest.advanceTimersByTimeAsync(30);
      expect(revoking.done()).toBe(true);
      expect(h.control.committed()).toEqual(['0@1']);
      expect(h.engine.assignment()).toEqual([]);
      // The slow job finishes after the partition was released: nothing more is stored or committed.
      expect(h.control.stored()).toEqual(['0@1']);
      h.executor.complete(0, 1);
      await flush();
      h.engine.flushOffsets();
      expect(h.control.stored()).toEqual(['0@1']);
      expect(h.control.of('commit')).toHaveLength(1);
      expect(h.engine.running).toBe(0);
    });

    it('neither waits nor commits when the assignment was lost', async () => {
      const h = setup({ revokeGraceMs: 5000 });
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 0);
      await flush();
      await h.engine.revoke([tp(0)], { lost: true });
      expect(h.control.of('commit')).toEqual([]);
      expect(h.executor.run(0, 1).handle.isRevoked()).toBe(true);
      expect(h.executor.run(0, 1).handle.signal.aborted).toBe(true);
      expect(h.engine.assignment()).toEqual([]);
    });

    it('neither retries nor dead-letters a job that fails after its partition was revoked', async () => {
      const h = setup({ backoff: 10 });
      h.push([0, 0, 'a']);
      const revoking = h.engine.revoke([tp(0)], { lost: false });
      h.executor.fail(0, 0, new Error('aborted'));
      await jest.advanceTimersByTimeAsync(1000);
      await revoking;
      expect(h.named('failed')).toEqual([]); // not a final failure: the next owner runs it again
      expect(h.sink.writes).toEqual([]);
      expect(h.executor.started()).toEqual(['0@0']);
      expect(h.control.committed()).toEqual(['0@0']); // the failed job is not passed
    });

    it('cancels a pending retry of the revoked partition', async () => {
      const h = setup({ backoff: 1000 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      await h.engine.revoke([tp(0)], { lost: false });
      // The retry timer is gone, not just ignored when it fires.
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(5000);
      expect(h.executor.started()).toEqual(['0@0']);
      expect(h.control.committed()).toEqual(['0@0']);
    });

    it('reports a failed commit and still releases the partition', async () => {
      const h = setup();
      h.control.commitResult = () => Promise.reject(new Error('rebalance in progress'));
      h.push([0, 0, 'a']);
      h.executor.complete(0, 0);
      await flush();
      await h.engine.revoke([tp(0)], { lost: false });
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toBeInstanceOf(CommitError);
      expect(h.errors[0].message).toMatch(/q\/0@1.*rebalance in progress/);
      expect(h.engine.assignment()).toEqual([]);
    });

    it('starts fresh when a revoked partition is assigned again', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'a']);
      await h.engine.revoke([tp(0)], { lost: true });
      h.assign(0);
      // The new owner state re-fetches from the committed offset: 1 was dropped, so it comes again.
      h.push([0, 1, 'a']);
      expect(h.executor.running()).toEqual(['0@0', '0@1']);
    });
  });

  describe('close', () => {
    it('stops starting, pauses every partition, waits for running jobs, then commits', async () => {
      const h = setup({ concurrency: 4, virtualPartitions: { maxPartitions: 2 } }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b'], [0, 3, 'c'], [1, 0, 'x']);
      const closing = watch(h.engine.close(10000));
      expect(h.control.of('pause')).toEqual([{ op: 'pause', partitions: [tp(0), tp(1)] }]);
      await jest.advanceTimersByTimeAsync(100);
      expect(closing.done()).toBe(false);
      // Running jobs are not aborted by a graceful close.
      expect(h.executor.run(0, 0).handle.signal.aborted).toBe(false);
      h.executor.complete(0, 0);
      h.executor.complete(0, 2);
      await flush();
      // a@1 and c@3 never start.
      expect(h.executor.running()).toEqual(['1@0']);
      h.executor.complete(1, 0);
      await jest.advanceTimersByTimeAsync(20);
      expect(closing.done()).toBe(true);
      expect(h.control.of('commit')).toHaveLength(1);
      expect(h.control.committedWithDone()).toEqual(['0@1 +2', '1@1']);
      expect(h.executor.started()).toEqual(['0@0', '1@0', '0@2']);
      // Late messages and resume() change nothing.
      h.push([1, 1, 'y']);
      h.engine.resume();
      expect(h.executor.started()).toHaveLength(3);
    });

    it('does not commit again for the revocation that leaving the group causes', async () => {
      const h = setup();
      h.push([0, 0, 'a']);
      h.executor.complete(0, 0);
      await flush();
      await h.engine.close(1000);
      expect(h.control.committed()).toEqual(['0@1']);
      await h.engine.revoke([tp(0)], { lost: false });
      expect(h.control.committed()).toEqual(['0@1']);
      expect(h.engine.assignment()).toEqual([]);
    });

    it('aborts running jobs at the timeout (not as a revocation) and commits what finished', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 0);
      await flush();
      const closing = watch(h.engine.close(2000));
      const run = h.executor.run(0, 1);
      await jest.advanceTimersByTimeAsync(1990);
      expect(run.handle.signal.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(20);
      expect(run.handle.signal.aborted).toBe(true);
      expect(run.handle.signal.reason).toBeInstanceOf(ShutdownError);
      expect(run.handle.isRevoked()).toBe(false);
      // The aborted job gets a last second to notice, then the commit happens anyway.
      expect(closing.done()).toBe(false);
      await jest.advanceTimersByTimeAsync(1010);
      expect(closing.done()).toBe(true);
      expect(h.control.committed()).toEqual(['0@1']);
    });

    it('abortAll() aborts every running job of every partition', () => {
      const h = setup({}, [0, 1]);
      h.push([0, 0, 'a'], [1, 0, 'b']);
      const reason = new Error('forced');
      h.engine.abortAll(reason);
      for (const run of h.executor.active()) {
        expect(run.handle.signal.aborted).toBe(true);
        expect(run.handle.signal.reason).toBe(reason);
        expect(run.handle.isRevoked()).toBe(false);
      }
    });
  });

  describe('drained', () => {
    it('is emitted once every received job has finished', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.named('drained')).toHaveLength(0);
      h.executor.complete(0, 1);
      await flush();
      expect(h.named('drained')).toHaveLength(1);
      // Once per busy period: a later idle check (here: a revocation) does not repeat it.
      h.engine.flushOffsets();
      h.assign(1);
      await h.engine.revoke([tp(1)], { lost: false });
      expect(h.named('drained')).toHaveLength(1);
      h.push([0, 2, 'c']);
      h.executor.complete(0, 2);
      await flush();
      expect(h.named('drained')).toHaveLength(2);
    });

    it('is not emitted while a job waits for its retry or its dead-letter write', async () => {
      const h = setup({ attempts: 2, backoff: 100 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      expect(h.named('drained')).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(100);
      h.executor.fail(0, 0);
      await flush();
      expect(h.named('drained')).toHaveLength(0);
      h.sink.writes[0].resolve();
      await flush();
      expect(h.named('drained')).toHaveLength(1);
    });

    it('emits completed with the result before drained', async () => {
      const h = setup();
      h.push([0, 0, 'a']);
      h.executor.complete(0, 0, { sent: true });
      await flush();
      expect(h.log.filter((e) => e.name !== 'assigned').map((e) => e.name)).toEqual(['completed', 'drained']);
      expect(h.named('completed')[0].args).toEqual([expect.objectContaining({ id: '0@0', offset: 0 }), { sent: true }]);
    });
  });

  describe('pause / resume', () => {
    it('stops starting jobs and fetching; running ones go on; resume starts the buffered ones', async () => {
      const h = setup({}, [0, 1]);
      h.push([0, 0, 'a']);
      h.engine.pause();
      expect(h.control.pauses(0)).toEqual(['+']);
      expect(h.control.pauses(1)).toEqual(['+']);
      h.push([0, 1, 'b'], [1, 0, 'c']);
      expect(h.executor.running()).toEqual(['0@0']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.executor.running()).toEqual([]);
      h.engine.resume();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
      expect(h.control.pauses(1)).toEqual(['+', '-']);
      expect(h.executor.running().sort()).toEqual(['0@1', '1@0']);
    });

    it('pauses a partition assigned while paused, and resumes it with the others', () => {
      const h = setup({}, [0]);
      h.engine.pause();
      h.assign(1);
      expect(h.control.pauses(1)).toEqual(['+']);
      h.push([1, 0, 'a']);
      expect(h.executor.running()).toEqual([]);
      h.engine.resume();
      expect(h.control.pauses(1)).toEqual(['+', '-']);
      expect(h.executor.running()).toEqual(['1@0']);
      // Not paused any more: a partition assigned now is left alone.
      h.assign(2);
      expect(h.control.pauses(2)).toEqual([]);
    });

    it('holds a due retry until resume', async () => {
      const h = setup({ backoff: 100 });
      h.push([0, 0, 'a']);
      h.executor.fail(0, 0);
      await flush();
      h.engine.pause();
      await jest.advanceTimersByTimeAsync(500);
      expect(h.executor.running()).toEqual([]);
      h.engine.resume();
      expect(h.executor.running()).toEqual(['0@0']);
      expect(h.executor.run(0, 0).attempt).toBe(2);
    });

    it('does not resume fetching from a partition still over its back-pressure mark', async () => {
      const h = setup({ concurrency: 1, virtualPartitions: { maxPartitions: 1 }, highWatermark: 2, lowWatermark: 1 }, [0, 1]);
      h.push([0, 0, 'a'], [0, 1, 'a']);
      expect(h.control.pauses(0)).toEqual(['+']);
      h.engine.pause();
      expect(h.control.pauses(0)).toEqual(['+']); // already paused
      h.engine.resume();
      expect(h.control.pauses(0)).toEqual(['+']); // still over the mark
      expect(h.control.pauses(1)).toEqual(['+', '-']);
      h.executor.complete(0, 0);
      await flush();
      expect(h.control.pauses(0)).toEqual(['+', '-']);
    });
  });
});
