import { JobClass, JobRegistry, PartitaError } from '@partita/job';
import { resolveWorkerConfig, ResolvedWorkerConfig, WorkerOptions } from './config';
import { DeadLetterSink, Engine } from './engine';
import { TypedEmitter, WorkerEvents } from './events';
import { ConsumerShell } from './kafka/consumer-shell';
import { JobRunner, Processor } from './runner';
import { createDeadLetterSink } from './dead-letter';
import { prepareQueueTopics } from './queue-topics';
import { openWorkerState } from './worker-state';
import type { StateRecorder, StateStore } from '@partita/state';

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
    this.config = resolveWorkerConfig(queueList, options);
    const resolvedHandler = Array.isArray(handler) ? new JobRegistry(handler) : handler;
    if (!(resolvedHandler instanceof JobRegistry) && typeof resolvedHandler !== 'function') {
      throw new TypeError('the worker needs Job classes, a JobRegistry or a processor function (job, ctx) => result');
    }
    this.deadLetters = createDeadLetterSink(this.config);
    this.shell = new ConsumerShell(this.config, {
      onAssign: (partitions) => this.engine.assign(partitions),
      onCommitted: (committed) => this.engine.restore(committed),
      onRevoke: (partitions, lost) => this.engine.revoke(partitions, { lost }),
      onMessages: (messages) => this.engine.push(messages),
      afterPoll: () => this.engine.flushOffsets(),
      onError: (error) => this.reportError(error),
    });
    this.engine = new Engine(this.config, this.shell, new JobRunner(resolvedHandler, this), this.deadLetters, this);
    this.jobState = openWorkerState(this, options.state);
  }

  /** Connects to Kafka, joins the consumer group and starts processing. Resolves once polling. */
  async run(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`worker.run() called twice (state: ${this.state})`);
    this.state = 'starting';
    try {
      for (const warning of await prepareQueueTopics(this.config)) this.reportError(new Error(warning));
      await this.shell.start();
      this.state = 'running';
    } catch (error) {
      this.state = 'closed';
      await this.deadLetters.close();
      throw error;
    }
  }

  /**
   * Graceful shutdown: stops fetching, lets running jobs finish within `timeoutMs`
   * (default `shutdownTimeoutMs`), commits, leaves the group. Safe to call more than once.
   */
  close({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs ?? this.config.shutdownTimeoutMs);
    return this.closing;
  }

  /** Aborts every running job's signal at once (a second SIGTERM). `close()` then finishes quickly. */
  forceClose(): void {
    this.engine.abortAll(new Error('forced shutdown'));
  }

  /** Stops starting jobs and fetching; running jobs go on. */
  pause(): void {
    this.engine.pause();
  }

  resume(): void {
    this.engine.resume();
  }

  /** Jobs running now. */
  get running(): number {
    return this.engine.running;
  }

  /** Partitions assigned to this worker. */
  assignment() {
    return this.engine.assignment();
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    if (wasRunning) await this.engine.close(timeoutMs);
    await this.shell.stop();
    await this.deadLetters.close();
    if (this.jobState) {
      await this.jobState.recorder.flush(2000);
      this.jobState.recorder.detach();
      if (this.jobState.owned) await this.jobState.store.close();
    }
    this.state = 'closed';
    this.emit('closed');
  }

  /**
   * Emits an event; an exception thrown by a listener is reported as an `error` event instead of
   * escaping into the engine, where it would leave a job unfinished.
   */
  override emit<K extends keyof WorkerEvents & string>(event: K, ...args: WorkerEvents[K]): boolean {
    if (event === 'error') return super.emit(event, ...args);
    try {
      return super.emit(event, ...args);
    } catch (error) {
      this.reportError(new ListenerError(event, error instanceof Error ? error : new Error(String(error))));
      return true;
    }
  }

  private reportError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.error(`[partita] ${error.message}`);
  }
}

/** A listener of a worker event threw; the worker reports it and goes on. */
export class ListenerError extends PartitaError {
  constructor(
    readonly event: string,
    cause: Error,
  ) {
    super(`a '${event}' listener threw: ${cause.message}`, { cause });
  }
}
