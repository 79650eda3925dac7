import { JobTimeoutError, WorkerCrashedError } from '@partita/job';
import type { PartitionWork, QueuedJob } from '../core/partition-work';
import { decideAfterFailure } from '../core/retry-policy';
import { toError } from '../core/thrown-value';
import type { ResolvedWorkerConfig } from '../config';
import type { TypedEmitter, WorkerEvents } from '../events';
import type { Commits } from './commits';
import type { ExecutionResult, JobExecutor, JobLimits } from './contracts';
import type { DeadLettering } from './dead-lettering';
import type { EngineFlow } from './flow';
import type { Partitions } from './partitions';
import type { RetryTimers } from './retry-timers';
import { Run } from './run';

/**
 * One try of a job, from its start to its outcome: runs it under its timeout (a suspect only after
 * its try was committed as running), then finishes the job, schedules its retry, or sends it to
 * the dead letter topic.
 */
export class Tries {
  constructor(
    private readonly config: ResolvedWorkerConfig,
    private readonly executor: JobExecutor,
    private readonly events: TypedEmitter<WorkerEvents>,
    private readonly partitions: Partitions,
    private readonly commits: Commits,
    private readonly retries: RetryTimers,
    private readonly deadLetters: DeadLettering,
    private readonly flow: EngineFlow,
  ) {}

  /** Starts the next try of `job`, which the scheduler just took (it holds a slot and a lane). */
  start(work: PartitionWork, job: QueuedJob): void {
    const run = new Run();
    this.partitions.addRun(work, run);
    if (job.deadLetterError) {
      this.deadLetters.write(work, job, run, job.deadLetterError);
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
      this.deadLetters.write(work, job, run, error);
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
    void this.commits.commitRunning(work).then(() => {
      // Revoked or shut down meanwhile: the try never started.
      const aborted = run.abortReason;
      if (aborted) this.settle(work, job, run, { status: 'failed', error: aborted, attempts: limits.attempts });
      else this.execute(work, job, run, limits);
    });
  }

  private execute(work: PartitionWork, job: QueuedJob, run: Run, limits: JobLimits): void {
    if (limits.timeoutMs !== undefined) run.timer = setTimeout(() => this.timeOut(work, job, run, limits), limits.timeoutMs);
    this.executor.execute(job, run).then(
      (result) => this.ended(work, job, run, result),
      (error: unknown) => this.ended(work, job, run, { status: 'failed', error: toError(error), attempts: 1 }),
    );
  }

  private ended(work: PartitionWork, job: QueuedJob, run: Run, result: ExecutionResult): void {
    if (run.timedOut) {
      // Settled as failed when it timed out; now its key may go on.
      work.unhang(job);
      this.flow.pump();
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
      this.flow.endRun(work, run);
      this.events.emit('completed', this.executor.describe(job), result.result);
      this.flow.finish(work, job);
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
      this.flow.endRun(work, run);
      work.deferRetry(job);
      this.flow.pump();
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
      this.flow.endRun(work, run);
      work.deferRetry(job);
      job.attempt++;
      this.retries.schedule(work, job, decision.delayMs);
      this.flow.pump();
      return;
    }
    this.events.emit('failed', info, error, { attempt: job.attempt, willRetry: false });
    job.deadLetterError = error;
    this.deadLetters.write(work, job, run, error);
  }
}
