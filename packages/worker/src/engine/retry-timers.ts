import type { PartitionWork, QueuedJob } from '../core/partition-work';

/**
 * The timers of jobs waiting for their next try (or for their dead-letter write to be tried
 * again), per partition, so that a revoked partition's timers can all be cancelled.
 */
export class RetryTimers {
  private readonly timers = new Map<PartitionWork, Map<QueuedJob, NodeJS.Timeout>>();

  /** `due` is called when a job's wait is over (the job is first in line of its key again). */
  constructor(private readonly due: (work: PartitionWork, job: QueuedJob) => void) {}

  /** Starts tracking a partition. */
  add(work: PartitionWork): void {
    this.timers.set(work, new Map());
  }

  /** Tries `job` again after `delayMs`; nothing when its partition is no longer tracked. */
  schedule(work: PartitionWork, job: QueuedJob, delayMs: number): void {
    const timers = this.timers.get(work);
    if (!timers) return;
    const timer = setTimeout(() => {
      timers.delete(job);
      this.due(work, job);
    }, delayMs);
    timers.set(job, timer);
  }

  /** Cancels every waiting retry of a partition (it is being revoked or shut down). */
  cancel(work: PartitionWork): void {
    const timers = this.timers.get(work);
    if (!timers) return;
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  }

  /** Stops tracking a partition. */
  forget(work: PartitionWork): void {
    this.timers.delete(work);
  }
}
