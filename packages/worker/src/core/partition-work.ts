import { Fifo } from './fifo';
import type { InboundMessage } from './inbound-message';
import type { JobInfo } from '@partita/job';
import type { Envelope } from '@partita/job/wire';
import type { OrderingKey } from './lane-router';
import { OffsetTracker } from './offset-tracker';
import type { CommittedProgress, JobTries } from './commit-metadata';

/** A received job waiting for, or going through, its runs. */
export interface QueuedJob {
  readonly message: InboundMessage;
  /** What orders it inside the partition (see LaneRouter): jobs of one ordering key run one at a time. */
  readonly orderingKey: OrderingKey;
  /** The try about to run or running, 1-based. */
  attempt: number;
  /** Epoch ms of the first and the latest failed try. */
  firstFailedAt?: number;
  lastFailedAt?: number;
  /** Set once the tries are over and the job only waits for its dead-letter write to succeed. */
  deadLetterError?: Error;
  /** The decoded envelope, kept after the first try (undefined before it, and for a poison message). */
  envelope?: Envelope;
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

/** What a received offset became: buffered (true), already seen (false), or finished by a previous owner. */
export type EnqueueOutcome = boolean | 'previouslyFinished';

/** `idle`: neither ready nor running (waiting for a retry, or for a timed-out try to settle). */
type KeyState = 'ready' | 'running' | 'idle';

/** The buffered jobs of one ordering key, in offset order, and where that key stands. */
interface KeyLine {
  readonly key: OrderingKey;
  readonly jobs: Fifo<QueuedJob>;
  state: KeyState;
  /** The head job waits for its retry timer. */
  retryWaiting: boolean;
  /** Tries of this key that timed out and whose `perform` has not settled: nothing of it may start. */
  hung: number;
}

/**
 * Everything the worker holds for one assigned partition: buffered jobs by ordering key, the keys
 * ready to start, what runs, the offset tracker, why fetching is paused and what the commit
 * metadata needs. Jobs of one key start one at a time in offset order; at most `maxLanes` keys run
 * at once.
 */
export class PartitionWork {
  private readonly tracker = new OffsetTracker();
  private readonly pauseReasons = new Set<PauseReason>();
  /** Set on revocation or shutdown: nothing of this partition starts any more. */
  private stopped = false;
  private readonly keys = new Map<OrderingKey, KeyLine>();
  private readonly ready = new Fifo<KeyLine>();
  private runningCount = 0;
  /** Messages received before the committed state was restored. */
  private held: InboundMessage[] = [];
  private restored = false;
  /**
   * Offsets a previous owner finished above its commit point and that were not received yet: they
   * are finished at once when they come, never run again, and recorded in commits until then.
   */
  private previouslyFinished = new Set<number>();
  /** Tries a previous owner used on jobs it did not finish, by offset. */
  private restoredTries = new Map<number, JobTries>();
  /** Offsets of suspects (see {@link QueuedJob.suspect}) not received or not run alone yet, ascending. */
  private suspects: number[] = [];
  /**
   * Set while the commit metadata nears its size limit: only the job at the commit point may start,
   * since any other finish would add an offset to record (see the engine's metadata back-pressure).
   */
  private onlyCommitPoint = false;
  /** The commit metadata's length as last measured, plus an upper bound of what finished since. */
  private metadataChars = 0;
  /** The highest offset finished so far (for {@link metadataChars}). */
  private highestFinished = -1;
  /** The tries periodic commits record, and when they were taken (epoch ms): reused for a while. */
  private periodicTries?: Map<number, JobTries>;
  private periodicTriesAt = 0;
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
    this.previouslyFinished = progress.finished;
    this.restoredTries = progress.tries;
    for (const [offset, entry] of progress.tries) if (entry.running) this.suspects.push(offset);
    this.suspects.sort((a, b) => a - b);
    const held = this.held;
    this.held = [];
    return held;
  }

  get isRestored(): boolean {
    return this.restored;
  }

  /** Holds a message received before {@link restore}. */
  hold(message: InboundMessage): void {
    if (!this.stopped) this.held.push(message);
  }

  /** Messages held before restore (they count toward back-pressure). */
  get heldCount(): number {
    return this.held.length;
  }

  /**
   * Buffers a received job. Returns false (keeping nothing) for an offset already seen, and
   * 'previouslyFinished' for an offset a previous owner already finished (it counts as finished at once).
   */
  enqueue(message: InboundMessage, orderingKey: OrderingKey): EnqueueOutcome {
    if (this.stopped || !this.tracker.accepts(message.offset)) return false;
    this.tracker.track(message.offset);
    if (this.previouslyFinished.delete(message.offset)) {
      this.tracker.finish(message.offset);
      return 'previouslyFinished';
    }
    const job: QueuedJob = { message, orderingKey, attempt: 1 };
    if (this.restoredTries.size > 0) this.applyRestoredTries(job);
    let line = this.keys.get(orderingKey);
    if (!line) {
      line = { key: orderingKey, jobs: new Fifo<QueuedJob>(), state: 'ready', retryWaiting: false, hung: 0 };
      this.keys.set(orderingKey, line);
      this.ready.push(line);
    }
    line.jobs.push(job);
    return true;
  }

  /** A job a previous owner tried: its tries go on from there; a suspect runs alone. */
  private applyRestoredTries(job: QueuedJob): void {
    const { offset } = job.message;
    const entry = this.restoredTries.get(offset);
    // Suspects that were never received (e.g. deleted by retention) no longer hold the partition back.
    while (this.suspects.length > 0 && this.suspects[0] < offset) this.suspects.shift();
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
    if (this.stopped || this.runningCount >= this.laneLimit || this.ready.length === 0) return false;
    return !this.onlyCommitPoint || this.commitPointKey() !== undefined;
  }

  /** Takes the head job of the key that has been ready longest. Call only when `canStart`. */
  startNext(): QueuedJob {
    let line: KeyLine;
    if (this.onlyCommitPoint) {
      line = this.commitPointKey() as KeyLine;
      // Rare (metadata back-pressure only): rebuild the ready line without it.
      for (const other of this.ready.clear()) if (other !== line) this.ready.push(other);
    } else {
      line = this.ready.shift() as KeyLine;
    }
    line.state = 'running';
    this.runningCount++;
    return line.jobs.peek() as QueuedJob;
  }

  /** The ready key whose head job is at the commit point, if any. */
  private commitPointKey(): KeyLine | undefined {
    const offset = this.tracker.commitPoint;
    for (const line of this.keys.values()) {
      if (line.state === 'ready' && line.jobs.peek()?.message.offset === offset) return line;
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
    const line = this.lineOf(job);
    if (line) {
      line.jobs.shift();
      this.runningCount--;
      line.state = 'idle';
      this.readyOrForget(line);
    }
    this.tried.delete(job);
    return this.tracker.finish(job.message.offset);
  }

  /** The job failed and waits for a retry: its lane is free, its key waits (later jobs of it too). */
  deferRetry(job: QueuedJob): void {
    const line = this.lineOf(job);
    if (!line) return;
    line.state = 'idle';
    line.retryWaiting = true;
    this.runningCount--;
    this.tried.add(job);
  }

  /** The retry wait is over: the job is first in line of its key again (once nothing of it hangs). */
  retryDue(job: QueuedJob): void {
    const line = this.lineOf(job);
    if (!line || !line.retryWaiting) return;
    line.retryWaiting = false;
    this.readyOrForget(line);
  }

  /**
   * A try of the job timed out and its `perform` has not settled: until {@link unhang}, nothing of
   * its key starts, so a key's jobs never overlap, while the job itself may still be retried or
   * dead-lettered (and so no longer hold the commit point).
   */
  hang(job: QueuedJob): void {
    const line = this.keys.get(job.orderingKey);
    if (line) line.hung++;
  }

  /** A timed-out try of the job settled at last. */
  unhang(job: QueuedJob): void {
    const line = this.keys.get(job.orderingKey);
    if (!line || line.hung === 0) return;
    line.hung--;
    this.readyOrForget(line);
  }

  /** Puts an idle key back in line when nothing holds it, or forgets it once it has nothing left. */
  private readyOrForget(line: KeyLine): void {
    if (line.state !== 'idle' || line.retryWaiting || line.hung > 0) return;
    if (line.jobs.length === 0) {
      this.keys.delete(line.key);
    } else if (!this.stopped) {
      line.state = 'ready';
      this.ready.push(line);
    }
  }

  /** Jobs whose try runs now (the heads of running keys). Not for the hot path. */
  runningJobs(): QueuedJob[] {
    const jobs: QueuedJob[] = [];
    for (const line of this.keys.values()) {
      const head = line.jobs.peek();
      if (line.state === 'running' && head?.running !== undefined) jobs.push(head);
    }
    return jobs;
  }

  /**
   * Tries used by jobs of this partition that did not finish, for the commit metadata: the
   * running tries that started at or before `startedBy` (epoch ms), marked as running (unless at a
   * `handover`: revocation or shutdown, where running tries were aborted and do not count), then
   * jobs waiting for a retry, suspects, and tries restored for jobs not received yet.
   */
  triesToRecord(startedBy: number, handover: boolean): Map<number, JobTries> {
    const tries = new Map<number, JobTries>();
    if (!handover) {
      for (const job of this.runningJobs()) {
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
   * {@link triesToRecord} for periodic commits (not a handover), reused while younger than
   * `maxAgeMs`: periodic commits come after every poll, and taking the record walks the running keys.
   */
  periodicTriesToRecord(now: number, maxAgeMs: number, startedBy: number): Map<number, JobTries> {
    if (this.periodicTries && now - this.periodicTriesAt < maxAgeMs) return this.periodicTries;
    this.periodicTries = this.triesToRecord(startedBy, false);
    this.periodicTriesAt = now;
    return this.periodicTries;
  }

  /** The offset to commit: one past the finished prefix; undefined before any offset was received. */
  get commitPoint(): number | undefined {
    return this.tracker.commitPoint;
  }

  /**
   * The finished offsets above `commitPoint`, ascending, for the commit metadata: those finished
   * here, and those a previous owner finished that were not received again yet (they stay recorded).
   */
  finishedAboveCommitPoint(commitPoint: number): number[] {
    const above = this.tracker.finishedAbove();
    if (this.previouslyFinished.size === 0) return above;
    const pending: number[] = [];
    for (const offset of this.previouslyFinished) if (offset >= commitPoint) pending.push(offset);
    return pending.length > 0 ? [...above, ...pending].sort((a, b) => a - b) : above;
  }

  /** The commit metadata was just encoded at this length. */
  measuredMetadata(chars: number): void {
    this.metadataChars = chars;
  }

  /**
   * A job at `offset` finished without moving the commit point, which adds it to the metadata: adds
   * an upper bound of its cost to the last measured length and returns the estimate. Above every
   * finished offset it costs its distance from the highest; else it splits a distance that is at
   * most its own from the commit point.
   */
  estimateMetadataAfterFinish(offset: number): number {
    const commitPoint = this.tracker.commitPoint ?? offset;
    const base = offset > this.highestFinished && this.highestFinished >= commitPoint ? this.highestFinished : commitPoint;
    if (offset > this.highestFinished) this.highestFinished = offset;
    let delta = offset - base;
    let chars = 2; // the separator and at least one digit
    while (delta >= 36) {
      delta = Math.floor(delta / 36);
      chars++;
    }
    this.metadataChars += chars;
    return this.metadataChars;
  }

  /** True while only the job at the commit point may start (metadata back-pressure). */
  get startsOnlyCommitPoint(): boolean {
    return this.onlyCommitPoint;
  }

  /** Starts or ends metadata back-pressure: while on, only the job at the commit point may start. */
  setOnlyCommitPoint(on: boolean): void {
    this.onlyCommitPoint = on;
  }

  /** Adds a reason to keep fetching paused; returns true when the partition was not paused before. */
  pause(reason: PauseReason): boolean {
    if (this.stopped || this.pauseReasons.has(reason)) return false;
    this.pauseReasons.add(reason);
    return this.pauseReasons.size === 1;
  }

  /** Removes a pause reason; returns true when it was the last one (fetching may resume). */
  unpause(reason: PauseReason): boolean {
    if (!this.pauseReasons.delete(reason) || this.stopped) return false;
    return this.pauseReasons.size === 0;
  }

  /** True while `reason` keeps fetching paused. */
  isPausedFor(reason: PauseReason): boolean {
    return this.pauseReasons.has(reason);
  }

  /** True while any reason keeps fetching paused. */
  get isPaused(): boolean {
    return this.pauseReasons.size > 0;
  }

  /** True once revoked (or shut down): nothing of this partition starts any more. */
  get revoked(): boolean {
    return this.stopped;
  }

  /**
   * Stops the partition: nothing starts any more, buffered jobs are dropped (they will be fetched
   * again by the next owner). Returns how many were dropped. Running jobs are left to finish.
   */
  revoke(): number {
    this.stopped = true;
    this.ready.clear();
    let dropped = 0;
    for (const [key, line] of this.keys) {
      if (line.state === 'running') {
        const head = line.jobs.shift() as QueuedJob;
        dropped += line.jobs.clear().length;
        line.jobs.push(head);
      } else {
        dropped += line.jobs.length;
        this.keys.delete(key);
      }
    }
    return dropped;
  }

  /** Jobs received and not finished (buffered, waiting for a retry or running). */
  get unfinished(): number {
    return this.tracker.unfinished;
  }

  /** Jobs of this partition whose try runs now (each holds a lane). */
  get running(): number {
    return this.runningCount;
  }

  private lineOf(job: QueuedJob): KeyLine | undefined {
    const line = this.keys.get(job.orderingKey);
    return line && line.jobs.peek() === job ? line : undefined;
  }
}
