import { Fifo } from './fifo';
import type { InboundMessage } from './inbound-message';
import type { JobInfo } from '@partita/job';
import type { GroupId } from './lane-router';
import { OffsetTracker } from './offset-tracker';
import type { CommittedProgress, JobTries } from './commit-metadata';

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
  /**
   * A try of it was running when a previous owner of the partition died: it runs alone in its
   * partition, and its try is committed as running before it starts, so that a death during it is
   * blamed on it (see commit-metadata.ts).
   */
  suspect?: boolean;
  /** Set while a try runs: `alone` when nothing else of its partition may run meanwhile (a suspect). */
  running?: 'shared' | 'alone';
  /** When the running try started (epoch ms). */
  startedAt?: number;
}

/** Why fetching from a partition is paused; it resumes when no reason is left. */
export type PauseReason = 'backpressure' | 'longRunning' | 'user' | 'metadata';

/** `idle`: neither ready nor running (waiting for a retry, or for a timed-out try to settle). */
type GroupState = 'ready' | 'running' | 'idle';

interface OrderingGroup {
  readonly key: GroupId;
  readonly jobs: Fifo<QueuedJob>;
  state: GroupState;
  /** The head job waits for its retry timer. */
  retryWaiting: boolean;
  /** Tries of this group that timed out and whose `perform` has not settled: nothing of it may start. */
  hung: number;
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
  /** Tries a previous owner used on jobs it did not finish, by offset. */
  private restoredTries = new Map<number, JobTries>();
  /** Offsets of suspects (see {@link QueuedJob.suspect}) not received or not run alone yet, ascending. */
  private suspects: number[] = [];
  /**
   * Set while the commit metadata nears its size limit: only the job at the commit point may start,
   * since any other finish would add an offset to record (see the engine's metadata back-pressure).
   */
  onlyCommitPoint = false;
  /** The commit metadata's length as last measured, plus an upper bound of what finished since. */
  metadataChars = 0;
  /** The highest offset finished so far (for {@link metadataChars}). */
  highestFinished = -1;
  /** The tries periodic commits record, and when they were taken (epoch ms): reused for a while. */
  triesRecord?: Map<number, JobTries>;
  triesRecordAt = 0;
  /** Unfinished jobs that used tries or are suspects (running or not): what the metadata records besides running tries. */
  private readonly tried = new Set<QueuedJob>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly maxLanes: number,
  ) {}

  /**
   * Takes the previous owner's finished offsets (from the commit metadata) and returns the messages
   * held back until now, to be enqueued. Until this is called, nothing of the partition starts.
   */
  restore(progress: CommittedProgress): InboundMessage[] {
    this.restored = true;
    this.alreadyDone = progress.finished;
    this.restoredTries = progress.tries;
    for (const [offset, entry] of progress.tries) if (entry.running) this.suspects.push(offset);
    this.suspects.sort((a, b) => a - b);
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
    const job: QueuedJob = { message, group, attempt: 1 };
    if (this.restoredTries.size > 0) this.applyRestoredTries(job);
    let g = this.groups.get(group);
    if (!g) {
      g = { key: group, jobs: new Fifo<QueuedJob>(), state: 'ready', retryWaiting: false, hung: 0 };
      this.groups.set(group, g);
      this.ready.push(g);
    }
    g.jobs.push(job);
    return true;
  }

  /** A job a previous owner tried: its tries go on from there; a suspect runs alone. */
  private applyRestoredTries(job: QueuedJob): void {
    const { offset } = job.message;
    const entry = this.restoredTries.get(offset);
    // Suspects that were never received (e.g. deleted by retention) no longer hold the partition back.
    while (this.suspects.length > 0 && this.suspects[0]! < offset) this.suspects.shift();
    if (!entry) return;
    this.restoredTries.delete(offset);
    this.tried.add(job);
    // A try that was running alone when the worker died used its attempt: it killed the worker.
    job.attempt = entry.tries + (entry.isolated ? 1 : 0) + 1;
    job.suspect = entry.running;
  }

  /** Most jobs of this partition that may run at once: one while suspects wait to run alone. */
  private get laneLimit(): number {
    return this.suspects.length > 0 ? 1 : this.maxLanes;
  }

  /** True when a job of this partition may start now. */
  get canStart(): boolean {
    if (this.revoked || this.runningCount >= this.laneLimit || this.ready.length === 0) return false;
    return !this.onlyCommitPoint || this.commitPointGroup() !== undefined;
  }

  /** Takes the head job of the group that has been ready longest. Call only when `canStart`. */
  startNext(): QueuedJob {
    let g: OrderingGroup;
    if (this.onlyCommitPoint) {
      g = this.commitPointGroup() as OrderingGroup;
      // Rare (metadata back-pressure only): rebuild the ready line without it.
      for (const other of this.ready.clear()) if (other !== g) this.ready.push(other);
    } else {
      g = this.ready.shift() as OrderingGroup;
    }
    g.state = 'running';
    this.runningCount++;
    return g.jobs.peek() as QueuedJob;
  }

  /** The ready group whose head job is at the commit point, if any. */
  private commitPointGroup(): OrderingGroup | undefined {
    const offset = this.tracker.commitPoint;
    for (const g of this.groups.values()) {
      if (g.state === 'ready' && g.jobs.peek()?.message.offset === offset) return g;
    }
    return undefined;
  }

  /** A suspect's try is over (or it was dead-lettered): the partition may run in parallel again. */
  clearSuspect(job: QueuedJob): void {
    if (!job.suspect) return;
    job.suspect = false;
    const index = this.suspects.indexOf(job.message.offset);
    if (index >= 0) this.suspects.splice(index, 1);
  }

  /** The job is done (succeeded or dead-lettered). Returns true when the commit point moved. */
  finish(job: QueuedJob): boolean {
    const g = this.groupOf(job);
    if (g) {
      g.jobs.shift();
      this.runningCount--;
      g.state = 'idle';
      this.readyOrForget(g);
    }
    this.tried.delete(job);
    return this.tracker.finish(job.message.offset);
  }

  /** The job failed and waits for a retry: its lane is free, its group waits (later jobs of it too). */
  deferRetry(job: QueuedJob): void {
    const g = this.groupOf(job);
    if (!g) return;
    g.state = 'idle';
    g.retryWaiting = true;
    this.runningCount--;
    this.tried.add(job);
  }

  /** The retry wait is over: the job is first in line of its group again (once nothing of it hangs). */
  retryDue(job: QueuedJob): void {
    const g = this.groupOf(job);
    if (!g || !g.retryWaiting) return;
    g.retryWaiting = false;
    this.readyOrForget(g);
  }

  /**
   * A try of the job timed out and its `perform` has not settled: until {@link unhang}, nothing of
   * its group starts, so a key's jobs never overlap, while the job itself may still be retried or
   * dead-lettered (and so no longer hold the commit point).
   */
  hang(job: QueuedJob): void {
    const g = this.groups.get(job.group);
    if (g) g.hung++;
  }

  /** A timed-out try's `perform` settled at last. */
  unhang(group: GroupId): void {
    const g = this.groups.get(group);
    if (!g || g.hung === 0) return;
    g.hung--;
    this.readyOrForget(g);
  }

  /** Puts an idle group back in line when nothing holds it, or forgets it once it has nothing left. */
  private readyOrForget(g: OrderingGroup): void {
    if (g.state !== 'idle' || g.retryWaiting || g.hung > 0) return;
    if (g.jobs.length === 0) {
      this.groups.delete(g.key);
    } else if (!this.revoked) {
      g.state = 'ready';
      this.ready.push(g);
    }
  }

  /** Jobs whose try runs now (the heads of running groups). Not for the hot path. */
  runningJobs(): QueuedJob[] {
    const jobs: QueuedJob[] = [];
    for (const g of this.groups.values()) {
      const head = g.jobs.peek();
      if (g.state === 'running' && head?.running !== undefined) jobs.push(head);
    }
    return jobs;
  }

  /**
   * Tries used by jobs of this partition that did not finish, for the commit metadata: the
   * `running` tries that started at or before `startedBy` (epoch ms), marked as running (unless at
   * a `handover`: revocation or shutdown, where running tries were aborted and do not count), then
   * jobs waiting for a retry, suspects, and tries restored for jobs not received yet.
   */
  triesToRecord(running: readonly QueuedJob[], startedBy: number, handover: boolean): Map<number, JobTries> {
    const tries = new Map<number, JobTries>();
    if (!handover) {
      for (const job of running) {
        if (job.running === undefined || (job.startedAt ?? 0) > startedBy) continue;
        tries.set(job.message.offset, { tries: job.attempt - 1, running: true, isolated: job.running === 'alone' });
      }
    }
    for (const job of this.tried) {
      if (tries.has(job.message.offset)) continue;
      const used = job.attempt - 1;
      // A suspect that has not run alone yet stays one for the next owner.
      if (job.suspect) tries.set(job.message.offset, { tries: used, running: true, isolated: false });
      else if (used > 0) tries.set(job.message.offset, { tries: used, running: false, isolated: false });
    }
    for (const [offset, entry] of this.restoredTries) tries.set(offset, entry);
    return tries;
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
