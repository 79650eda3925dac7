import { type JobInfo } from '@partita/job';
import { ENCODED_ENVELOPE } from '@partita/job/wire';
import { encodeValue, reasonOf, stackOf } from '../codec';
import { defaultWorkerId } from '../options';
import { ActiveOp, StateOp } from './ops';
import { endJoin, joinStart } from './try-join';

/**
 * Where the recorder keeps a try's start op: on the try's `JobInfo`, which the worker passes to
 * every event of the try. A symbol: invisible to the job's code, its JSON and its keys.
 */
const START = Symbol('partita.state.start');
type TryOf = RecordedJob & { [START]?: ActiveOp };

/** What the recorder reads of a job in a worker event: the worker's `JobInfo`. */
export type RecordedJob = JobInfo;

/** The worker events the recorder listens to, with the arguments @partita/worker emits. */
export interface RecordedWorkerEvents {
  active: [job: RecordedJob];
  completed: [job: RecordedJob, result: unknown];
  failed: [job: RecordedJob, error: Error, info: { attempt: number; willRetry: boolean; delayMs?: number }];
  deadLettered: [job: RecordedJob, info: { topic: string | null; error: Error }];
  progress: [job: RecordedJob, progress: number | object];
  log: [job: RecordedJob, line: string];
}

/** Anything that emits the worker's events: a `Worker` of @partita/worker, or a test double. */
export interface WorkerEventSource {
  on<K extends keyof RecordedWorkerEvents>(event: K, listener: (...args: RecordedWorkerEvents[K]) => void): unknown;
  off<K extends keyof RecordedWorkerEvents>(event: K, listener: (...args: RecordedWorkerEvents[K]) => void): unknown;
}

/** Where the recorder writes: a `StateStore` (only its buffered `record` is used). */
export interface StateSink {
  record(op: StateOp): void;
  /**
   * Whether the sink lets a try's completion join its start while that still waits to be written
   * (see `try-join.ts`). Without it every completion is an op of its own.
   */
  readonly joinsTries?: boolean;
  flush(timeoutMs?: number): Promise<boolean>;
}

/** Options of {@link attachStateRecorder}. */
export interface StateRecorderOptions {
  /**
   * Recorded as the job's `workerId` with each try.
   * @defaultValue `<hostname>:<pid>`
   */
  workerId?: string;
  /**
   * Record the job's data when a worker is the first to record the job (the enqueuer did not).
   * False saves the encoding on the worker's hot path.
   * @defaultValue true
   */
  recordData?: boolean;
}

/** A recorder attached to a worker. */
export interface StateRecorder {
  /** Stops recording (buffered writes are still sent). */
  detach(): void;
  /** Waits until what was recorded so far is written (see `StateStore.flush`). */
  flush(timeoutMs?: number): Promise<boolean>;
}

/**
 * Records a worker's job life cycle in the state store by listening to its events:
 * `active` → active (processedOn, attemptsStarted, workerId); `completed` → completed
 * (returnvalue, finishedOn); `failed` with a retry to follow → retrying (failedReason, stack);
 * the last `failed` → failedReason; `deadLettered` → dead, or failed when dead-lettering is
 * disabled; `progress` and `log` → progress and logs.
 *
 * A listener only appends to the store's write buffer: it never throws into the worker and
 * never waits on Redis.
 */
export function attachStateRecorder(worker: WorkerEventSource, store: StateSink, options: StateRecorderOptions = {}): StateRecorder {
  const workerId = options.workerId ?? defaultWorkerId();
  const withData = options.recordData ?? true;
  const joins = store.joinsTries === true;
  /** The try's start op the recorder noted on its `JobInfo`, taken off it. */
  const takeStart = (job: RecordedJob): ActiveOp | undefined => {
    const start = (job as TryOf)[START];
    if (start !== undefined) (job as TryOf)[START] = undefined;
    return start;
  };
  // Any other op of a try keeps its start and its completion apart (their order must hold).
  const record = (make: () => StateOp, job: RecordedJob) => {
    try {
      const start = takeStart(job);
      if (start !== undefined) endJoin(start);
      store.record(make());
    } catch {
      /* a malformed event must not reach the worker; the store itself never throws */
    }
  };
  const listeners: { [K in keyof RecordedWorkerEvents]: (...args: RecordedWorkerEvents[K]) => void } = {
    // active and completed run once per job: no closure per call, and a completion that joins its
    // start creates no op at all.
    active: (job) => {
      try {
        const start: ActiveOp = {
          kind: 'active',
          queue: job.queue,
          id: job.id,
          attempt: job.attempt,
          at: Date.now(),
          workerId,
          name: job.name,
          data: job.data,
          envelope: job[ENCODED_ENVELOPE],
          withData,
          key: job.key,
          partition: job.partition,
          offset: job.offset,
          enqueuedAt: job.enqueuedAt,
          completedAt: undefined, // set when the completion joins this op (one object shape)
          result: undefined,
          heldBack: false,
          joinable: joins,
        };
        store.record(start);
        if (joins) {
          try {
            (job as TryOf)[START] = start;
          } catch {
            endJoin(start); // a frozen JobInfo: its completion is recorded on its own
          }
        }
      } catch {
        /* see record() */
      }
    },
    completed: (job, result) => {
      try {
        const at = Date.now();
        const start = joins ? takeStart(job) : undefined;
        if (start !== undefined && joinStart(start, at, result)) return;
        store.record({ kind: 'completed', queue: job.queue, id: job.id, attempt: job.attempt, at, returnvalue: result, workerId });
      } catch {
        /* see record() */
      }
    },
    failed: (job, error, info) =>
      record(
        () =>
          info.willRetry
            ? {
                kind: 'retrying',
                queue: job.queue,
                id: job.id,
                attempt: info.attempt,
                at: Date.now(),
                failedReason: reasonOf(error),
                stack: stackOf(error),
                delayMs: info.delayMs ?? 0,
              }
            : { kind: 'tryFailed', queue: job.queue, id: job.id, attempt: info.attempt, at: Date.now(), failedReason: reasonOf(error), stack: '' },
        job,
      ),
    deadLettered: (job, info) =>
      record(
        () => ({
          kind: 'deadLettered',
          queue: job.queue,
          id: job.id,
          attempt: job.attempt,
          at: Date.now(),
          failedReason: reasonOf(info.error),
          stack: stackOf(info.error),
          deadLetterTopic: info.topic,
          name: job.name,
          key: job.key,
          partition: job.partition,
          offset: job.offset,
          enqueuedAt: job.enqueuedAt,
        }),
        job,
      ),
    progress: (job, progress) => record(() => ({ kind: 'progress', queue: job.queue, id: job.id, at: Date.now(), progressText: encodeValue(progress) }), job),
    log: (job, line) => record(() => ({ kind: 'log', queue: job.queue, id: job.id, line: String(line) }), job),
  };
  const events = Object.keys(listeners) as Array<keyof RecordedWorkerEvents>;
  // One event name and its listener, typed as a pair (a loop over a union would lose the pairing).
  const toggle = <K extends keyof RecordedWorkerEvents>(on: boolean, event: K) =>
    on ? worker.on(event, listeners[event]) : worker.off(event, listeners[event]);
  for (const event of events) toggle(true, event);
  let attached = true;
  return {
    detach() {
      if (!attached) return;
      attached = false;
      for (const event of events) toggle(false, event);
    },
    flush: (timeoutMs) => store.flush(timeoutMs),
  };
}
