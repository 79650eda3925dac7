import type { PartitionWork, QueuedJob } from '../core/partition-work';
import { toError } from '../core/thrown-value';
import { DeadLetterWriteError } from '../errors';
import type { TypedEmitter, WorkerEvents } from '../events';
import type { DeadLetterSink, JobExecutor } from './contracts';
import type { EngineFlow } from './flow';
import type { RetryTimers } from './retry-timers';
import type { Run } from './run';

/** Delay before retrying a dead-letter write that failed. */
const DEAD_LETTER_RETRY_MS = 1000;

/**
 * Sends a job whose tries are over to its dead letter topic. The job is finished only once the
 * write is acknowledged; until then its offset holds the commit point and the write is retried.
 */
export class DeadLettering {
  constructor(
    private readonly sink: DeadLetterSink,
    private readonly executor: JobExecutor,
    private readonly events: TypedEmitter<WorkerEvents>,
    private readonly retries: RetryTimers,
    private readonly flow: EngineFlow,
  ) {}

  write(work: PartitionWork, job: QueuedJob, run: Run, error: Error): void {
    this.sink.write(job, error).then(
      (info) => {
        this.flow.endRun(work, run);
        this.events.emit('deadLettered', this.executor.describe(job), info);
        this.flow.finish(work, job);
      },
      (writeError: unknown) => {
        // Not acknowledged: the job stays unfinished (the commit point stays below it) and the write is retried.
        this.flow.reportError(new DeadLetterWriteError(this.executor.describe(job), toError(writeError)));
        this.flow.endRun(work, run);
        work.deferRetry(job);
        if (!work.revoked) this.retries.schedule(work, job, DEAD_LETTER_RETRY_MS);
        this.flow.pump();
      },
    );
  }
}
