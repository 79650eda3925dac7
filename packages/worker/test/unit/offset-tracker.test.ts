import { OffsetTracker } from '../../src/core/offset-tracker';

function tracked(...offsets: number[]): OffsetTracker {
  const tracker = new OffsetTracker();
  for (const offset of offsets) tracker.track(offset);
  return tracker;
}

describe('OffsetTracker', () => {
  it('has no commit point before any offset was seen', () => {
    const tracker = new OffsetTracker();
    expect(tracker.commitPoint).toBeUndefined();
    expect(tracker.unfinished).toBe(0);
    expect(tracker.finish(0)).toBe(false);
    expect(tracker.commitPoint).toBeUndefined();
  });

  it('puts the commit point at the first tracked offset while nothing has finished', () => {
    const tracker = tracked(42, 43, 44);
    expect(tracker.commitPoint).toBe(42);
    expect(tracker.unfinished).toBe(3);
  });

  it('moves the commit point one past the last offset of a contiguous finished prefix', () => {
    const tracker = tracked(0, 1, 2, 3);
    expect(tracker.finish(0)).toBe(true);
    expect(tracker.commitPoint).toBe(1);
    expect(tracker.finish(1)).toBe(true);
    expect(tracker.commitPoint).toBe(2);
    expect(tracker.unfinished).toBe(2);
  });

  it('does not move past an unfinished offset when later ones finish first', () => {
    const tracker = tracked(0, 1, 2, 3, 4);
    expect(tracker.finish(3)).toBe(false);
    expect(tracker.finish(1)).toBe(false);
    expect(tracker.finish(4)).toBe(false);
    expect(tracker.commitPoint).toBe(0);
    expect(tracker.unfinished).toBe(2);
    // 0 finishes: the prefix 0,1 is done, 2 is not.
    expect(tracker.finish(0)).toBe(true);
    expect(tracker.commitPoint).toBe(2);
    // 2 finishes: 3 and 4 were already done, so the point jumps past all of them.
    expect(tracker.finish(2)).toBe(true);
    expect(tracker.commitPoint).toBe(5);
    expect(tracker.unfinished).toBe(0);
  });

  it('handles every finish order of a small window the same way', () => {
    const offsets = [10, 11, 12, 13];
    const permutations = (xs: number[]): number[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    for (const order of permutations(offsets)) {
      const tracker = tracked(...offsets);
      const done = new Set<number>();
      for (const offset of order) {
        const before = tracker.commitPoint;
        const moved = tracker.finish(offset);
        done.add(offset);
        // Expected: the lowest offset not done, or one past the last.
        const expected = offsets.find((o) => !done.has(o)) ?? 14;
        expect(tracker.commitPoint).toBe(expected);
        expect(moved).toBe(expected !== before);
      }
      expect(tracker.unfinished).toBe(0);
    }
  });

  describe('gaps in offsets (compaction, transaction markers)', () => {
    it('jumps the commit point over offsets that were never delivered', () => {
      const tracker = tracked(0, 5, 9);
      expect(tracker.finish(0)).toBe(true);
      // The lowest unfinished offset is 5: committing 5 is the same as committing 1.
      expect(tracker.commitPoint).toBe(5);
      expect(tracker.finish(9)).toBe(false);
      expect(tracker.commitPoint).toBe(5);
      expect(tracker.finish(5)).toBe(true);
      expect(tracker.commitPoint).toBe(10);
    });

    it('ignores a finish of an offset inside a gap (never tracked)', () => {
      const tracker = tracked(0, 2, 4);
      expect(tracker.finish(1)).toBe(false);
      expect(tracker.finish(3)).toBe(false);
      expect(tracker.unfinished).toBe(3);
      expect(tracker.commitPoint).toBe(0);
      expect(tracker.finish(0)).toBe(true);
      expect(tracker.commitPoint).toBe(2);
      expect(tracker.unfinished).toBe(2);
      expect(tracker.finish(2)).toBe(true);
      expect(tracker.finish(4)).toBe(true);
      expect(tracker.commitPoint).toBe(5);
      expect(tracker.unfinished).toBe(0);
    });

    it('starts from the new offset when tracking resumes after everything finished', () => {
      const tracker = tracked(0);
      tracker.finish(0);
      expect(tracker.commitPoint).toBe(1);
      tracker.track(7);
      expect(tracker.commitPoint).toBe(7);
      expect(tracker.unfinished).toBe(1);
      expect(tracker.finish(7)).toBe(true);
      expect(tracker.commitPoint).toBe(8);
    });
  });

  describe('duplicate and unknown finishes', () => {
    it('ignores a second finish of an offset already committed past', () => {
      const tracker = tracked(0, 1);
      tracker.finish(0);
      expect(tracker.finish(0)).toBe(false);
      expect(tracker.commitPoint).toBe(1);
      expect(tracker.unfinished).toBe(1);
    });

    it('ignores a second finish of an offset finished out of order', () => {
      const tracker = tracked(0, 1, 2);
      expect(tracker.finish(2)).toBe(false);
      expect(tracker.finish(2)).toBe(false);
      expect(tracker.unfinished).toBe(2);
      tracker.finish(0);
      tracker.finish(1);
      expect(tracker.commitPoint).toBe(3);
      expect(tracker.unfinished).toBe(0);
    });

    it('ignores offsets below and above the tracked range', () => {
      const tracker = tracked(10, 11);
      expect(tracker.finish(9)).toBe(false);
      expect(tracker.finish(12)).toBe(false);
      expect(tracker.finish(-1)).toBe(false);
      expect(tracker.commitPoint).toBe(10);
      expect(tracker.unfinished).toBe(2);
    });
  });

  describe('accepts / track', () => {
    it('accepts only offsets above every offset tracked so far', () => {
      const tracker = new OffsetTracker();
      expect(tracker.accepts(0)).toBe(true);
      expect(tracker.accepts(100)).toBe(true);
      tracker.track(5);
      expect(tracker.accepts(4)).toBe(false);
      expect(tracker.accepts(5)).toBe(false);
      expect(tracker.accepts(6)).toBe(true);
      tracker.finish(5);
      // Still rejected after it finished: a re-delivered offset is not new work.
      expect(tracker.accepts(5)).toBe(false);
      expect(tracker.accepts(3)).toBe(false);
    });

    it('throws a RangeError when an offset is tracked out of order', () => {
      const tracker = tracked(5);
      expect(() => tracker.track(5)).toThrow(RangeError);
      expect(() => tracker.track(3)).toThrow(/offset 3 arrived after 5/);
      expect(tracker.unfinished).toBe(1);
    });
  });

  it('lists the finished offsets above the commit point, ascending', () => {
    const tracker = tracked(0, 1, 2, 3, 5, 8);
    expect(tracker.finishedAbove()).toEqual([]);
    tracker.finish(8);
    tracker.finish(2);
    tracker.finish(5);
    expect(tracker.finishedAbove()).toEqual([2, 5, 8]);
    tracker.finish(0);
    expect(tracker.commitPoint).toBe(1);
    expect(tracker.finishedAbove()).toEqual([2, 5, 8]);
    tracker.finish(1);
    expect(tracker.commitPoint).toBe(3);
    expect(tracker.finishedAbove()).toEqual([5, 8]);
    tracker.finish(4); // never tracked: not listed
    tracker.finish(3);
    expect(tracker.finishedAbove()).toEqual([]);
    expect(tracker.commitPoint).toBe(9);
  });

  it('keeps up with a long run of out-of-order finishes', () => {
    const tracker = new OffsetTracker();
    const n = 5000;
    for (let i = 0; i < n; i++) tracker.track(i * 2); // even offsets only: gaps everywhere
    // Finish in a scrambled but deterministic order: odd positions first, then even ones.
    for (let i = 1; i < n; i += 2) tracker.finish(i * 2);
    expect(tracker.commitPoint).toBe(0);
    expect(tracker.unfinished).toBe(n / 2);
    for (let i = 0; i < n; i += 2) tracker.finish(i * 2);
    expect(tracker.commitPoint).toBe((n - 1) * 2 + 1);
    expect(tracker.unfinished).toBe(0);
  });
});
