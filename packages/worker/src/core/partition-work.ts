import { Fifo } from './fifo';
import type { InboundMessage } from './inbound-message';
import type { JobInfo } from '@partita/job';
import type { GroupId } from './lane-router';
import { OffsetTracker } from './offset-tracker';

/** A received job waiting for, or going through, its runs. */
export interface QueuedJob {
  readonly message: InboundMessage;
  /** Its ordering group inside the partition (see LaneRouter). */
  readonly group: GroupId;
  /** The try about to run or running, 1-based. */
  attempt: number;
  /** Epoch ms of the first and the latest failed try. */
  firstFailedAt?: number;
  lastFailedAt?: number;
  /** Set once the tries are over and the job only waits for its dead-letter write to succeed. */
  deadLetterError?: Error;
  /** The decoded envelope, cached after the first try (undefined for a poison message). */
  decoded?: unknown;
  /** What the runner made of it for the current try, cached for the try's events. */
  described?: JobInfo;
}

/** Why fetching from a partition is paused; it resumes when no reason is left. */
export type PauseReason = 'backpressure' | 'longRunning' | 'user';

type GroupState = 'ready' | 'running' | 'waiting';

interface OrderingGroup {
  readonly key: GroupId;
  readonly jobs: Fifo<QueuedJob>;
  state: GroupState;
}

/**
 * Everything the worker holds for one assigned partition: buffered jobs by ordering group, the
 * groups ready to start, what runs, and the offset tracker. Jobs of one group start one at a time in
 * offset order; at most `maxLanes` groups run at once.
 */
export class PartitionWork {
  readonly tracker = new OffsetTracker();
  readonly pauseReasons = new Set<PauseReason>();
  /** Set on revocation or shutdown: nothing of this partition starts any more. */
  revoked = false;
  private readonly groups = new Map<GroupId, OrderingGroup>();
  private readonly ready = new Fifo<OrderingGroup>();
  private runningCount = 0;
  /** Messages received before the committed state was restored. */
  private held: InboundMessage[] = [];
  private restored = false;
  /** Offsets a previous owner finished above its commit point: skipped, never run again. */
  private alreadyDone = new Set<number>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly maxLanes: number,
  ) {}

  /**
   * Takes the previous owner's finished offsets (from the commit metadata) and returns the messages
   * held back until now, to be enqueued. Until this is called, nothing of the partition starts.
   */
  restore(alreadyDone: Set<number>): InboundMessage[] {
    this.restored = true;
    this.alreadyDone = alreadyDone;
    const held = this.held;
    this.held = [];
    return held;
  }

  /** Offsets at or above `from` that a previous owner finished and that were not received yet. */
  pendingSkips(from: number): number[] {
    const pending: number[] = [];
    for (const offset of this.alreadyDone) if (offset >= from) pending.push(offset);
    return pending;
  }

  get isRestored(): boolean {
    return this.restored;
  }

  /** Holds a message received before {@link restore}. */
  hold(message: InboundMessage): void {
    if (!this.revoked) this.held.push(message);
  }

  /** Messages held before restore (they count toward back-pressure). */
  get heldCount(): number {
    return this.held.length;
  }

  /**
   * Buffers a received job. Returns false (keeping nothing) for an offset already seen, and
   * 'skipped' for an offset a previous owner already finished (it counts as finished at once).
   */
  enqueue(message: InboundMessage, group: GroupId): boolean | 'skipped' {
    if (this.revoked || !this.tracker.accepts(message.offset)) return false;
    this.tracker.track(message.offset);
    if (this.alreadyDone.delete(message.offset)) {
      this.tracker.finish(message.offset);
      return 'skipped';
    }
    let g = this.groups.get(group);
    if (!g) {
      g = { key: group, jobs: new Fifo<QueuedJob>(), state: 'ready' };
      this.groups.set(group, g);
      this.ready.push(g);
    }
    g.jobs.push({ message, group, attempt: 1 });
    return true;
  }

  /** True when a job of this partition may start now. */
  get canStart(): boolean {
    return !this.revoked && this.runningCount < this.maxLanes && this.ready.length > 0;
  }

  /** Takes the head job of the group that has been ready longest. Call only when `canStart`. */
  startNext(): QueuedJob {
    const g = this.ready.shift() as OrderingGroup;
    g.state = 'running';
    this.runningCount++;
    return g.jobs.peek() as QueuedJob;
  }

  /** The job is done (succeeded or dead-lettered). Returns true when the commit point moved. */
  finish(job: QueuedJob): boolean {
    const g = this.groupOf(job);
    if (g) {
      g.jobs.shift();
      this.runningCount--;
      if (g.jobs.length === 0) {
        this.groups.delete(g.key);
      } else if (!this.revoked) {
        g.state = 'ready';
        this.ready.push(g);
      }
    }
    return this.tracker.finish(job.message.offset);
  }

  /** The job failed and waits for a retry: its lane is free, its group waits (later jobs of it too). */
  deferRetry(job: QueuedJob): void {
    const g = this.groupOf(job);
    if (!g) return;
    g.state = 'waiting';
    this.runningCount--;
  }

  /** The retry wait is over: the job is first in line of its group again. */
  retryDue(job: QueuedJob): void {
    const g = this.groupOf(job);
    if (!g || g.state !== 'waiting' || this.revoked) return;
    g.state = 'ready';
    this.ready.push(g);
  }

  /**
   * Stops the partition: nothing starts any more, buffered jobs are dropped (they will be fetched
   * again by the next owner). Returns how many were dropped. Running jobs are left to finish.
   */
  revoke(): number {
    this.revoked = true;
    this.ready.clear();
    let dropped = 0;
    for (const [key, g] of this.groups) {
      if (g.state === 'running') {
        const head = g.jobs.shift() as QueuedJob;
        dropped += g.jobs.clear().length;
        g.jobs.push(head);
      } else {
        dropped += g.jobs.length;
        this.groups.delete(key);
      }
    }
    return dropped;
  }

  /** Jobs received and not finished (buffered, waiting for a retry or running). */
  get unfinished(): number {
    return this.tracker.unfinished;
  }

  get running(): number {
    return this.runningCount;
  }

  private groupOf(job: QueuedJob): OrderingGroup | undefined {
    const g = this.groups.get(job.group);
    return g && g.jobs.peek() === job ? g : undefined;
  }
}
