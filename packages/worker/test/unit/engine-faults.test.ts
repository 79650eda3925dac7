import { JobTimeoutError, WorkerCrashedError } from '@partita/job';
import { decodeCommitMetadata, encodeCommitMetadata } from '../../src/core/commit-metadata';
import { flush, setup } from './engine-harness';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

/** The tries recorded in the last stored (or committed) metadata of partition 0, as `offset:tries[r|i]`. */
function recordedTries(offsets: Array<{ offset: number; metadata?: string }>): string[] {
  const last = offsets[offsets.length - 1];
  if (!last) return [];
  const { tries } = decodeCommitMetadata(last.offset, last.metadata);
  return [...tries].map(([o, t]) => `${o}:${t.tries}${t.isolated ? 'i' : t.running ? 'r' : ''}`);
}

describe('Engine under faults', () => {
  describe('timeout', () => {
    it('aborts the signal with JobTimeoutError and fails the try; the retry waits for the hung perform to settle', async () => {
      const h = setup();
      h.executor.jobLimits = { attempts: 3, timeoutMs: 1000 };
      h.push([0, 0, 'a'], [0, 1, 'b']);
      const hung = h.executor.run(0, 0);
      h.executor.complete(0, 1);
      await jest.advanceTimersByTimeAsync(999);
      expect(hung.handle.signal.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(hung.handle.signal.aborted).toBe(true);
      expect(hung.handle.signal.reason).toBeInstanceOf(JobTimeoutError);
      const failed = h.named('failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].args[1]).toBeInstanceOf(JobTimeoutError);
      expect(failed[0].args[2]).toEqual({ attempt: 1, willRetry: true, delayMs: 0 });
      // The retry is due at once, but the timed-out perform still runs: nothing of key a starts.
      await jest.advanceTimersByTimeAsync(10);
      expect(h.executor.started().filter((s) => s === '0@0')).toHaveLength(1);
      // The hung perform settles (its result is ignored): the retry starts.
      hung.settle({ status: 'completed', result: 'late' });
      await flush();
      expect(h.executor.started().filter((s) => s === '0@0')).toHaveLength(2);
      expect(h.named('completed').map((e) => (e.args[0] as { id: string }).id)).toEqual(['0@1']);
      expect(h.executor.violations).toEqual([]);
    });

    it("after the last try the job is dead-lettered and committed while its perform hangs; the key's next job waits for it", async () => {
      const h = setup();
      h.executor.jobLimits = { attempts: 1, timeoutMs: 500 };
      h.push([0, 0, 'a'], [0, 1, 'a'], [0, 2, 'b']);
      const hung = h.executor.run(0, 0);
      h.executor.complete(0, 2);
      await jest.advanceTimersByTimeAsync(500);
      expect(h.sink.writes.map((w) => w.offset)).toEqual([0]);
      expect(h.sink.writes[0].error).toBeInstanceOf(JobTimeoutError);
      h.sink.writes[0].resolve();
      await flush();
      h.engine.flushOffsets();
      // The commit point passed the dead job although its perform never settled.
      expect(h.control.stored()).toEqual(['0@1']);
      // Offset 1 shares key a: it must not overlap the hung perform.
      expect(h.executor.running()).toEqual(['0@0']);
      hung.settle({ status: 'completed', result: undefined });
      await flush();
      expect(h.executor.running()).toEqual(['0@1']);
      expect(h.executor.violations).toEqual([]);
    });

    it("the worker default applies when the job sets none; a job's own wins", async () => {
      const h = setup({ jobTimeoutMs: 200 });
      h.push([0, 0, 'a']);
      await jest.advanceTimersByTimeAsync(200);
      expect(h.executor.run(0, 0).handle.signal.reason).toBeInstanceOf(JobTimeoutError);
      const own = setup({ jobTimeoutMs: 200 });
      own.executor.jobLimits = { attempts: 4, timeoutMs: 5000 };
      own.push([0, 0, 'a']);
      await jest.advanceTimersByTimeAsync(4999);
      expect(own.executor.run(0, 0).handle.signal.aborted).toBe(false);
    });
  });

  describe('attempts across owners', () => {
    it('records the tries of retrying jobs, and of running ones once they have run for half a second', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b'], [0, 2, 'c']);
      h.executor.fail(0, 1, new Error('boom'), 4, 60_000);
      h.executor.complete(0, 2);
      await flush();
      h.engine.flushOffsets();
      const stored = () => h.control.of('storeOffsets').flatMap((c) => c.offsets);
      // 1 used one try and waits, 2 finished; 0 has just started: a short try is not recorded.
      expect(recordedTries(stored())).toEqual(['1:1']);
      await jest.advanceTimersByTimeAsync(500);
      h.push([0, 3, 'd']);
      h.executor.complete(0, 3);
      await flush();
      h.engine.flushOffsets();
      // 0 has run for 500 ms: marked running (no try used yet), for a worker killed during it.
      expect(recordedTries(stored())).toEqual(['0:0r', '1:1']);
    });

    it('a handover (revocation) does not mark aborted tries as running', async () => {
      const h = setup({ revokeGraceMs: 100 });
      h.push([0, 0, 'a']);
      const revoked = h.engine.revoke([{ topic: 'q', partition: 0 }], { lost: false });
      await jest.advanceTimersByTimeAsync(200);
      await revoked;
      const committed = h.control.of('commit').flatMap((c) => c.offsets);
      expect(committed.map((o) => o.offset)).toEqual([0]);
      expect(recordedTries(committed)).toEqual([]);
    });

    it('goes on counting tries from what the previous owner recorded', () => {
      const h = setup({}, [0], { restore: false });
      h.engine.restore([
        { topic: 'q', partition: 0, offset: 5, metadata: encodeCommitMetadata(5, [], new Map([[5, { tries: 2, running: false, isolated: false }]])) },
      ]);
      h.push([0, 5, 'a']);
      expect(h.executor.run(0, 5).attempt).toBe(3);
    });

    it('runs the tries that were running when the previous owner died alone, each after a commit that marks it', async () => {
      const h = setup({}, [0], { restore: false });
      const tries = new Map([
        [5, { tries: 0, running: true, isolated: false }],
        [7, { tries: 1, running: true, isolated: false }],
      ]);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeCommitMetadata(5, [6], tries) }]);
      h.push([0, 5, 'a'], [0, 6, 'b'], [0, 7, 'c'], [0, 8, 'd'], [0, 9, 'e']);
      await flush();
      // One at a time while suspects remain; 6 was finished before and is skipped.
      expect(h.executor.running()).toEqual(['0@5']);
      expect(recordedTries(h.control.of('commit').flatMap((c) => c.offsets))).toEqual(['5:0i', '7:1r']);
      h.executor.complete(0, 5);
      await flush();
      expect(h.executor.running()).toEqual(['0@7']);
      expect(h.executor.run(0, 7).attempt).toBe(2);
      expect(recordedTries(h.control.of('commit').flatMap((c) => c.offsets))).toEqual(['7:1i']);
      h.executor.complete(0, 7);
      await flush();
      // No suspect left: the rest runs in parallel again.
      expect(h.executor.running()).toEqual(['0@8', '0@9']);
    });

    it('a try that was running alone when the worker died counts; with no attempt left the job is dead-lettered as worker-crashed', async () => {
      const h = setup({}, [0], { restore: false });
      h.executor.jobLimits = { attempts: 2 };
      const tries = new Map([[5, { tries: 1, running: true, isolated: true }]]);
      h.engine.restore([{ topic: 'q', partition: 0, offset: 5, metadata: encodeCommitMetadata(5, [], tries) }]);
      h.push([0, 5, 'a'], [0, 6, 'a']);
      await flush();
      expect(h.executor.started()).toEqual([]);
      expect(h.sink.writes.map((w) => w.offset)).toEqual([5]);
      expect(h.sink.writes[0].error).toBeInstanceOf(WorkerCrashedError);
      expect((h.sink.writes[0].error as WorkerCrashedError).reason).toBe('worker-crashed');
      h.sink.writes[0].resolve();
      await flush();
      expect(h.executor.running()).toEqual(['0@6']);
    });

    it('on a sudden exit, commits at once; a try running alone in the process is blamed', async () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.executor.complete(0, 1);
      await flush();
      h.engine.commitOnExit();
      const committed = h.control.of('commit').flatMap((c) => c.offsets);
      expect(recordedTries(committed)).toEqual(['0:0i']);
      expect(decodeCommitMetadata(0, committed[0].metadata).finished).toEqual(new Set([1]));
    });

    it('on a sudden exit with several tries running, none is blamed; all are suspects', () => {
      const h = setup();
      h.push([0, 0, 'a'], [0, 1, 'b']);
      h.engine.commitOnExit();
      expect(recordedTries(h.control.of('commit').flatMap((c) => c.offsets))).toEqual(['0:0r', '1:0r']);
    });
  });

  describe('metadata back-pressure', () => {
    it('near the metadata limit, pauses and starts only the job at the commit point until it shrinks', async () => {
      const h = setup({ concurrency: 4 });
      // Offsets 37 apart cost 3 characters each in the metadata.
      const n = 1200;
      h.engine.push(Array.from({ length: n + 1 }, (_, i) => ({ topic: 'q', partition: 0, offset: i * 37, key: `k${i}`, headers: {}, value: null })));
      // Offset 0 hangs; every other job that starts finishes at once.
      for (;;) {
        const others = h.executor.active().filter((r) => r.offset !== 0);
        if (others.length === 0) break;
        for (const run of others) run.settle({ status: 'completed', result: null });
        await flush();
        h.engine.flushOffsets();
      }
      const completed = h.named('completed').length;
      // It stopped well before the end: at about 75% of the 3,000 characters.
      expect(completed).toBeGreaterThan(700);
      expect(completed).toBeLessThan(n);
      expect(h.control.pauses(0)).toEqual(['+']);
      const metadata = h.control.of('storeOffsets').at(-1)!.offsets[0].metadata!;
      // Every finished offset is still recorded: none was given up.
      expect(decodeCommitMetadata(0, metadata).finished.size).toBe(completed);
      expect(h.executor.running()).toEqual(['0@0']);
      // The job at the commit point finishes: the metadata shrinks, fetching and starting resume.
      h.executor.complete(0, 0);
      await flush();
      h.engine.flushOffsets();
      await jest.advanceTimersByTimeAsync(1);
      expect(h.control.pauses(0)).toEqual(['+', '-']);
      expect(h.executor.running()).toHaveLength(4);
      expect(h.executor.violations).toEqual([]);
    });
  });
});
