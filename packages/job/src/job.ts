import type { JobContext } from './context';
import { EnqueueOptions, EnqueueResult, getJobDispatcher, JobRequest } from './dispatcher';
import { JobValidationError } from './errors';
import { isTopicName, topicNameProblem } from './topic-name';
import { JobOptions, mergeJobOptions, validateDeadLetter, validateJobOptions } from './options';

/**
 * Base class of application jobs. Subclass it, set `static queue` (the Kafka topic) and optional
 * `static options`, and implement `perform`:
 *
 * ```ts
 * class SendWelcome extends Job<{ userId: string }> {
 *   static queue = 'emails';
 *   static options = { partitioner: (job) => job.data.userId };
 *   async perform(data, ctx) { ... }
 * }
 * await SendWelcome.performLater({ userId: '42' });
 * ```
 */
export abstract class Job<TData = unknown, TResult = unknown> {
  // `queue`, `options` and `jobName` are declared by subclasses (see JobClass), not here, so that
  // apps compiled with `noImplicitOverride` need no `override` keyword on them.

  abstract perform(data: TData, ctx: JobContext): Promise<TResult> | TResult;

  /**
   * Enqueues one job of this class through the default enqueuer. Every failure (no queue, bad
   * options, no enqueuer) is a rejection, never a synchronous throw.
   */
  static async performLater<J extends Job<unknown, unknown>>(this: JobClass<J>, data: JobData<J>, opts?: EnqueueOptions): Promise<EnqueueResult> {
    return getJobDispatcher().enqueue(jobRequest(this, data, opts));
  }

  /** Enqueues many jobs of this class in one batch; if any is invalid, none is enqueued. */
  static async performAllLater<J extends Job<unknown, unknown>>(
    this: JobClass<J>,
    list: Array<JobData<J> | { data: JobData<J>; opts?: EnqueueOptions }>,
  ): Promise<EnqueueResult[]> {
    const requests = list.map((item) => (isDataWithOpts<JobData<J>>(item) ? jobRequest(this, item.data, item.opts) : jobRequest(this, item, undefined)));
    return getJobDispatcher().enqueueAll(requests);
  }
}

/** A concrete job class and the statics it may declare. */
export interface JobClass<J extends Job<unknown, unknown> = Job<unknown, unknown>> {
  new (): J;
  /** The queue (Kafka topic) this job is enqueued to. Required. */
  queue?: string;
  /** Job options; merged per key with those of parent classes. @defaultValue {} */
  options?: JobOptions<never>;
  /** The job's name on the wire. @defaultValue the class name */
  jobName?: string;
  readonly name: string;
}

/** The data type of a job class's instances, e.g. `JobData<SendWelcome>`. */
export type JobData<J> = J extends Job<infer D, unknown> ? D : never;
/** What a job class's `perform` resolves with. */
export type JobResult<J> = J extends Job<unknown, infer R> ? R : never;

function isDataWithOpts<D>(item: unknown): item is { data: D; opts?: EnqueueOptions } {
  return typeof item === 'object' && item !== null && 'data' in item && Object.keys(item).every((k) => k === 'data' || k === 'opts');
}

/** The job's name on the wire. */
export function jobNameOf(jobClass: JobClass): string {
  return Object.prototype.hasOwnProperty.call(jobClass, 'jobName') && jobClass.jobName ? jobClass.jobName : jobClass.name;
}

/** The queue of a job class; throws when it has none. */
export function queueOf(jobClass: JobClass): string {
  const queue = jobClass.queue;
  if (typeof queue !== 'string' || queue.length === 0) {
    throw new JobValidationError('queue', `job class ${jobClass.name} has no queue: set static queue = '<topic>'`);
  }
  if (!isTopicName(queue)) throw new JobValidationError('queue', `${jobClass.name}.queue ${topicNameProblem(queue)}`);
  return queue;
}

/** The class's options merged down its inheritance chain (base first), validated. */
export function resolveJobOptions(jobClass: JobClass): JobOptions<unknown> {
  const chain: JobOptions<unknown>[] = [];
  for (let c: unknown = jobClass; typeof c === 'function' && c !== Job; c = Object.getPrototypeOf(c)) {
    if (Object.prototype.hasOwnProperty.call(c, 'options')) chain.unshift((c as JobClass).options as JobOptions<unknown>);
  }
  const merged = mergeJobOptions(...chain);
  validateJobOptions(merged, `${jobClass.name}.options`);
  if (merged.deadLetter !== undefined && typeof jobClass.queue === 'string') {
    validateDeadLetter(merged.deadLetter, `${jobClass.name}.options.deadLetter`, jobClass.queue);
  }
  return merged;
}

function jobRequest(jobClass: JobClass, data: unknown, opts: EnqueueOptions | undefined): JobRequest {
  return { queue: queueOf(jobClass), name: jobNameOf(jobClass), data, classOptions: resolveJobOptions(jobClass), opts };
}
