import { GroupId, LaneRouter, PARTITIONER_ERROR_GROUP } from './core/lane-router';
import type { InboundMessage } from './core/inbound-message';
import { PartitionWork, PauseReason, QueuedJob } from './core/partition-work';
import { decideAfterFailure } from './core/retry-policy';
import { decodeCommitMetadata, DEFAULT_METADATA_MAX_CHARS, encodeCommitMetadata, JobTries } from './core/commit-metadata';
import { Scheduler } from './core/scheduler';
import type { ResolvedWorkerConfig } from './config';
import { toError } from './core/thrown-value';
import type { DeadLetterInfo, JobInfo, TopicPartition, TypedEmitter, WorkerEvents } from './events';
import { Backoff, JobTimeoutError, PartitaError, WorkerCrashedError } from '@partita/job';

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  /** Commit metadata: the finished offsets above `offset` (see commit-metadata.ts). */
  metadata?: string;
}

/** What the engine needs from the Kafka consumer; the consumer shell implements it. */
export interface ConsumerControl {
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Stores offsets for the background commit. */
  storeOffsets(offsets: TopicPartitionOffset[]): void;
  /** Commits offsets now (on revocation and shutdown), without blocking the thread. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Commits offsets before returning: for a process that is exiting, where nothing asynchronous runs any more. */
  commitBlocking(offsets: TopicPartitionOffset[]): void;
}

/** A running try's view of its fate: aborted on revocation or forced shutdown. */
export interface RunHandle {
  readonly signal: AbortSignal;
  isRevoked(): boolean;
}

export type ExecutionResult =
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; error: Error; attempts: number; backoff?: Backoff };

/** What bounds a job's tries, as its envelope, its class and the worker's options say. */
export interface JobLimits {
  /** Total tries. */
  attempts: number;
  backoff?: Backoff;
  /** How long one try may run, in milliseconds; undefined for no limit. */
  timeoutMs?: number;
}

/** Runs one try of a job. Never rejects: failures are results. */
export interface JobExecutor {
  execute(job: QueuedJob, handle: RunHandle): Promise<ExecutionResult>;
  /** The job's limits, read before a try starts; never throws (a poison message gets one try). */
  limits(job: QueuedJob): JobLimits;
  /** The job as events show it. */
  describe(job: QueuedJob): JobInfo;
}

/** Writes a dead job to its dead letter topic; resolves once the broker acknowledged. */
export interface DeadLetterSink {
  write(job: QueuedJob, error: Error): Promise<DeadLetterInfo>;
}

class Run implements RunHandle {
  private controller?: AbortController;
  private aborted: unknown;
  private revoked = false;
  /** The try's timeout timer, while it runs. */
  timer?: NodeJS.Timeout;
  /** The try timed out and was settled as failed; its `perform` may still be running. */
  timedOut = false;


  get signal(): AbortSignal {
    // Created lazily: most jobs never look at their signal, and an AbortController per job costs.
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted !== undefined) this.controller.abort(this.aborted);
    }
    return this.controller.signal;
  }

  isRevoked(): boolean {
    return this.revoked;
  }

  /** The reason the try was aborted with; undefined until it is. */
  get abortReason(): Error | undefined {
    return this.aborted as Error | undefined;
  }

  abort(reason: Error, revoked: boolean): void {
    if (this.aborted !== undefined) return;
    this.revoked ||= revoked;
    this.aborted = reason;
    this.controller?.abort(reason);
  }
}

const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

/** Delay before retrying a dead-letter write that failed. */
const DEAD_LETTER_RETRY_MS = 1000;

/**
 * Commit metadata this long (of its limit) stops a partition from starting anything but the job at
 * its commit point, until it shrinks below the low mark: finished offsets that no longer fit would
 * run again after a restart (Parallel Consumer back-pressures at 75% too).
 */
const METADATA_HIGH_MARK = 0.75 * DEFAULT_METADATA_MAX_CHARS;
const METADATA_LOW_MARK = 0.5 * DEFAULT_METADATA_MAX_CHARS;

/**
 * Periodic commits mark as running only the tries that have run this long: a worker killed
 * outright (kill -9, out of memory) then leaves its long tries as suspects, while the many short
 * ones are neither recorded on every poll nor run alone by the next owner. (`process.exit` and
 * uncaught errors mark every running try, see `commitOnExit`.)
 */
const RECORD_RUNNING_AFTER_MS = 500;
/** How long the periodic record of tries is reused before it is taken again. */
const TRIES_REFRESH_MS = 250;

/** How a commit records running tries. */
type TriesRecord = 'periodic' | 'handover' | 'all';

/**
 * The processing engine: buffers received jobs per partition, starts them under the concurrency
 * limit in key order, retries, dead-letters, tracks commit points, applies back-pressure and drains
 * revoked partitions. It knows nothing of librdkafka: the consumer shell feeds it and obeys it.
 */
export class Engine {
  private readonly partitions = new Map<string, PartitionWork>();
  private readonly runs = new Map<PartitionWork, Set<Run>>();
  private readonly retryTimers = new Map<PartitionWork, Map<QueuedJob, NodeJS.Timeout>>();
  private readonly dirty = new Set<PartitionWork>();
  private readonly scheduler: Scheduler;
  private readonly router: LaneRouter;
  private busy = false;
  private closing = false;
  private committedOnClose = false;
  /** Set by `pause()` until `resume()`: partitions assigned meanwhile are paused too. */
  private userPaused = false;

  constructor(
    private readonly config: ResolvedWorkerConfig,
    private readonly control: ConsumerControl,
    private readonly executor: JobExecutor,
    private readonly deadLetters: DeadLetterSink,
    private readonly events: TypedEmitter<WorkerEvents>,
  ) {
    this.scheduler = new Scheduler(config.concurrency);
    this.router = new LaneRouter(config.partitioner, config.distribution, config.maxPartitions);
  }

  /** Partitions newly assigned to this worker. */
  assign(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      if (this.partitions.has(key(tp))) continue;
      const work = new PartitionWork(tp.topic, tp.partition, this.config.maxPartitions);
      this.partitions.set(key(tp), work);
      this.runs.set(work, new Set());
      this.retryTimers.set(work, new Map());
      this.scheduler.add(work);
      if (this.userPaused) this.addPause(work, 'user');
    }
    if (partitions.length > 0) this.events.emit('assigned', partitions);
  }

  /**
   * The committed state of newly assigned partitions (offset and metadata, as fetched from the
   * group). Until it arrives, their messages are held and nothing of them starts; offsets a previous
   * owner finished above its commit point are then skipped instead of run again.
   */
  restore(committed: TopicPartitionOffset[]): void {
    for (const entry of committed) {
      const work = this.partitions.get(key(entry));
      if (!work || work.isRestored) continue;
      const progress = decodeCommitMetadata(entry.offset, entry.offset >= 0 ? entry.metadata : undefined);
      const held = work.restore(progress);
      if (held.length > 0) this.enqueueAll(held);
    }
    this.pump();
  }

  /** Messages from the poll loop. */
  push(messages: InboundMessage[]): void {
    this.enqueueAll(messages);
    this.pump();
  }

  private enqueueAll(messages: InboundMessage[]): void {
    const touched = new Set<PartitionWork>();
    const skipped = new Set<PartitionWork>();
    // A batch holds runs of messages of one partition: look each partition up once per run.
    let work: PartitionWork | undefined;
    for (const message of messages) {
      if (work === undefined || work.partition !== message.partition || work.topic !== message.topic) work = this.partitions.get(key(message));
      if (!work || work.revoked) continue;
      if (!work.isRestored) {
        work.hold(message);
        if (work.heldCount >= this.config.highWatermark) this.addPause(work, 'backpressure');
        continue;
      }
      let group: GroupId;
      try {
        group = this.router.route(message);
      } catch (error) {
        // A broken partitioner must not lose the job: it still runs, ordered by partition.
        this.reportError(error as Error);
        group = PARTITIONER_ERROR_GROUP;
      }
      const outcome = work.enqueue(message, group);
      if (outcome === 'skipped') skipped.add(work);
      else if (outcome) touched.add(work);
    }
    for (const work of skipped) {
      this.dirty.add(work);
      // Skipped offsets finish without a run: no job's finish would lift a pause they ended.
      this.relievePressure(work);
    }
    for (const work of touched) {
      this.busy = true;
      if (work.unfinished >= this.config.highWatermark) this.addPause(work, 'backpressure');
      if (this.config.longRunning) this.addPause(work, 'longRunning');
    }
  }

  /** Stores the commit points that moved since the last call (called by the poll loop). */
  flushOffsets(): void {
    if (this.dirty.size === 0) return;
    const offsets: TopicPartitionOffset[] = [];
    for (const work of this.dirty) {
      if (!work.revoked) {
        const offset = this.commitOffsetOf(work);
        if (offset) offsets.push(offset);
      }
    }
    this.dirty.clear();
    if (offsets.length > 0) this.control.storeOffsets(offsets);
  }

  /**
   * Partitions taken away. Nothing of them starts any more, buffered jobs are dropped, running jobs
   * see their signal aborted and get `revokeGraceMs` to finish; then the finished commit point is
   * committed (unless the assignment was lost). Resolves when the partitions may be released.
   */
  async revoke(partitions: TopicPartition[], { lost }: { lost: boolean }): Promise<void> {
    const works = partitions.map((tp) => this.partitions.get(key(tp))).filter((w): w is PartitionWork => w !== undefined);
    for (const work of works) this.stopPartition(work, new RevokedError(work), true);
    if (partitions.length > 0) this.events.emit('revoked', partitions);
    if (!lost && !this.closing) {
      await this.waitUntil(() => works.every((w) => this.runningOf(w) === 0), this.config.revokeGraceMs);
    }
    // After close() committed, the revocation that leaving the group causes has nothing to add.
    if (!lost && !this.committedOnClose) await this.commitNow(works);
    for (const work of works) this.forget(work);
    this.checkDrained();
  }

  /** Stops new work and fetching; lets running jobs finish within `timeoutMs`, aborts the rest, commits. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.scheduler.halted = true;
    const works = [...this.partitions.values()];
    for (const work of works) this.stopPartition(work, undefined, false);
    const all = works.map((w) => ({ topic: w.topic, partition: w.partition }));
    if (all.length > 0) this.control.pause(all);
    const finished = await this.waitUntil(() => this.runningTotal() === 0, timeoutMs);
    if (!finished) {
      this.abortAll(new ShutdownError('shutdown timeout reached'));
      await this.waitUntil(() => this.runningTotal() === 0, 1000);
    }
    await this.commitNow(works);
    this.committedOnClose = true;
  }

  /** Aborts every running job's signal (a forced shutdown). */
  abortAll(reason: Error): void {
    for (const runs of this.runs.values()) for (const run of runs) run.abort(reason, false);
  }

  /** Stops starting jobs (`worker.pause()`); running ones go on. */
  pause(): void {
    this.userPaused = true;
    this.scheduler.halted = true;
    for (const work of this.partitions.values()) this.addPause(work, 'user');
  }

  resume(): void {
    if (this.closing) return;
    this.userPaused = false;
    this.scheduler.halted = false;
    for (const work of this.partitions.values()) this.removePause(work, 'user');
    this.pump();
  }

  /** Jobs running now. */
  get running(): number {
    return this.scheduler.running;
  }

  /** Received jobs not finished, over all partitions. */
  get unfinished(): number {
    let n = 0;
    for (const work of this.partitions.values()) n += work.unfinished;
    return n;
  }

  /** Assigned partitions. */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map((w) => ({ topic: w.topic, partition: w.partition }));
  }

  private pump(): void {
    for (let next = this.scheduler.next(); next; next = this.scheduler.next()) this.start(next.work, next.job);
  }

  private start(work: PartitionWork, job: QueuedJob): void {
    const run = new Run();
    this.runs.get(work)?.add(run);
    if (job.deadLetterError) {
      this.deadLetter(work, job, run, job.deadLetterError);
      return;
    }
    const limits = this.executor.limits(job);
    if (this.config.attempts !== undefined) limits.attempts = this.config.attempts;
    limits.timeoutMs ??= this.config.jobTimeoutMs;
    if (job.attempt > limits.attempts) {
      // Restored from the commit metadata: its tries ended with the worker's death as often as allowed.
      const error = new WorkerCrashedError(`job ${this.executor.describe(job).id} was running when its worker died on each of its ${limits.attempts} tries`);
      this.events.emit('failed', this.executor.describe(job), error, { attempt: job.attempt - 1, willRetry: false });
      work.clearSuspect(job);
      job.deadLetterError = error;
      this.deadLetter(work, job, run, error);
      return;
    }
    job.startedAt = Date.now();
    if (!job.suspect) {
      job.running = 'shared';
      this.execute(work, job, run, limits);
      return;
    }
    // Nothing else of the partition runs now: record the try as running alone before it starts, so
    // that if it kills this worker too, the next owner blames it.
    job.running = 'alone';
    const offset = this.commitOffsetOf(work, 'all');
    const recorded = offset ? this.commitOffsets([offset]) : Promise.resolve();
    void recorded.then(() => {
      // Revoked or shut down meanwhile: the try never started.
      const aborted = run.abortReason;
      if (aborted) this.settle(work, job, run, { status: 'failed', error: aborted, attempts: limits.attempts });
      else this.execute(work, job, run, limits);
    });
  }

  private execute(work: PartitionWork, job: QueuedJob, run: Run, limits: JobLimits): void {
    if (limits.timeoutMs !== undefined) run.timer = setTimeout(() => this.timeOut(work, job, run, limits), limits.timeoutMs);
    this.executor.execute(job, run).then(
      (result) => this.tryEnded(work, job, run, result),
      (error: unknown) => this.tryEnded(work, job, run, { status: 'failed', error: toError(error), attempts: 1 }),
    );
  }

  private tryEnded(work: PartitionWork, job: QueuedJob, run: Run, result: ExecutionResult): void {
    if (run.timedOut) {
      // Settled as failed when it timed out; now its key may go on.
      work.unhang(job.group);
      this.pump();
      return;
    }
    if (run.timer) clearTimeout(run.timer);
    this.settle(work, job, run, result);
  }

  /** A try ran past its timeout: its signal aborts, and it fails now, though its `perform` may go on. */
  private timeOut(work: PartitionWork, job: QueuedJob, run: Run, limits: JobLimits): void {
    const ms = limits.timeoutMs as number;
    const info = this.executor.describe(job);
    const error = new JobTimeoutError(ms, `job ${info.name} ${info.id} timed out after ${ms} ms (try ${job.attempt})`);
    run.timedOut = true;
    run.abort(error, false);
    work.hang(job);
    this.settle(work, job, run, { status: 'failed', error, attempts: limits.attempts, backoff: limits.backoff });
  }

  private settle(work: PartitionWork, job: QueuedJob, run: Run, result: ExecutionResult): void {
    job.running = undefined;
    work.clearSuspect(job);
    if (result.status === 'completed') {
      this.endRun(work, run);
      this.events.emit('completed', this.executor.describe(job), result.result);
      this.finish(work, job);
      return;
    }
    const { error } = result;
    const now = Date.now();
    job.firstFailedAt ??= now;
    job.lastFailedAt = now;
    const info = this.executor.describe(job);
    if (work.revoked && !run.timedOut) {
      // The partition is going away: the next owner runs the job again; neither retry nor dead-letter
      // here, and no `failed` event, which would read as a final failure.
      this.endRun(work, run);
      work.deferRetry(job);
      this.pump();
      return;
    }
    const decision = decideAfterFailure({
      attempt: job.attempt,
      attempts: this.config.attempts ?? result.attempts,
      error,
      backoff: this.config.backoff ?? result.backoff,
      strategy: this.config.backoffStrategy,
      job: { id: info.id, name: info.name, data: info.data },
    });
    if (decision.action === 'retry') {
      this.events.emit('failed', info, error, { attempt: job.attempt, willRetry: true, delayMs: decision.delayMs });
      this.endRun(work, run);
      work.deferRetry(job);
      job.attempt++;
      this.retryLater(work, job, decision.delayMs);
      this.pump();
      return;
    }
    this.events.emit('failed', info, error, { attempt: job.attempt, willRetry: false });
    job.deadLetterError = error;
    this.deadLetter(work, job, run, error);
  }

  private deadLetter(work: PartitionWork, job: QueuedJob, run: Run, error: Error): void {
    this.deadLetters.write(job, error).then(
      (info) => {
        this.endRun(work, run);
        this.events.emit('deadLettered', this.executor.describe(job), info);
        this.finish(work, job);
      },
      (writeError: unknown) => {
        // Not acknowledged: the job stays unfinished (the commit point stays below it) and the write is retried.
        this.reportError(new DeadLetterWriteError(this.executor.describe(job), toError(writeError)));
        this.endRun(work, run);
        work.deferRetry(job);
        if (!work.revoked) this.retryLater(work, job, DEAD_LETTER_RETRY_MS);
        this.pump();
      },
    );
  }

  private retryLater(work: PartitionWork, job: QueuedJob, delayMs: number): void {
    const timers = this.retryTimers.get(work);
    if (!timers) return;
    const timer = setTimeout(() => {
      timers.delete(job);
      work.retryDue(job);
      this.pump();
    }, delayMs);
    timers.set(job, timer);
  }

  private finish(work: PartitionWork, job: QueuedJob): void {
    // Even when the commit point stays, the metadata (finished offsets above it) changed.
    if (!work.finish(job)) this.growMetadata(work, job.message.offset);
    this.dirty.add(work);
    this.relievePressure(work);
    this.pump();
    this.checkDrained();
  }

  /** Lifts the back-pressure and long-running pauses of a partition once its unfinished work allows. */
  private relievePressure(work: PartitionWork): void {
    if (work.pauseReasons.has('backpressure') && work.unfinished <= this.config.lowWatermark) this.removePause(work, 'backpressure');
    if (work.pauseReasons.has('longRunning') && work.unfinished === 0) this.removePause(work, 'longRunning');
  }

  private endRun(work: PartitionWork, run: Run): void {
    this.runs.get(work)?.delete(run);
    this.scheduler.release();
  }

  private checkDrained(): void {
    if (this.busy && this.scheduler.running === 0 && this.unfinished === 0) {
      this.busy = false;
      this.events.emit('drained');
    }
  }

  private stopPartition(work: PartitionWork, reason: Error | undefined, revoked: boolean): void {
    work.revoke();
    const timers = this.retryTimers.get(work);
    if (timers) {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    }
    if (reason) for (const run of this.runs.get(work) ?? []) run.abort(reason, revoked);
  }

  private forget(work: PartitionWork): void {
    this.partitions.delete(key(work));
    this.runs.delete(work);
    this.retryTimers.delete(work);
    this.dirty.delete(work);
    this.scheduler.remove(work);
  }

  private async commitNow(works: PartitionWork[]): Promise<void> {
    const offsets: TopicPartitionOffset[] = [];
    for (const work of works) {
      // A handover: tries still running were aborted, and do not count as used.
      const offset = this.commitOffsetOf(work, 'handover');
      if (offset) offsets.push(offset);
      this.dirty.delete(work);
    }
    if (offsets.length === 0) return;
    await this.commitOffsets(offsets);
  }

  private async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    try {
      // Store first: librdkafka's auto-commit (and its commit on unassign) writes the stored offsets,
      // and a stale stored offset would otherwise overwrite this commit.
      this.control.storeOffsets(offsets);
      await this.control.commit(offsets);
    } catch (error) {
      this.reportError(new CommitError(offsets, toError(error)));
    }
  }

  /**
   * The process is exiting without a shutdown (`process.exit` or an uncaught error, most likely
   * from a job): commits, synchronously, every partition's progress with its running tries marked
   * as running, so that the next owner runs them alone and a job that kills its worker ends in the
   * dead letter queue. When a single try runs in the whole process, it is the one blamed at once.
   */
  commitOnExit(): void {
    if (this.committedOnClose) return;
    const running = [...this.partitions.values()].flatMap((work) => work.runningJobs());
    if (running.length === 1) running[0]!.running = 'alone';
    const offsets: TopicPartitionOffset[] = [];
    for (const work of this.partitions.values()) {
      if (work.revoked) continue;
      const offset = this.commitOffsetOf(work, 'all');
      if (offset) offsets.push(offset);
    }
    if (offsets.length === 0) return;
    try {
      this.control.storeOffsets(offsets);
      this.control.commitBlocking(offsets);
    } catch {
      // Exiting: nothing left to tell.
    }
  }

  /** The commit point with the finished offsets and the tries of unfinished jobs above it as metadata. */
  private commitOffsetOf(work: PartitionWork, record: TriesRecord = 'periodic'): TopicPartitionOffset | undefined {
    const offset = work.tracker.commitPoint;
    if (offset === undefined) return undefined;
    // Offsets a previous owner finished that were not fetched again yet stay recorded too.
    const skips = work.pendingSkips(offset);
    const above = work.tracker.finishedAbove();
    const finished = skips.length > 0 ? [...above, ...skips].sort((a, b) => a - b) : above;
    const metadata = encodeCommitMetadata(offset, finished, this.triesOf(work, record));
    work.metadataChars = metadata.length;
    this.applyMetadataPressure(work, metadata.length);
    return { topic: work.topic, partition: work.partition, offset, metadata };
  }

  /** The tries to record in a commit of `work`; the periodic record is taken at most every {@link TRIES_REFRESH_MS}. */
  private triesOf(work: PartitionWork, record: TriesRecord): Map<number, JobTries> {
    const now = Date.now();
    if (record === 'periodic' && work.triesRecord && now - work.triesRecordAt < TRIES_REFRESH_MS) return work.triesRecord;
    const tries = work.triesToRecord(work.runningJobs(), record === 'periodic' ? now - RECORD_RUNNING_AFTER_MS : Infinity, record === 'handover');
    if (record === 'periodic') {
      work.triesRecord = tries;
      work.triesRecordAt = now;
    }
    return tries;
  }

  /**
   * A finish above the commit point adds an offset to the metadata. Its length is measured when
   * offsets are stored (after each poll); in between, thousands of jobs may finish, so each adds an
   * upper bound of its cost here, and once that bound reaches the mark the length is measured now
   * (which starts the pressure in time, and only when it is due).
   */
  private growMetadata(work: PartitionWork, offset: number): void {
    const commitPoint = work.tracker.commitPoint ?? offset;
    // Above every finished offset, it costs its distance from the highest; else it splits a distance
    // that is at most its own from the commit point.
    const base = offset > work.highestFinished && work.highestFinished >= commitPoint ? work.highestFinished : commitPoint;
    if (offset > work.highestFinished) work.highestFinished = offset;
    let delta = offset - base;
    let chars = 2; // the separator and at least one digit
    while (delta >= 36) {
      delta = Math.floor(delta / 36);
      chars++;
    }
    work.metadataChars += chars;
    // The bound overestimates (the commit point may have moved since): measure before pausing.
    if (!work.onlyCommitPoint && work.metadataChars >= METADATA_HIGH_MARK) this.commitOffsetOf(work);
  }

  /**
   * Near its size limit, the metadata would soon drop finished offsets (which would then run again
   * after a restart): until it shrinks, fetching pauses and only the job at the commit point starts.
   */
  private applyMetadataPressure(work: PartitionWork, length: number): void {
    if (!work.onlyCommitPoint && length >= METADATA_HIGH_MARK) {
      work.onlyCommitPoint = true;
      this.addPause(work, 'metadata');
    } else if (work.onlyCommitPoint && length < METADATA_LOW_MARK) {
      work.onlyCommitPoint = false;
      this.removePause(work, 'metadata');
      // Deferred: this runs inside offset bookkeeping; starting jobs here would re-enter it.
      setImmediate(() => this.pump());
    }
  }

  private addPause(work: PartitionWork, reason: PauseReason): void {
    if (work.revoked || work.pauseReasons.has(reason)) return;
    const wasPaused = work.pauseReasons.size > 0;
    work.pauseReasons.add(reason);
    if (!wasPaused) this.control.pause([{ topic: work.topic, partition: work.partition }]);
  }

  private removePause(work: PartitionWork, reason: PauseReason): void {
    if (!work.pauseReasons.delete(reason) || work.revoked) return;
    if (work.pauseReasons.size === 0) this.control.resume([{ topic: work.topic, partition: work.partition }]);
  }

  private runningOf(work: PartitionWork): number {
    return this.runs.get(work)?.size ?? 0;
  }

  private runningTotal(): number {
    let n = 0;
    for (const runs of this.runs.values()) n += runs.size;
    return n;
  }

  private waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const started = Date.now();
      const timer = setInterval(() => {
        if (condition()) {
          clearInterval(timer);
          resolve(true);
        } else if (Date.now() - started >= timeoutMs) {
          clearInterval(timer);
          resolve(false);
        }
      }, 10);
    });
  }

  private reportError(error: Error): void {
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
    else console.error(`[partita] ${error.stack ?? error.message}`);
  }
}


/** The reason a revoked partition's running jobs see on `ctx.signal`. */
export class RevokedError extends PartitaError {
  constructor(tp: TopicPartition) {
    super(`partition ${tp.topic}/${tp.partition} was revoked from this worker`);

  }
}

/** The reason running jobs see on `ctx.signal` when shutdown cannot wait any longer. */
export class ShutdownError extends PartitaError {
  constructor(message: string) {
    super(message);

  }
}

/** A dead-letter write was not acknowledged; the job stays uncommitted and the write is retried. */
export class DeadLetterWriteError extends PartitaError {
  constructor(
    readonly job: JobInfo,
    cause: Error,
  ) {
    super(`dead-letter write of job ${job.id} (${job.queue}/${job.partition}@${job.offset}) failed, will retry: ${cause.message}`, { cause });

  }
}

/** Committing offsets failed (e.g. the group rebalanced meanwhile); the jobs may run again. */
export class CommitError extends PartitaError {
  constructor(
    readonly offsets: TopicPartitionOffset[],
    cause: Error,
  ) {
    super(`commit of ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(', ')} failed: ${cause.message}`, { cause });

  }
}
