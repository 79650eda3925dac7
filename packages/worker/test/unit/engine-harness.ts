import { resolveWorkerConfig, WorkerOptions } from '../../src/config';
import type { QueuedJob } from '../../src/core/partition-work';
import type { OrderingKey } from '../../src/core/lane-router';
import type { ConsumerControl, DeadLetterSink, ExecutionResult, JobExecutor, JobLimits, RunHandle, TopicPartitionOffset } from '../../src/engine/contracts';
import { Engine } from '../../src/engine/engine';
import { DeadLetterInfo, JobInfo, TopicPartition, TypedEmitter, WorkerEvents } from '../../src/events';
import type { Backoff } from '@partita/job';
import { decodeFinishedOffsets } from '../../src/core/commit-metadata';
import { msg } from './helpers';

/** `partition@offset`, then ` +a,b` when the metadata says offsets a and b above it finished. */
function withDone(o: TopicPartitionOffset): string {
  const done = [...decodeFinishedOffsets(o.offset, o.metadata)];
  return `${o.partition}@${o.offset}${done.length > 0 ? ` +${done.join(',')}` : ''}`;
}

export type ControlCall =
  | { op: 'pause'; partitions: TopicPartition[] }
  | { op: 'resume'; partitions: TopicPartition[] }
  | { op: 'storeOffsets'; offsets: TopicPartitionOffset[] }
  | { op: 'commit'; offsets: TopicPartitionOffset[] };

/** Records every call; `commit` resolves at once unless `commitResult` is set. */
export class FakeControl implements ConsumerControl {
  readonly calls: ControlCall[] = [];
  commitResult: () => Promise<void> = () => Promise.resolve();

  pause(partitions: TopicPartition[]): void {
    this.calls.push({ op: 'pause', partitions: clone(partitions) });
  }
  resume(partitions: TopicPartition[]): void {
    this.calls.push({ op: 'resume', partitions: clone(partitions) });
  }
  storeOffsets(offsets: TopicPartitionOffset[]): void {
    this.calls.push({ op: 'storeOffsets', offsets: clone(offsets) });
  }
  commit(offsets: TopicPartitionOffset[]): Promise<void> {
    this.calls.push({ op: 'commit', offsets: clone(offsets) });
    return this.commitResult();
  }
  commitBlocking(offsets: TopicPartitionOffset[]): void {
    this.calls.push({ op: 'commit', offsets: clone(offsets) });
  }

  of<K extends ControlCall['op']>(op: K): Array<Extract<ControlCall, { op: K }>> {
    return this.calls.filter((c): c is Extract<ControlCall, { op: K }> => c.op === op);
  }
  /** Offsets stored, flattened, as `partition@offset`. */
  stored(): string[] {
    return this.of('storeOffsets').flatMap((c) => c.offsets.map((o) => `${o.partition}@${o.offset}`));
  }
  /** Offsets stored, flattened, as `partition@offset` plus the finished offsets above it from the metadata. */
  storedWithDone(): string[] {
    return this.of('storeOffsets').flatMap((c) => c.offsets.map(withDone));
  }
  committed(): string[] {
    return this.of('commit').flatMap((c) => c.offsets.map((o) => `${o.partition}@${o.offset}`));
  }
  /** Offsets committed, as `partition@offset` plus the finished offsets above it from the metadata. */
  committedWithDone(): string[] {
    return this.of('commit').flatMap((c) => c.offsets.map(withDone));
  }
  /** Pause (+) and resume (-) calls of one partition, in order. */
  pauses(partition: number): string[] {
    return this.calls
      .filter((c): c is Extract<ControlCall, { op: 'pause' | 'resume' }> => c.op === 'pause' || c.op === 'resume')
      .filter((c) => c.partitions.some((tp) => tp.partition === partition))
      .map((c) => (c.op === 'pause' ? '+' : '-'));
  }
  clear(): void {
    this.calls.length = 0;
  }
}

export interface FakeRun {
  readonly job: QueuedJob;
  readonly handle: RunHandle;
  readonly partition: number;
  readonly offset: number;
  readonly orderingKey: OrderingKey;
  readonly attempt: number;
  settled: boolean;
  settle(result: ExecutionResult): void;
}

/**
 * An executor whose tries end only when the test says so. It checks the ordering invariants on
 * every start: never two runs of one ordering key at once, and a key's jobs start in offset order.
 */
export class FakeExecutor implements JobExecutor {
  readonly runs: FakeRun[] = [];
  readonly violations: string[] = [];
  /** What `limits` answers for every job. */
  jobLimits: JobLimits = { attempts: 4 };
  private readonly lastStarted = new Map<string, number>();

  limits(): JobLimits {
    return { ...this.jobLimits };
  }

  execute(job: QueuedJob, handle: RunHandle): Promise<ExecutionResult> {
    const { partition, offset } = job.message;
    const groupId = `${partition}/${typeof job.orderingKey}:${job.orderingKey}`;
    if (this.active().some((r) => r.partition === partition && r.orderingKey === job.orderingKey)) {
      this.violations.push(`overlap in group ${groupId} at offset ${offset}`);
    }
    const last = this.lastStarted.get(groupId);
    if (last !== undefined && offset < last) this.violations.push(`group ${groupId} started ${offset} after ${last}`);
    this.lastStarted.set(groupId, offset);
    return new Promise<ExecutionResult>((resolve) => {
      const run: FakeRun = {
        job,
        handle,
        partition,
        offset,
        orderingKey: job.orderingKey,
        attempt: job.attempt,
        settled: false,
        settle: (result) => {
          if (run.settled) throw new Error(`run ${partition}@${offset} settled twice`);
          run.settled = true;
          resolve(result);
        },
      };
      this.runs.push(run);
    });
  }

  describe(job: QueuedJob): JobInfo {
    const { message } = job;
    return {
      id: `${message.partition}@${message.offset}`,
      name: 'TestJob',
      data: undefined,
      queue: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      attempt: job.attempt,
      enqueuedAt: 0,
    };
  }

  active(): FakeRun[] {
    return this.runs.filter((r) => !r.settled);
  }
  /** Running jobs as `partition@offset`, in start order. */
  running(): string[] {
    return this.active().map((r) => `${r.partition}@${r.offset}`);
  }
  /** Every start so far as `partition@offset` (a retry shows up again). */
  started(): string[] {
    return this.runs.map((r) => `${r.partition}@${r.offset}`);
  }
  run(partition: number, offset: number): FakeRun {
    const run = this.active().find((r) => r.partition === partition && r.offset === offset);
    if (!run) throw new Error(`${partition}@${offset} is not running (running: ${this.running().join(', ') || 'none'})`);
    return run;
  }
  complete(partition: number, offset: number, result: unknown = `done ${partition}@${offset}`): void {
    this.run(partition, offset).settle({ status: 'completed', result });
  }
  fail(partition: number, offset: number, error: Error = new Error('boom'), attempts = 4, backoff?: Backoff): void {
    this.run(partition, offset).settle({ status: 'failed', error, attempts, backoff });
  }
}

export interface FakeWrite {
  readonly job: QueuedJob;
  readonly error: Error;
  readonly offset: number;
  done: boolean;
  resolve(info?: Partial<DeadLetterInfo>): void;
  reject(error: Error): void;
}

/** A dead letter sink whose writes are acknowledged (or fail) only when the test says so. */
export class FakeSink implements DeadLetterSink {
  readonly writes: FakeWrite[] = [];

  write(job: QueuedJob, error: Error): Promise<DeadLetterInfo> {
    return new Promise<DeadLetterInfo>((resolve, reject) => {
      const write: FakeWrite = {
        job,
        error,
        offset: job.message.offset,
        done: false,
        resolve: (info) => {
          write.done = true;
          resolve({ topic: 'q.dlq', partition: job.message.partition, offset: this.writes.indexOf(write), error, ...info });
        },
        reject: (e) => {
          write.done = true;
          reject(e);
        },
      };
      this.writes.push(write);
    });
  }

  pending(): FakeWrite[] {
    return this.writes.filter((w) => !w.done);
  }
}

/** Lets settled promises run their callbacks (works with fake timers: no timers involved). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export interface EventLog {
  name: keyof WorkerEvents;
  args: unknown[];
}

/**
 * An engine on queue `q` with fakes around it. The partitions are assigned and, unless
 * `restore: false`, their committed state restored as "nothing committed" (offset -1).
 */
export function setup(options: WorkerOptions = {}, partitions: number[] = [0], { restore = true }: { restore?: boolean } = {}) {
  const config = resolveWorkerConfig(['q'], { concurrency: 4, ...options });
  const control = new FakeControl();
  const executor = new FakeExecutor();
  const sink = new FakeSink();
  const events = new TypedEmitter<WorkerEvents>();
  const log: EventLog[] = [];
  const errors: Error[] = [];
  for (const name of ['completed', 'failed', 'deadLettered', 'assigned', 'revoked', 'drained'] as const) {
    events.on(name, (...args: unknown[]) => log.push({ name, args }));
  }
  events.on('error', (error) => errors.push(error));
  const engine = new Engine(config, control, executor, sink, events);
  /** Assigns partitions and restores them with nothing committed, as after a first assignment. */
  const assign = (...parts: number[]) => {
    engine.assign(parts.map((partition) => ({ topic: 'q', partition })));
    engine.restore(parts.map((partition) => ({ topic: 'q', partition, offset: -1 })));
  };
  if (restore) assign(...partitions);
  else engine.assign(partitions.map((partition) => ({ topic: 'q', partition })));
  /** Pushes `[partition, offset, key]` triples as one poll batch. */
  const push = (...messages: Array<[number, number, string | null]>) => engine.push(messages.map(([p, o, k]) => msg(p, o, k)));
  const named = (name: keyof WorkerEvents) => log.filter((e) => e.name === name);
  return { config, control, executor, sink, events, log, errors, engine, push, named, assign };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
