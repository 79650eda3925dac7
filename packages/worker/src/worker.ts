import type { JobClass } from '@partita/job';
import { JobRegistry } from '@partita/job/registry';
import type { StateRecorder, StateStore } from '@partita/state';
import { resolveWorkerConfig, ResolvedWorkerConfig, WorkerOptions } from './config';
import { toError } from './core/thrown-value';
import { createDeadLetterSink } from './dead-letter/sink';
import type { DeadLetterSink } from './engine/contracts';
import { Engine } from './engine/engine';
import { JobRunner, Processor } from './engine/runner';
import { ListenerError, ShutdownTimeoutError } from './errors';
import { TopicPartition, TypedEmitter, WorkerEvents } from './events';
import { ConsumerShell } from './kafka/consumer-shell';
import { prepareQueueTopics } from './kafka/queue-topics';
import { openWorkerState } from './worker-state';

/** Job classes (or a registry of them), or a BullMQ-style processor function. */
export type WorkerHandler = JobRegistry | JobClass[] | Processor;

type State = 'idle' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * Consumes one or more queues and runs their jobs: jobs with the same key one at a time in order,
 * the others in parallel (virtual partitions), with at-least-once delivery.
 *
 * ```ts
 * const worker = new Worker('emails', [SendWelcome], { concurrency: 32 });
 * worker.on('completed', (job) => console.log('done', job.id));
 * await worker.run();
 * ```
 */
export class Worker extends TypedEmitter<WorkerEvents> {
  /** The worker's options with every default applied. */
  readonly config: ResolvedWorkerConfig;
  private readonly engine: Engine;
  private readonly shell: ConsumerShell;
  private readonly deadLetters: DeadLetterSink & { close(): Promise<void> };
  private state: State = 'idle';
  private readonly jobState?: { recorder: StateRecorder; store: StateStore; owned: boolean };
  private closing?: Promise<void>;

  constructor(queues: string | string[], handler: WorkerHandler, options: WorkerOptions = {}) {
    super();
    const queueList = Array.isArray(queues) ? queues : [queues];
    this.config = resolveWorkerConfig(queueList, options, handler);
    const resolvedHandler = Array.isArray(handler) ? new JobRegistry(handler) : handler;
    if (!(resolvedHandler instanceof JobRegistry) && typeof resolvedHandler !== 'function') {
      throw new TypeError('the worker needs Job classes, a JobRegistry or a processor function (job, ctx) => result');
    }
    this.deadLetters = createDeadLetterSink(this.config);
    this.shell = new ConsumerShell(this.config, {
      onAssigned: (partitions, control) => this.engine.rebalance.assigned(partitions, control),
      onRevoked: (partitions, control) => this.engine.rebalance.revoked(partitions, control),
      onMessages: (messages) => this.engine.push(messages),
      afterPoll: () => this.engine.flushOffsets(),
      onError: (error) => this.reportError(error),
      onBrokerDown: (error) => this.emit('brokerDown', error),
      onBrokerUp: (downMs) => this.emit('brokerUp', downMs),
    });
    this.engine = new Engine(this.config, this.shell, new JobRunner(resolvedHandler, this), this.deadLetters, this);
    this.jobState = openWorkerState(this, options.state);
  }

  /** Connects to Kafka, joins the consumer group and starts processing. Resolves once polling. */
  run(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error(`worker.run() called twice (state: ${this.state})`));
    this.state = 'starting';
    return this.start();
  }

  /**
   * Graceful shutdown: stops fetching, lets running jobs finish, commits, leaves the group, closes
   * the dead-letter producer and flushes job state, all within `timeoutMs` (default
   * `shutdownTimeoutMs`): running jobs get it less the part kept for committing and leaving
   * (`shutdownBudget`). A step still unfinished at the deadline is abandoned: `close()` resolves
   * anyway and emits a `ShutdownTimeoutError` naming it. Safe to call more than once.
   */
  close({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs ?? this.config.shutdownTimeoutMs);
    return this.closing;
  }

  /**
   * The process exits without a shutdown, most likely because a job called `process.exit` or threw
   * where nothing caught it: the running tries are committed as such, synchronously (nothing
   * asynchronous runs any more), so that their jobs' attempts count the crash.
   */
  private readonly onProcessExit = (): void => {
    if (this.state === 'running') this.engine.commitOnExit();
  };

  /** Aborts every running job's signal at once (a second SIGTERM). `close()` then finishes quickly. */
  forceClose(): void {
    this.engine.abortAll(new Error('forced shutdown'));
  }

  /** Stops starting jobs and fetching; running jobs go on. */
  pause(): void {
    this.engine.pause();
  }

  /** Starts jobs and fetching again after {@link pause}. */
  resume(): void {
    this.engine.resume();
  }

  /** Jobs running now. */
  get running(): number {
    return this.engine.running;
  }

  /** Partitions assigned to this worker. */
  assignment(): TopicPartition[] {
    return this.engine.assignment();
  }

  private async start(): Promise<void> {
    try {
      for (const warning of await prepareQueueTopics(this.config)) this.reportError(new Error(warning));
      await this.shell.start();
      if (this.state === 'starting') this.state = 'running';
      process.on('exit', this.onProcessExit);
    } catch (error) {
      // A close() during the start cleans up itself.
      if (this.state === 'starting') {
        this.state = 'closed';
        await this.deadLetters.close();
      }
      throw error;
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const budget = shutdownBudget(timeoutMs);
    const unfinished: string[] = [];
    let failure: unknown;
    // Each step gets what is left of the deadline; one that overruns is left behind, not waited on.
    const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
      const running = work().catch((error: unknown) => {
        failure ??= error;
      });
      if (!(await settlesWithin(running, deadline - Date.now()))) unfinished.push(name);
    };
    // A close() before run() finished is fine: the shell stops a connect in flight and skips one not begun.
    this.state = 'closing';
    process.off('exit', this.onProcessExit);
    await step('draining running jobs and committing', () => this.engine.close(budget.jobsMs));
    await step('leaving the consumer group', () => this.shell.stop());
    await step('closing the dead-letter producer', () => this.deadLetters.close());
    const jobState = this.jobState;
    if (jobState) {
      await step('flushing job state', async () => {
        await jobState.recorder.flush(Math.max(0, Math.min(2000, deadline - Date.now())));
        jobState.recorder.detach();
        if (jobState.owned) await jobState.store.close();
      });
    }
    this.state = 'closed';
    if (unfinished.length > 0) this.reportError(new ShutdownTimeoutError(timeoutMs, unfinished));
    this.emit('closed');
    if (failure instanceof Error) throw failure;
    if (failure !== undefined) throw toError(failure);
  }

  /**
   * Emits an event; an exception thrown by a listener is reported as an `error` event instead of
   * escaping into the engine, where it would leave a job unfinished.
   */
  override emit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): boolean {
    if (event === 'error') return super.emit(event, ...args);
    try {
      return super.emit(event, ...args);
    } catch (error) {
      this.reportError(new ListenerError(event, toError(error)));
      return true;
    }
  }

  private reportError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.error(`[partita] ${error.message}`);
  }
}

/**
 * How a shutdown of `totalMs` is spent: running jobs get `jobsMs` to finish; then up to 1 s for
 * aborted jobs to settle; the rest (a quarter of the total, at most 5 s) is kept for committing,
 * leaving the group, closing the dead-letter producer and flushing job state.
 */
export function shutdownBudget(totalMs: number): { jobsMs: number; reserveMs: number } {
  const reserveMs = Math.min(CLOSE_RESERVE_MAX_MS, Math.floor(totalMs / 4));
  return { jobsMs: Math.max(0, totalMs - reserveMs - ABORT_SETTLE_MS), reserveMs };
}

/** The most of a shutdown kept for committing and leaving the group. */
const CLOSE_RESERVE_MAX_MS = 5000;

/** How long the engine waits for aborted jobs to settle after the drain time ran out. */
const ABORT_SETTLE_MS = 1000;

/** Resolves true if `work` (which never rejects) settles within `ms`, false otherwise. */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(() => true);
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  return Promise.race([settled, timedOut]).finally(() => clearTimeout(timer));
}
