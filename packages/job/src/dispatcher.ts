import { EnqueuerMissingError } from './errors';
import type { JobDescriptor, JobOptions } from './options';
import type { Backoff } from './backoff';

/** Per-call options of `performLater` / `Queue.add`. */
export interface EnqueueOptions {
  /** The job's key; overrides the class's partitioner. */
  key?: string;
  /** An explicit partition; overrides key-based partitioning. */
  partition?: number;
  /** The job's id. @defaultValue a random UUID */
  jobId?: string;
  /** Total tries. @defaultValue the class's, else 4 */
  attempts?: number;
  /** Wait between tries. @defaultValue the class's, else 0 */
  backoff?: Backoff;
  /** `sync` waits for the broker's acknowledgement. @defaultValue the class's, else 'async' */
  dispatch?: 'async' | 'sync';
  /** Dead letter topic or false. @defaultValue the class's, else `<queue>.dlq` */
  deadLetter?: string | false;
  /** How long one try may run (ms), see `JobOptions.timeout`. @defaultValue the class's, else the worker's */
  timeout?: number;
}

/** What enqueueing a job returns. */
export interface EnqueueResult {
  /** The job's id. */
  id: string;
  /**
   * The partition: known for sync dispatch, and for async dispatch when the enqueuer chose it
   * (an explicit partition, or `partitionKeyType: 'partitionKey'`).
   */
  partition?: number;
  /** The offset the broker wrote the job at: sync dispatch only. */
  offset?: number;
}

/** A job about to be enqueued, as a job class hands it to the enqueuer. */
export interface JobRequest<TData = unknown> {
  queue: string;
  name: string;
  data: TData;
  classOptions: JobOptions<TData>;
  opts?: EnqueueOptions;
}

/** The enqueuer's side of `Job.performLater`. @partita/enqueuer installs one on import. */
export interface JobDispatcher {
  enqueue(request: JobRequest): Promise<EnqueueResult>;
  enqueueAll(requests: JobRequest[]): Promise<EnqueueResult[]>;
}

// Kept on globalThis so that two copies of @partita/job (an app's and a worker's) share one dispatcher.
const SLOT = Symbol.for('partita.jobDispatcher');
type DispatcherSlot = { [SLOT]?: JobDispatcher };

/** Installs the dispatcher used by `Job.performLater`; @partita/enqueuer calls it when loaded. */
export function setJobDispatcher(dispatcher: JobDispatcher | undefined): void {
  (globalThis as DispatcherSlot)[SLOT] = dispatcher;
}

/** The installed dispatcher; throws {@link EnqueuerMissingError} when no enqueuer was loaded. */
export function getJobDispatcher(): JobDispatcher {
  const current = (globalThis as DispatcherSlot)[SLOT];
  if (!current) {
    throw new EnqueuerMissingError(
      "Job.performLater needs an enqueuer: import '@partita/enqueuer' once at start-up (it installs itself) and call configure({ connection }) from it",
    );
  }
  return current;
}

export type { JobDescriptor };
