import type { PartitionWork, QueuedJob } from './partition-work';

/**
 * Starts jobs across partitions under one concurrency limit, taking partitions in turn so that a
 * busy partition cannot starve the others.
 */
export class Scheduler {
  private partitions: PartitionWork[] = [];
  private cursor = 0;
  private runningCount = 0;
  /** While true nothing starts (worker.pause(), shutdown). */
  halted = false;

  constructor(private readonly concurrency: number) {}

  add(work: PartitionWork): void {
    this.partitions.push(work);
  }

  remove(work: PartitionWork): void {
    this.partitions = this.partitions.filter((p) => p !== work);
    this.cursor = 0;
  }

  /** The next job to start, or undefined when at the limit or nothing is ready. */
  next(): { work: PartitionWork; job: QueuedJob } | undefined {
    if (this.halted || this.runningCount >= this.concurrency) return undefined;
    const n = this.partitions.length;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      const work = this.partitions[index];
      if (work.canStart) {
        this.cursor = (index + 1) % n;
        this.runningCount++;
        return { work, job: work.startNext() };
      }
    }
    return undefined;
  }

  /** A job started by `next` no longer holds a slot (done, or waiting for a retry). */
  release(): void {
    this.runningCount--;
  }

  get running(): number {
    return this.runningCount;
  }
}
