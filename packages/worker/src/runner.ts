import {
  ENCODED_ENVELOPE,
  decodeEnvelope,
  DEFAULT_ATTEMPTS,
  Envelope,
  readJobHeader,
  JobClass,
  JobContext,
  JobOptions,
  JobRegistry,
  PoisonMessageError,
  resolveJobOptions,
  WireJobOptions,
} from '@partita/job';
import type { QueuedJob } from './core/partition-work';
import { toError } from './core/thrown-value';
import type { ExecutionResult, JobExecutor, JobLimits, RunHandle } from './engine';
import type { JobInfo, TypedEmitter, WorkerEvents } from './events';

/** A BullMQ-style processor: receives the job and its context, returns the job's result. */
export type Processor<TData = unknown, TResult = unknown> = (job: JobInfo<TData>, ctx: JobContext) => Promise<TResult> | TResult;

/** Decodes a job, finds what runs it (a registered Job class or the processor) and runs one try. */
export class JobRunner implements JobExecutor {
  private readonly classOptions = new WeakMap<JobClass, JobOptions<unknown>>();

  constructor(
    private readonly handler: JobRegistry | Processor,
    private readonly events: TypedEmitter<WorkerEvents>,
  ) {}

  limits(job: QueuedJob): JobLimits {
    const envelope = this.envelopeOf(job);
    if (!envelope) return { attempts: 1 };
    const own = envelope.opts as WireJobOptions & { timeout?: number };
    let { attempts, backoff, timeout } = own;
    if (this.handler instanceof JobRegistry) {
      const jobClass = this.handler.get(envelope.name);
      if (!jobClass) return { attempts: 1 };
      const classOptions = this.optionsOf(jobClass) as JobOptions<unknown> & { timeout?: number };
      attempts ??= classOptions.attempts;
      backoff ??= classOptions.backoff;
      timeout ??= classOptions.timeout;
    }
    return { attempts: attempts ?? DEFAULT_ATTEMPTS, backoff, timeoutMs: timeout };
  }

  /** The job's envelope, decoded once; undefined for a message that is not one. */
  private envelopeOf(job: QueuedJob): Envelope | undefined {
    if (job.decoded !== undefined) return job.decoded as Envelope;
    try {
      job.decoded = decodeEnvelope(job.message.value);
    } catch {
      return undefined;
    }
    return job.decoded as Envelope;
  }

  async execute(job: QueuedJob, handle: RunHandle): Promise<ExecutionResult> {
    let envelope: Envelope;
    try {
      envelope = (job.decoded as Envelope | undefined) ?? decodeEnvelope(job.message.value);
    } catch (error) {
      return { status: 'failed', error: error as Error, attempts: 1 };
    }
    job.decoded = envelope;
    let perform: (info: JobInfo, ctx: JobContext) => unknown;
    let attempts = envelope.opts.attempts;
    let backoff = envelope.opts.backoff;
    if (this.handler instanceof JobRegistry) {
      const jobClass = this.handler.get(envelope.name);
      if (!jobClass) {
        const error = new PoisonMessageError('unknown-job', `no job named '${envelope.name}' is registered with this worker (registered: ${this.handler.names().join(', ')})`);
        return { status: 'failed', error, attempts: 1 };
      }
      const classOptions = this.optionsOf(jobClass);
      attempts ??= classOptions.attempts;
      backoff ??= classOptions.backoff;
      perform = (info, ctx) => new jobClass().perform(info.data as never, ctx);
    } else {
      perform = this.handler;
    }
    const info = this.describe(job);
    this.events.emit('active', info);
    try {
      const result = await perform(info, new RunContext(info, handle, this.events));
      return { status: 'completed', result };
    } catch (error) {
      return { status: 'failed', error: toError(error), attempts: attempts ?? DEFAULT_ATTEMPTS, backoff };
    }
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
    if (cached && cached.attempt === job.attempt && (cached.data !== undefined || job.decoded === undefined)) return cached;
    const info = this.describeNow(job);
    job.described = info;
    return info;
  }

  private describeNow(job: QueuedJob): JobInfo {
    const { message } = job;
    const envelope = job.decoded as Envelope | undefined;
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

/** The `ctx` of one try. A class, not an object of closures: one is made per job on the hot path. */
class RunContext implements JobContext {
  readonly attempt: number;
  readonly jobId: string;
  readonly queue: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;

  constructor(
    private readonly info: JobInfo,
    private readonly handle: RunHandle,
    private readonly events: TypedEmitter<WorkerEvents>,
  ) {
    this.attempt = info.attempt;
    this.jobId = info.id;
    this.queue = info.queue;
    this.partition = info.partition;
    this.offset = info.offset;
    this.key = info.key;
  }

  get signal(): AbortSignal {
    return this.handle.signal;
  }

  isRevoked(): boolean {
    return this.handle.isRevoked();
  }

  log(...args: unknown[]): void {
    this.events.emit('log', this.info, args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' '));
  }

  updateProgress(progress: number | object): void {
    this.events.emit('progress', this.info, progress);
  }
}

function safeInspect(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
