import { PartitionWork } from '../core/partition-work';
import type { TopicPartition } from '../events';
import type { Run } from './run';
import { Settled } from './settled';

const keyOf = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

/**
 * The partitions assigned to this worker, their work, and the tries running in each. Ending a try
 * or forgetting a partition wakes whoever waits for running tries to end ({@link whenSettled}).
 */
export class Partitions {
  private readonly works = new Map<string, PartitionWork>();
  private readonly runs = new Map<PartitionWork, Set<Run>>();
  private readonly settled = new Settled();

  constructor(private readonly maxLanes: number) {}

  /** The work of an assigned partition. */
  get(tp: TopicPartition): PartitionWork | undefined {
    return this.works.get(keyOf(tp));
  }

  /** Starts tracking a newly assigned partition; undefined when it is tracked already. */
  add(tp: TopicPartition): PartitionWork | undefined {
    const key = keyOf(tp);
    if (this.works.has(key)) return undefined;
    const work = new PartitionWork(tp.topic, tp.partition, this.maxLanes);
    this.works.set(key, work);
    this.runs.set(work, new Set());
    return work;
  }

  /** Stops tracking a partition (its running tries no longer count). */
  forget(work: PartitionWork): void {
    this.works.delete(keyOf(work));
    this.runs.delete(work);
    this.settled.notify();
  }

  all(): IterableIterator<PartitionWork> {
    return this.works.values();
  }

  /** A try of `work` starts. */
  addRun(work: PartitionWork, run: Run): void {
    this.runs.get(work)?.add(run);
  }

  /** A try of `work` no longer runs (done, failed, or timed out). */
  endRun(work: PartitionWork, run: Run): void {
    this.runs.get(work)?.delete(run);
    this.settled.notify();
  }

  /** The tries of `work` running now. */
  runsOf(work: PartitionWork): Iterable<Run> {
    return this.runs.get(work) ?? [];
  }

  /** Every running try. */
  *allRuns(): IterableIterator<Run> {
    for (const runs of this.runs.values()) yield* runs;
  }

  runningOf(work: PartitionWork): number {
    return this.runs.get(work)?.size ?? 0;
  }

  runningTotal(): number {
    let n = 0;
    for (const runs of this.runs.values()) n += runs.size;
    return n;
  }

  /** Resolves true once `condition` (about running tries) holds, false if it still does not after `timeoutMs`. */
  whenSettled(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.settled.wait(condition, timeoutMs);
  }
}
