import { Backoff, JobClass, JobContext, JobOptions, PoisonMessageError } from '@partita/job';
import { DEFAULT_ATTEMPTS, resolveJobOptions } from '@partita/job/options';
import { JobRegistry } from '@partita/job/registry';
import { ENCODED_ENVELOPE, decodeEnvelope, readJobHeader } from '@partita/job/wire';
import type { QueuedJob } from '../core/partition-work';
import { toError } from '../core/thrown-value';
import type { JobInfo, TypedEmitter, WorkerEvents } from '../events';
import type { ExecutionResult, JobExecutor, JobLimits, RunHandle } from './contracts';
import { RunContext } from './run-context';

/** A BullMQ-style processor: receives the job and its context, returns the job's result. */
export type Processor<TData = unknown, TResult = unknown> = (job: JobInfo<TData>, ctx: JobContext) => Promise<TResult> | TResult;

/** How one try of a job runs. */
interface JobPlan {
  /** The registered class that runs it; undefined when the worker runs a processor. */
  jobClass?: JobClass;
  attempts: number;
  backoff?: Backoff;
  timeout?: number;
}

/** Decodes a job, finds what runs it (a registered Job class or the processor) and runs one try. */
export class JobRunner implements JobExecutor {
  private readonly classOptions = new WeakMap<JobClass, JobOptions<unknown>>();

  constructor(
    private readonly handler: JobRegistry | Processor,
    private readonly events: TypedEmitter<WorkerEvents>,
  ) {}

  limits(job: QueuedJob): JobLimits {
    const plan = this.plan(job);
    if (plan instanceof Error) return { attempts: 1 };
    return { attempts: plan.attempts, backoff: plan.backoff, timeoutMs: plan.timeout };
  }

  async execute(job: QueuedJob, handle: RunHandle): Promise<ExecutionResult> {
    const plan = this.plan(job);
    if (plan instanceof Error) return { status: 'failed', error: plan, attempts: 1 };
    const info = this.describe(job);
    this.events.emit('active', info);
    try {
      const ctx = new RunContext(info, handle, this.events);
      const result = await (plan.jobClass ? new plan.jobClass().perform(info.data, ctx) : (this.handler as Processor)(info, ctx));
      return { status: 'completed', result };
    } catch (error) {
      return { status: 'failed', error: toError(error), attempts: plan.attempts, backoff: plan.backoff };
    }
  }

  /**
   * What runs the job and with which limits: its envelope (decoded once, kept on the job), then its
   * class's options under the envelope's own. A poison message gives the error that dead-letters it.
   */
  private plan(job: QueuedJob): JobPlan | PoisonMessageError {
    let envelope = job.envelope;
    if (envelope === undefined) {
      try {
        envelope = decodeEnvelope(job.message.value);
      } catch (error) {
        return error as PoisonMessageError;
      }
      job.envelope = envelope;
    }
    let { attempts, backoff, timeout } = envelope.opts;
    if (!(this.handler instanceof JobRegistry)) {
      return { attempts: attempts ?? DEFAULT_ATTEMPTS, backoff, timeout };
    }
    const jobClass = this.handler.get(envelope.name);
    if (!jobClass) {
      return new PoisonMessageError(
        'unknown-job',
        `no job named '${envelope.name}' is registered with this worker (registered: ${this.handler.names().join(', ')})`,
      );
    }
    const classOptions = this.optionsOf(jobClass);
    attempts ??= classOptions.attempts;
    backoff ??= classOptions.backoff;
    timeout ??= classOptions.timeout;
    return { jobClass, attempts: attempts ?? DEFAULT_ATTEMPTS, backoff, timeout };
  }

  /** A class's merged options, resolved once: the registry validated them already. */
  private optionsOf(jobClass: JobClass): JobOptions<unknown> {
    let options = this.classOptions.get(jobClass);
    if (!options) {
      options = resolveJobOptions(jobClass);
      this.classOptions.set(jobClass, options);
    }
    return options;
  }

  describe(job: QueuedJob): JobInfo {
    // One JobInfo per try: `active`, the processor and `completed` share it.
    // Kept on the job rather than in a WeakMap: one lookup per event on the hot path, no ephemerons for the GC.
    const cached = job.described;
    if (cached && cached.attempt === job.attempt && (cached.data !== undefined || job.envelope === undefined)) return cached;
    const info = this.describeNow(job);
    job.described = info;
    return info;
  }

  private describeNow(job: QueuedJob): JobInfo {
    const { message } = job;
    const envelope = job.envelope;
    // Without an envelope (a poison message), the job header may still say what it was.
    const header = envelope ? undefined : readJobHeader(message.headers);
    return {
      id: envelope?.id ?? header?.id ?? `${message.topic}/${message.partition}@${message.offset}`,
      name: envelope?.name ?? header?.name ?? 'unknown',
      data: envelope?.data,
      queue: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      attempt: job.attempt,
      enqueuedAt: envelope?.enqueuedAt ?? 0,
      // only for a job whose envelope was read from these bytes
      [ENCODED_ENVELOPE]: envelope && message.value ? message.value : undefined,
    };
  }
}
