import { PartitionWork, QueuedJob } from '../../src/core/partition-work';
import { msg } from './helpers';

/** Starts every job that may start now; returns their offsets. */
function startAll(work: PartitionWork): QueuedJob[] {
  const started: QueuedJob[] = [];
  while (work.canStart) started.push(work.startNext());
  return started;
}

const offsets = (jobs: QueuedJob[]) => jobs.map((j) => j.message.offset);

describe('PartitionWork', () => {
  it('knows its topic and partition and starts empty', () => {
    const work = new PartitionWork('q', 3, 4);
    expect(work.topic).toBe('q');
    expect(work.partition).toBe(3);
    expect(work.canStart).toBe(false);
    expect(work.running).toBe(0);
    expect(work.unfinished).toBe(0);
    expect(work.revoked).toBe(false);
    expect(work.isPaused).toBe(false);
  });

  it('buffers a job with attempt 1 and its group', () => {
    const work = new PartitionWork('q', 0, 4);
    expect(work.enqueue(msg(0, 10, 'a'), 'key:a')).toBe(true);
    expect(work.unfinished).toBe(1);
    const job = work.startNext();
    expect(job.message.offset).toBe(10);
    expect(job.orderingKey).toBe('key:a');
    expect(job.attempt).toBe(1);
    expect(work.running).toBe(1);
  });

  it('rejects an offset already seen (re-delivery) and keeps nothing of it', () => {
    const work = new PartitionWork('q', 0, 4);
    work.enqueue(msg(0, 5, 'a'), 'a');
    expect(work.enqueue(msg(0, 5, 'a'), 'a')).toBe(false);
    expect(work.enqueue(msg(0, 4, 'b'), 'b')).toBe(false);
    expect(work.unfinished).toBe(1);
    expect(offsets(startAll(work))).toEqual([5]);
  });

  describe('ordering groups', () => {
    it('starts the jobs of one group one at a time, in offset order', () => {
      const work = new PartitionWork('q', 0, 4);
      for (let o = 0; o < 3; o++) work.enqueue(msg(0, o, 'a'), 'a');
      const first = startAll(work);
      expect(offsets(first)).toEqual([0]);
      expect(work.canStart).toBe(false);
      work.finish(first[0]);
      const second = startAll(work);
      expect(offsets(second)).toEqual([1]);
      work.finish(second[0]);
      expect(offsets(startAll(work))).toEqual([2]);
    });

    it('runs different groups at once, oldest ready group first', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'b'), 'b');
      work.enqueue(msg(0, 2, 'a'), 'a');
      work.enqueue(msg(0, 3, 'c'), 'c');
      expect(offsets(startAll(work))).toEqual([0, 1, 3]);
      expect(work.running).toBe(3);
    });

    it('runs at most maxLanes groups at once; a freed lane goes to the group waiting longest', () => {
      const work = new PartitionWork('q', 0, 2);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'b'), 'b');
      work.enqueue(msg(0, 2, 'c'), 'c');
      work.enqueue(msg(0, 3, 'a'), 'a');
      work.enqueue(msg(0, 4, 'd'), 'd');
      const first = startAll(work);
      expect(offsets(first)).toEqual([0, 1]);
      expect(work.canStart).toBe(false);
      // a finishes: c and d waited longer than a's next job, which re-queues behind them.
      work.finish(first[0]);
      expect(offsets(startAll(work))).toEqual([2]);
      work.finish(first[1]);
      const next = startAll(work);
      expect(offsets(next)).toEqual([4]);
      work.finish(next[0]);
      expect(offsets(startAll(work))).toEqual([3]);
    });

    it('takes a new job of a running group in line behind the running one', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      const [head] = startAll(work);
      work.enqueue(msg(0, 1, 'a'), 'a');
      expect(work.canStart).toBe(false);
      work.finish(head);
      expect(offsets(startAll(work))).toEqual([1]);
    });

    it('forgets an emptied group, so a later job of that key starts a fresh group', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.finish(work.startNext());
      work.enqueue(msg(0, 1, 'a'), 'a');
      expect(offsets(startAll(work))).toEqual([1]);
    });
  });

  describe('finish and the commit point', () => {
    it('returns whether the commit point moved', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'b'), 'b');
      work.enqueue(msg(0, 2, 'c'), 'c');
      const [a, b, c] = startAll(work);
      expect(work.finish(c)).toBe(false);
      expect(work.commitPoint).toBe(0);
      expect(work.finish(b)).toBe(false);
      expect(work.finish(a)).toBe(true);
      expect(work.commitPoint).toBe(3);
      expect(work.unfinished).toBe(0);
      expect(work.running).toBe(0);
    });

    it('ignores a finish of a job that is not the head of its group', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'a'), 'a');
      const head = work.startNext();
      const stranger: QueuedJob = { message: msg(0, 1, 'a'), group: 'a', attempt: 1 };
      work.finish(stranger);
      // The group is untouched: the head still runs, nothing else may start.
      expect(work.running).toBe(1);
      expect(work.canStart).toBe(false);
      work.finish(head);
      expect(work.running).toBe(0);
      expect(work.canStart).toBe(true);
    });
  });

  describe('retries: deferRetry / retryDue', () => {
    it('frees the lane while the failed job waits, holds back its group, lets other groups go on', () => {
      const work = new PartitionWork('q', 0, 1);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'a'), 'a');
      work.enqueue(msg(0, 2, 'b'), 'b');
      const a0 = work.startNext();
      expect(work.canStart).toBe(false); // one lane
      work.deferRetry(a0);
      expect(work.running).toBe(0);
      // The lane goes to b; a's later job (offset 1) stays behind the failed one.
      const started = startAll(work);
      expect(offsets(started)).toEqual([2]);
      work.finish(started[0]);
      expect(work.canStart).toBe(false);
      expect(work.commitPoint).toBe(0);
      // The wait is over: the failed job itself comes first again, then offset 1.
      work.retryDue(a0);
      const retried = work.startNext();
      expect(retried).toBe(a0);
      expect(work.canStart).toBe(false);
      expect(work.finish(retried)).toBe(true);
      expect(work.commitPoint).toBe(1);
      const next = startAll(work);
      expect(offsets(next)).toEqual([1]);
      work.finish(next[0]);
      expect(work.commitPoint).toBe(3);
    });

    it('keeps a new job of a waiting group behind the failed one', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      const a0 = work.startNext();
      work.deferRetry(a0);
      work.enqueue(msg(0, 1, 'a'), 'a');
      expect(work.canStart).toBe(false);
      work.retryDue(a0);
      expect(work.startNext()).toBe(a0);
    });

    it('ignores retryDue for a group that is not waiting, and twice in a row', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      const a0 = work.startNext();
      work.retryDue(a0); // running, not waiting
      expect(work.canStart).toBe(false);
      work.deferRetry(a0);
      work.retryDue(a0);
      work.retryDue(a0);
      expect(work.startNext()).toBe(a0);
      expect(work.canStart).toBe(false);
    });

    it('ignores deferRetry and retryDue of a job that is not a group head', () => {
      const work = new PartitionWork('q', 0, 4);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.startNext();
      const stranger: QueuedJob = { message: msg(0, 9, 'z'), group: 'z', attempt: 1 };
      work.deferRetry(stranger);
      work.retryDue(stranger);
      expect(work.running).toBe(1);
    });
  });

  describe("restore (the previous owner's finished offsets)", () => {
    it('holds messages received before restore and hands them back in order', () => {
      const work = new PartitionWork('q', 0, 4);
      expect(work.isRestored).toBe(false);
      work.hold(msg(0, 5, 'a'));
      work.hold(msg(0, 6, 'b'));
      expect(work.heldCount).toBe(2);
      expect(work.canStart).toBe(false);
      const held = work.restore({ finished: new Set(), tries: new Map() });
      expect(work.isRestored).toBe(true);
      expect(held.map((m) => m.offset)).toEqual([5, 6]);
      expect(work.heldCount).toBe(0);
    });

    it('skips offsets the previous owner finished: tracked and finished at once, never started', () => {
      const work = new PartitionWork('q', 0, 4);
      work.restore({ finished: new Set([6, 8]), tries: new Map() });
      expect(work.enqueue(msg(0, 5, 'a'), 'a')).toBe(true);
      expect(work.enqueue(msg(0, 6, 'a'), 'a')).toBe('previouslyFinished');
      expect(work.enqueue(msg(0, 7, 'b'), 'b')).toBe(true);
      expect(work.enqueue(msg(0, 8, 'b'), 'b')).toBe('previouslyFinished');
      expect(work.unfinished).toBe(2);
      expect(work.commitPoint).toBe(5);
      expect(work.finishedAboveCommitPoint(work.commitPoint!)).toEqual([6, 8]);
      const started = startAll(work);
      expect(offsets(started)).toEqual([5, 7]);
      expect(work.finish(started[0])).toBe(true);
      expect(work.commitPoint).toBe(7);
      work.finish(started[1]);
      expect(work.commitPoint).toBe(9);
      // A skip applies once: the same offset cannot come again anyway.
      expect(work.enqueue(msg(0, 8, 'b'), 'b')).toBe(false);
    });

    it('holds nothing once revoked', () => {
      const work = new PartitionWork('q', 0, 4);
      work.revoke();
      work.hold(msg(0, 0, 'a'));
      expect(work.heldCount).toBe(0);
    });
  });

  describe('revoke', () => {
    it('drops buffered jobs, keeps the running heads, starts nothing more', () => {
      const work = new PartitionWork('q', 0, 2);
      work.enqueue(msg(0, 0, 'a'), 'a');
      work.enqueue(msg(0, 1, 'a'), 'a');
      work.enqueue(msg(0, 2, 'b'), 'b');
      work.enqueue(msg(0, 3, 'c'), 'c');
      work.enqueue(msg(0, 4, 'c'), 'c');
      const [a0, b2] = startAll(work);
      expect(work.revoke()).toBe(3); // a@1, c@3, c@4
      expect(work.revoked).toBe(true);
      expect(work.canStart).toBe(false);
      expect(work.running).toBe(2);
      // Running heads still finish and move the commit point…
      expect(work.finish(a0)).toBe(true);
      expect(work.commitPoint).toBe(1);
      // …but their group's dropped jobs never come back.
      expect(work.canStart).toBe(false);
      work.finish(b2);
      expect(work.running).toBe(0);
      expect(work.canStart).toBe(false);
      // The dropped offsets stay below the commit point: the next owner fetches them again.
      expect(work.commitPoint).toBe(1);
    });

    it('drops a job waiting for its retry and ignores its retryDue', () => {
      const work = new PartitionWork('q', 0, 2);
      work.enqueue(msg(0, 0, 'a'), 'a');
      const a0 = work.startNext();
      work.deferRetry(a0);
      expect(work.revoke()).toBe(1);
      work.retryDue(a0);
      expect(work.canStart).toBe(false);
      expect(work.commitPoint).toBe(0);
    });

    it('refuses new jobs after revocation', () => {
      const work = new PartitionWork('q', 0, 2);
      work.revoke();
      expect(work.enqueue(msg(0, 0, 'a'), 'a')).toBe(false);
      expect(work.unfinished).toBe(0);
    });
  });
});
