import { PartitionWork } from '../../src/core/partition-work';
import { Scheduler } from '../../src/core/scheduler';
import { msg } from './helpers';

function partition(p: number, jobs: number, maxLanes = 100): PartitionWork {
  const work = new PartitionWork('q', p, maxLanes);
  for (let o = 0; o < jobs; o++) work.enqueue(msg(p, o, `k${o}`), `key:k${o}`);
  return work;
}

describe('Scheduler', () => {
  it('returns nothing without partitions', () => {
    const scheduler = new Scheduler(4);
    expect(scheduler.next()).toBeUndefined();
    expect(scheduler.running).toBe(0);
  });

  it('starts at most `concurrency` jobs over all partitions', () => {
    const scheduler = new Scheduler(3);
    scheduler.add(partition(0, 5));
    scheduler.add(partition(1, 5));
    const started = [];
    for (let n = scheduler.next(); n; n = scheduler.next()) started.push(n);
    expect(started).toHaveLength(3);
    expect(scheduler.running).toBe(3);
    expect(scheduler.next()).toBeUndefined();
    // A slot is released: exactly one more may start.
    started[0].work.finish(started[0].job);
    scheduler.release();
    expect(scheduler.next()).toBeDefined();
    expect(scheduler.next()).toBeUndefined();
  });

  it('takes partitions in turn so a busy one cannot starve the others', () => {
    const scheduler = new Scheduler(100);
    const p0 = partition(0, 10);
    const p1 = partition(1, 10);
    const p2 = partition(2, 1);
    scheduler.add(p0);
    scheduler.add(p1);
    scheduler.add(p2);
    const order: number[] = [];
    for (let i = 0; i < 7; i++) order.push(scheduler.next()!.work.partition);
    expect(order).toEqual([0, 1, 2, 0, 1, 0, 1]);
  });

  it('continues the rotation after the last partition that started a job', () => {
    const scheduler = new Scheduler(1);
    const works = [partition(0, 5), partition(1, 5), partition(2, 5)];
    for (const w of works) scheduler.add(w);
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = scheduler.next()!;
      order.push(next.work.partition);
      next.work.finish(next.job);
      scheduler.release();
    }
    expect(order).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('skips partitions that cannot start (lane limit, revoked, empty)', () => {
    const scheduler = new Scheduler(10);
    const laneLimited = partition(0, 5, 1);
    const revoked = partition(1, 5);
    revoked.revoke();
    const empty = new PartitionWork('q', 2, 4);
    const open = partition(3, 2);
    for (const w of [laneLimited, revoked, empty, open]) scheduler.add(w);
    const parts: number[] = [];
    for (let n = scheduler.next(); n; n = scheduler.next()) parts.push(n.work.partition);
    expect(parts.sort()).toEqual([0, 3, 3]);
  });

  it('starts nothing while halted, and resumes where it was', () => {
    const scheduler = new Scheduler(4);
    scheduler.add(partition(0, 3));
    scheduler.halted = true;
    expect(scheduler.next()).toBeUndefined();
    expect(scheduler.running).toBe(0);
    scheduler.halted = false;
    expect(scheduler.next()?.job.message.offset).toBe(0);
  });

  it('stops offering a removed partition; running count is kept until released', () => {
    const scheduler = new Scheduler(4);
    const p0 = partition(0, 3);
    const p1 = partition(1, 3);
    scheduler.add(p0);
    scheduler.add(p1);
    expect(scheduler.next()?.work).toBe(p0);
    scheduler.remove(p0);
    expect(scheduler.running).toBe(1);
    const rest = [];
    for (let n = scheduler.next(); n; n = scheduler.next()) rest.push(n.work);
    expect(rest.every((w) => w === p1)).toBe(true);
    expect(rest).toHaveLength(3);
    scheduler.release();
    expect(scheduler.running).toBe(3);
  });
});
