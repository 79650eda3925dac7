import { LaneRouter, OrderingKey, PARTITIONER_ERROR_KEY } from '../core/lane-router';
import type { InboundMessage } from '../core/inbound-message';
import type { PartitionWork, QueuedJob } from '../core/partition-work';
import { Scheduler } from '../core/scheduler';
import type { ResolvedWorkerConfig } from '../config';
import { ShutdownError } from '../errors';
import type { TopicPartition, TypedEmitter, WorkerEvents } from '../events';
import { Commits } from './commits';
import type { ConsumerControl, DeadLetterSink, JobExecutor, TopicPartitionOffset } from './contracts';
import { DeadLettering } from './dead-lettering';
import type { EngineFlow } from './flow';
import { Partitions } from './partitions';
import { Pauses } from './pauses';
import { Rebalance, RebalanceHost } from './rebalance';
import { RetryTimers } from './retry-timers';
import type { Run } from './run';
import { Tries } from './tries';

/** How long shutdown waits for aborted tries to settle once its drain time ran out. */
const ABORTED_SETTLE_MS = 1000;

/**
 * The processing engine: buffers received jobs per partition, starts them under the concurrency
 * limit in key order, and ties together the parts that run tries ({@link Tries}), retry
 * ({@link RetryTimers}), dead-letter ({@link DeadLettering}), pause fetching ({@link Pauses}),
 * commit ({@link Commits}) and handle rebalances ({@link Rebalance}). This file holds the intake of
 * messages and the engine's lifecycle (pause, resume, shutdown). It knows nothing of librdkafka:
 * the consumer shell feeds it and obeys it.
 */
export class Engine implements EngineFlow, RebalanceHost {
  /** Assignment and revocation. */
  readonly rebalance: Rebalance;
  private readonly partitions: Partitions;
  private readonly scheduler: Scheduler;
  private readonly router: LaneRouter;
  private readonly pauses: Pauses;
  private readonly commits: Commits;
  private readonly retries: RetryTimers;
  private readonly tries: Tries;
  /** Jobs were received since the last `drained` event. */
  private busy = false;
  private shuttingDown = false;
  private committedAtClose = false;
  /** Set by `pause()` until `resume()`: partitions assigned meanwhile are paused too. */
  private pausedByUser = false;

  constructor(
    readonly config: ResolvedWorkerConfig,
    private readonly control: ConsumerControl,
    executor: JobExecutor,
    deadLetterSink: DeadLetterSink,
    private readonly events: TypedEmitter<WorkerEvents>,
  ) {
    this.partitions = new Partitions(config.maxPartitions);
    this.scheduler = new Scheduler(config.concurrency);
    this.router = new LaneRouter(config.partitioner, config.distribution, config.maxPartitions);
    this.pauses = new Pauses(control, config);
    this.commits = new Commits(
      control,
      this.pauses,
      () => this.pump(),
      (error) => this.reportError(error),
    );
    this.retries = new RetryTimers((work, job) => {
      work.retryDue(job);
      this.pump();
    });
    const deadLettering = new DeadLettering(deadLetterSink, executor, events, this.retries, this);
    this.tries = new Tries(config, executor, events, this.partitions, this.commits, this.retries, deadLettering, this);
    this.rebalance = new Rebalance(this, events, this.partitions, this.scheduler, this.retries, this.pauses, this.commits);
  }

  /** True once shutdown began. */
  get closing(): boolean {
    return this.shuttingDown;
  }

  /** True once shutdown committed. */
  get committedOnClose(): boolean {
    return this.committedAtClose;
  }

  /** True between `pause()` and `resume()`. */
  get userPaused(): boolean {
    return this.pausedByUser;
  }

  /** Partitions newly assigned to this worker (see {@link Rebalance.assign}). */
  assign(partitions: TopicPartition[]): void {
    this.rebalance.assign(partitions);
  }

  /** The committed state of newly assigned partitions (see {@link Rebalance.restore}). */
  restore(committed: TopicPartitionOffset[]): void {
    this.rebalance.restore(committed);
  }

  /** Partitions taken away (see {@link Rebalance.revoke}). */
  revoke(partitions: TopicPartition[], options: { lost: boolean }): Promise<void> {
    return this.rebalance.revoke(partitions, options);
  }

  /** Messages from the poll loop. */
  push(messages: InboundMessage[]): void {
    this.enqueue(messages);
    this.pump();
  }

  /** Buffers received messages by partition and ordering key; a partition not restored yet holds them. */
  enqueue(messages: InboundMessage[]): void {
    const received = new Set<PartitionWork>();
    const previouslyFinished = new Set<PartitionWork>();
    // A batch holds runs of messages of one partition: look each partition up once per run.
    let work: PartitionWork | undefined;
    for (const message of messages) {
      if (work === undefined || work.partition !== message.partition || work.topic !== message.topic) work = this.partitions.get(message);
      if (!work || work.revoked) continue;
      if (!work.isRestored) {
        work.hold(message);
        this.pauses.afterHold(work);
        continue;
      }
      let orderingKey: OrderingKey;
      try {
        orderingKey = this.router.route(message);
      } catch (error) {
        // A broken partitioner must not lose the job: it still runs, ordered by partition.
        this.reportError(error as Error);
        orderingKey = PARTITIONER_ERROR_KEY;
      }
      const outcome = work.enqueue(message, orderingKey);
      if (outcome === 'previouslyFinished') previouslyFinished.add(work);
      else if (outcome) received.add(work);
    }
    for (const work of previouslyFinished) {
      this.commits.changed(work);
      // These offsets finish without a run: no job's finish would lift a pause they ended.
      this.pauses.relieve(work);
    }
    for (const work of received) {
      this.busy = true;
      this.pauses.afterReceive(work);
    }
  }

  /** Stores the commit points that moved since the last call (called by the poll loop). */
  flushOffsets(): void {
    this.commits.flush();
  }

  /** Stops new work and fetching; lets running jobs finish within `timeoutMs`, aborts the rest, commits. */
  async close(timeoutMs: number): Promise<void> {
    this.shuttingDown = true;
    this.scheduler.halted = true;
    const works = [...this.partitions.all()];
    for (const work of works) this.stopPartition(work, undefined, false);
    const all = works.map((w) => ({ topic: w.topic, partition: w.partition }));
    if (all.length > 0) this.control.pause(all);
    const idle = () => this.partitions.runningTotal() === 0;
    const finished = await this.partitions.whenSettled(idle, timeoutMs);
    if (!finished) {
      this.abortAll(new ShutdownError('shutdown timeout reached'));
      await this.partitions.whenSettled(idle, ABORTED_SETTLE_MS);
    }
    await this.commits.commitNow(works);
    this.committedAtClose = true;
  }

  /** Aborts every running job's signal (a forced shutdown). */
  abortAll(reason: Error): void {
    for (const run of this.partitions.allRuns()) run.abort(reason, false);
  }

  /** Stops starting jobs (`worker.pause()`); running ones go on. */
  pause(): void {
    this.pausedByUser = true;
    this.scheduler.halted = true;
    for (const work of this.partitions.all()) this.pauses.add(work, 'user');
  }

  resume(): void {
    if (this.shuttingDown) return;
    this.pausedByUser = false;
    this.scheduler.halted = false;
    for (const work of this.partitions.all()) this.pauses.remove(work, 'user');
    this.pump();
  }

  /**
   * The process is exiting without a shutdown (`process.exit` or an uncaught error, most likely
   * from a job): commits, synchronously, every partition's progress with its running tries marked
   * as running, so that the next owner runs them alone and a job that kills its worker ends in the
   * dead letter queue. When a single try runs in the whole process, it is the one blamed at once.
   */
  commitOnExit(): void {
    if (this.committedAtClose) return;
    const running = [...this.partitions.all()].flatMap((work) => work.runningJobs());
    if (running.length === 1) running[0].running = 'alone';
    this.commits.commitOnExit(this.partitions.all());
  }

  /** Jobs running now. */
  get running(): number {
    return this.scheduler.running;
  }

  /** Received jobs not finished, over all partitions. */
  get unfinished(): number {
    let n = 0;
    for (const work of this.partitions.all()) n += work.unfinished;
    return n;
  }

  /** Assigned partitions. */
  assignment(): TopicPartition[] {
    return [...this.partitions.all()].map((w) => ({ topic: w.topic, partition: w.partition }));
  }

  pump(): void {
    for (let next = this.scheduler.next(); next; next = this.scheduler.next()) this.tries.start(next.work, next.job);
  }

  endRun(work: PartitionWork, run: Run): void {
    this.partitions.endRun(work, run);
    this.scheduler.release();
  }

  finish(work: PartitionWork, job: QueuedJob): void {
    this.commits.finished(work, job.message.offset, work.finish(job));
    this.pauses.relieve(work);
    this.pump();
    this.checkDrained();
  }

  checkDrained(): void {
    if (this.busy && this.scheduler.running === 0 && this.unfinished === 0) {
      this.busy = false;
      this.events.emit('drained');
    }
  }

  stopPartition(work: PartitionWork, reason: Error | undefined, revoked: boolean): void {
    work.revoke();
    this.retries.cancel(work);
    if (reason) for (const run of this.partitions.runsOf(work)) run.abort(reason, revoked);
  }

  reportError(error: Error): void {
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
    else console.error(`[partita] ${error.stack ?? error.message}`);
  }
}
