import type { JobContext } from '@partita/job';
import type { JobInfo, TypedEmitter, WorkerEvents } from '../events';
import type { RunHandle } from './contracts';

/** The `ctx` of one try. A class, not an object of closures: one is made per job on the hot path. */
export class RunContext implements JobContext {
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
