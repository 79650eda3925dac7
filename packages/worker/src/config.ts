import type { Backoff, JobClass } from '@partita/job';
import { DEFAULT_ATTEMPTS, isTopicName, MAX_DELAY_MS, resolveJobOptions, topicNameProblem, validateAttempts, validateBackoff } from '@partita/job/options';
import { JobRegistry } from '@partita/job/registry';
import type { BackoffStrategy } from './core/retry-policy';
import { byMessageKey, LaneDistribution, VirtualPartitioner } from './core/lane-router';
import { ConnectionOptions, resolveBrokers } from '@partita/kafka';
import type { StateStore, StateStoreOptions } from '@partita/state';
import { WorkerConfigError } from './errors';

/** Virtual partitions: fan-out of one Kafka partition's jobs to parallel ordered lanes. */
export interface VirtualPartitionOptions {
  /**
   * Returns a message's ordering key from its key and headers (never the payload); the job's name
   * and id are in its `partita` header, see `readJobHeader` of `@partita/job`.
   * @defaultValue the message key
   */
  partitioner?: VirtualPartitioner;
  /** Most jobs of one partition running at once. @defaultValue the worker's `concurrency` */
  maxPartitions?: number;
  /** How keys share lanes, see {@link LaneDistribution}. @defaultValue 'balanced' */
  distribution?: LaneDistribution;
}

/** Options of a {@link Worker}. */
export interface WorkerOptions {
  /** Brokers and pass-through client properties. @defaultValue env `PARTITA_BROKERS` or `127.0.0.1:9092` */
  connection?: ConnectionOptions;
  /** Consumer group id; workers of one group share the partitions. @defaultValue `partita.<queues joined by +>` */
  groupId?: string;
  /** Jobs running at once in this process, over all partitions. @defaultValue 16 */
  concurrency?: number;
  /**
   * Virtual partitions, on by default (ordering key = message key). `false` runs each partition's
   * jobs strictly one at a time in offset order.
   * @defaultValue `{ partitioner: message key, maxPartitions: concurrency, distribution: 'balanced' }`
   */
  virtualPartitions?: VirtualPartitionOptions | false;
  /** Pause fetching from a partition while its jobs run (Karafka's Long-Running Jobs). @defaultValue false */
  longRunning?: boolean;
  /**
   * How long the whole of `close()` (SIGTERM) may take: running jobs get it less a part kept for
   * committing, leaving the group and closing connections (`shutdownBudget()`), and are aborted
   * after; a step unfinished at the deadline is left behind. @defaultValue 30000
   */
  shutdownTimeoutMs?: number;
  /** How long running jobs of a revoked partition may go on before the partition is released. @defaultValue 5000 */
  revokeGraceMs?: number;
  /**
   * Received-but-unfinished jobs per partition above which fetching pauses. Each pause makes
   * librdkafka drop its prefetched messages and fetch again on resume, so the band between the
   * marks should hold well over the time a refetch takes.
   * @defaultValue 5000
   */
  highWatermark?: number;
  /** Unfinished jobs per partition at or below which a back-pressure pause ends. @defaultValue highWatermark / 2 */
  lowWatermark?: number;
  /** Total tries, overriding the job's own. @defaultValue the job's `attempts`, else 4 */
  attempts?: number;
  /** Wait between tries, overriding the job's own. @defaultValue the job's `backoff`, else 0 */
  backoff?: Backoff;
  /**
   * How long one try of a job may run (ms) when the job sets no `timeout` of its own. When it
   * passes, `ctx.signal` aborts with a `JobTimeoutError` and the try fails (retried or dead-lettered
   * as usual); the key's next job still waits until that `perform` settles, but the commit point no
   * longer waits for it.
   * @defaultValue undefined (no limit)
   */
  jobTimeoutMs?: number;
  /** Custom backoff: (attempt, error, job) → ms, or -1 to stop retrying. Overrides `backoff`. @defaultValue undefined */
  backoffStrategy?: BackoffStrategy;
  /**
   * Dead letter topic for the jobs of this worker: a name, a function of the source queue, or `false`
   * to drop dead jobs with a log line. Never a queue this worker consumes. A job's own `deadLetter`
   * option wins if this worker allows it (see `deadLetterTopics`).
   * @defaultValue `<queue>.dlq`
   */
  deadLetter?: string | false | ((queue: string) => string);
  /**
   * Further dead letter topics a job may choose with its own `deadLetter` option (given at enqueue
   * time, so carried in the message). Always allowed besides these: this worker's dead letter topic
   * of the job's queue and the `deadLetter` declared on the job's registered class. A job asking for
   * any other topic goes to the default instead, with a warning naming the topic: whoever can write
   * to a queue must not choose where the worker writes (e.g. into another queue). A queue this
   * worker consumes is never allowed.
   * @defaultValue []
   */
  deadLetterTopics?: string[];
  /** How often stored offsets are committed in the background (ms). @defaultValue 1000 */
  commitIntervalMs?: number;
  /** Messages taken per poll; below `highWatermark`. @defaultValue 500, or `highWatermark - 1` when that is smaller */
  batchSize?: number;
  /** librdkafka consumer properties passed through (merged over `connection.kafka`). @defaultValue {} */
  kafka?: Record<string, string | number | boolean>;
  /**
   * Record each job's state in Redis (@partita/state) for `queue.getJob`, `waitUntilFinished`,
   * counts and `QueueEvents`: `{ redis: 'redis://…' }`, a `StateStore`, or `false`.
   * @defaultValue enabled with `{ redis: PARTITA_REDIS_URL }` when that env is set, else off
   */
  state?: StateStore | StateStoreOptions | false;
}

/** Worker options with every default applied, validated. */
export interface ResolvedWorkerConfig {
  queues: string[];
  /** The connection as given (the dead-letter producer uses it too). */
  connection: ConnectionOptions;
  brokers: string;
  clientId: string;
  groupId: string;
  concurrency: number;
  partitioner: VirtualPartitioner;
  maxPartitions: number;
  distribution: LaneDistribution;
  longRunning: boolean;
  shutdownTimeoutMs: number;
  revokeGraceMs: number;
  highWatermark: number;
  lowWatermark: number;
  attempts?: number;
  backoff?: Backoff;
  backoffStrategy?: BackoffStrategy;
  jobTimeoutMs?: number;
  deadLetter: (queue: string) => string | false;
  /** The `deadLetterTopics` option. */
  deadLetterTopics: ReadonlySet<string>;
  /**
   * The `deadLetter` declared on the registered job class of this name (its options merged down its
   * hierarchy); undefined without one, or for a processor function.
   */
  declaredDeadLetter: (jobName: string) => string | false | undefined;
  commitIntervalMs: number;
  batchSize: number;
  maxPollIntervalMs: number;
  /** librdkafka consumer properties, partita's own included. */
  kafka: Record<string, string | number | boolean>;
}

const WORKER_OPTION_KEYS = [
  'connection',
  'groupId',
  'concurrency',
  'virtualPartitions',
  'longRunning',
  'shutdownTimeoutMs',
  'revokeGraceMs',
  'highWatermark',
  'lowWatermark',
  'attempts',
  'backoff',
  'backoffStrategy',
  'jobTimeoutMs',
  'deadLetter',
  'deadLetterTopics',
  'commitIntervalMs',
  'batchSize',
  'kafka',
  'state',
];

/**
 * librdkafka properties partita owns: the engine stores offsets as the commit point advances (a
 * commit point over jobs that finish out of order cannot be managed by hand) and needs cooperative
 * rebalancing to drain revoked partitions.
 */
const OWNED_PROPERTIES: Record<string, string> = {
  'enable.auto.offset.store':
    'partita stores offsets itself as the commit point advances (manual offset management cannot be combined with virtual partitions); remove it',
  'enable.auto.commit': 'partita commits stored offsets itself; tune commitIntervalMs instead',
  'auto.commit.interval.ms': 'use the commitIntervalMs option instead',
  'group.id': 'use the groupId option instead',
  'bootstrap.servers': 'use connection.brokers instead',
  'metadata.broker.list': 'use connection.brokers instead',
  rebalance_cb: 'partita handles rebalances itself (revocation-aware draining); remove it',
  offset_commit_cb: 'partita handles commits itself; listen to the worker events instead',
  'group.protocol': 'only the classic group protocol with cooperative-sticky assignment is supported; remove it',
};

/** A value as an error message shows it: an object as JSON, anything else as `String()` does. */
function shown(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value) ?? 'an object';
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

function positiveInt(option: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new WorkerConfigError(option, `must be an integer >= ${min}, got ${shown(value)}`);
  }
  return value;
}

/** A try's timeout: whole milliseconds that a timer can hold. */
function timeoutOption(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DELAY_MS) {
    throw new WorkerConfigError('jobTimeoutMs', `must be an integer number of milliseconds between 1 and ${MAX_DELAY_MS}, got ${shown(value)}`);
  }
  return value;
}

/** Applies defaults and rejects every invalid option or combination, naming the option and the fix. */
/** Messages taken per poll unless `batchSize` (or a small `highWatermark`) says otherwise. */
export const DEFAULT_BATCH_SIZE = 500;

/**
 * `jobs` is the worker's handler (job classes, a registry or a processor function): job classes must
 * not be an empty list, and the `deadLetter` each declares is allowed to their jobs.
 */
export function resolveWorkerConfig(
  queues: string[],
  options: WorkerOptions = {},
  jobs?: JobRegistry | JobClass[] | ((...args: never[]) => unknown),
): ResolvedWorkerConfig {
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new WorkerConfigError('queue', 'give at least one queue name (a Kafka topic)');
  }
  for (const queue of queues) {
    const problem = topicNameProblem(queue);
    if (problem !== undefined) throw new WorkerConfigError('queue', `a queue name ${problem}`);
  }
  for (const key of Object.keys(options)) {
    if (!WORKER_OPTION_KEYS.includes(key)) {
      throw new WorkerConfigError(key, `unknown worker option; allowed: ${WORKER_OPTION_KEYS.join(', ')}`);
    }
  }
  const kafka: Record<string, string | number | boolean> = { ...options.connection?.kafka, ...options.kafka };
  for (const [property, fix] of Object.entries(OWNED_PROPERTIES)) {
    if (property in kafka) throw new WorkerConfigError(`kafka['${property}']`, fix);
  }
  const strategy = kafka['partition.assignment.strategy'];
  if (strategy !== undefined && strategy !== 'cooperative-sticky') {
    throw new WorkerConfigError(
      "kafka['partition.assignment.strategy']",
      `'${String(strategy)}' revokes every partition on each rebalance; partita requires 'cooperative-sticky' (remove the property)`,
    );
  }

  const concurrency = positiveInt('concurrency', options.concurrency, 16);
  const vp = options.virtualPartitions;
  if (vp !== undefined && vp !== false && (typeof vp !== 'object' || vp === null)) {
    throw new WorkerConfigError('virtualPartitions', 'must be an object { partitioner?, maxPartitions?, distribution? } or false');
  }
  const vpOptions = vp === false ? undefined : (vp ?? {});
  for (const key of Object.keys(vpOptions ?? {})) {
    if (!['partitioner', 'maxPartitions', 'distribution'].includes(key)) {
      throw new WorkerConfigError(`virtualPartitions.${key}`, 'unknown option; allowed: partitioner, maxPartitions, distribution');
    }
  }
  if (vpOptions?.partitioner !== undefined && typeof vpOptions.partitioner !== 'function') {
    throw new WorkerConfigError('virtualPartitions.partitioner', 'must be a function (message) => string; it sees key and headers, not the payload');
  }
  const distribution = vpOptions?.distribution ?? 'balanced';
  if (distribution !== 'balanced' && distribution !== 'consistent') {
    throw new WorkerConfigError('virtualPartitions.distribution', `must be 'balanced' or 'consistent', got ${String(distribution)}`);
  }
  const maxPartitions = vpOptions ? positiveInt('virtualPartitions.maxPartitions', vpOptions.maxPartitions, concurrency) : 1;
  if (maxPartitions > concurrency) {
    throw new WorkerConfigError(
      'virtualPartitions.maxPartitions',
      `${maxPartitions} lanes can never run at once with concurrency ${concurrency}; raise concurrency or lower maxPartitions`,
    );
  }

  const maxPollIntervalMs = numericProperty(kafka, 'max.poll.interval.ms', 300000);
  const sessionTimeoutMs = numericProperty(kafka, 'session.timeout.ms', 45000);
  if (sessionTimeoutMs > maxPollIntervalMs) {
    throw new WorkerConfigError("kafka['session.timeout.ms']", `(${sessionTimeoutMs}) must not exceed max.poll.interval.ms (${maxPollIntervalMs})`);
  }
  const revokeGraceMs = positiveInt('revokeGraceMs', options.revokeGraceMs, 5000, 0);
  if (revokeGraceMs >= maxPollIntervalMs) {
    throw new WorkerConfigError(
      'revokeGraceMs',
      `(${revokeGraceMs}) must be below max.poll.interval.ms (${maxPollIntervalMs}): a rebalance waits for the grace period and the group gives up after max.poll.interval.ms`,
    );
  }
  const shutdownTimeoutMs = positiveInt('shutdownTimeoutMs', options.shutdownTimeoutMs, 30000, 0);
  if (options.longRunning && shutdownTimeoutMs === 0) {
    throw new WorkerConfigError('shutdownTimeoutMs', 'long-running jobs need a shutdown timeout above 0 to finish on SIGTERM; raise shutdownTimeoutMs');
  }
  const highWatermark = positiveInt('highWatermark', options.highWatermark, 5000);
  const lowWatermark = positiveInt('lowWatermark', options.lowWatermark, Math.floor(highWatermark / 2), 0);
  if (lowWatermark >= highWatermark) {
    throw new WorkerConfigError('lowWatermark', `(${lowWatermark}) must be below highWatermark (${highWatermark})`);
  }
  // A poll that can fill a partition's whole allowance pauses it on nearly every poll (each pause
  // drops librdkafka's prefetch), and the worker crawls. The default batch shrinks to fit; an
  // explicit one must fit.
  const batchSize = positiveInt('batchSize', options.batchSize, Math.max(1, Math.min(DEFAULT_BATCH_SIZE, highWatermark - 1)));
  if (options.batchSize !== undefined && batchSize >= highWatermark && highWatermark > 1) {
    throw new WorkerConfigError(
      'batchSize',
      `(${batchSize}) must be below highWatermark (${highWatermark}): a poll that fills a partition's allowance pauses it every time and the worker crawls`,
    );
  }
  if (options.attempts !== undefined) {
    try {
      validateAttempts(options.attempts);
    } catch (error) {
      throw new WorkerConfigError('attempts', (error as Error).message);
    }
  }
  if (options.backoff !== undefined) {
    try {
      validateBackoff(options.backoff);
    } catch (error) {
      throw new WorkerConfigError('backoff', (error as Error).message);
    }
  }
  if (options.backoffStrategy !== undefined && typeof options.backoffStrategy !== 'function') {
    throw new WorkerConfigError('backoffStrategy', 'must be a function (attempt, error, job) => ms | -1');
  }
  const deadLetter = resolveDeadLetter(options.deadLetter);
  for (const queue of queues) {
    const dlq = deadLetter(queue);
    if (dlq === queue) throw new WorkerConfigError('deadLetter', `the dead letter topic of ${queue} is ${queue} itself; dead jobs would run again forever`);
    if (dlq !== false && queues.includes(dlq)) {
      throw new WorkerConfigError(
        'deadLetter',
        `the dead letter topic of ${queue} is ${dlq}, a queue this worker consumes: dead jobs would run again; use another topic`,
      );
    }
    if (dlq !== false && !isTopicName(dlq)) {
      throw new WorkerConfigError(
        'deadLetter',
        `the dead letter topic of ${queue} is no topic name: a topic name ${topicNameProblem(dlq)}; set the deadLetter option`,
      );
    }
  }
  const deadLetterTopics = resolveDeadLetterTopics(options.deadLetterTopics, queues);
  const declaredDeadLetter = resolveDeclaredDeadLetters(jobs, queues);

  const uniqueQueues = [...new Set(queues)];
  const groupId = options.groupId ?? `partita.${uniqueQueues.join('+')}`;
  if (typeof groupId !== 'string' || groupId.length === 0) throw new WorkerConfigError('groupId', 'must be a non-empty string');
  let brokers: string;
  try {
    brokers = resolveBrokers(options.connection);
  } catch (error) {
    throw new WorkerConfigError('connection.brokers', (error as Error).message);
  }
  const clientId = options.connection?.clientId ?? 'partita-worker';
  return {
    queues: uniqueQueues,
    connection: options.connection ?? {},
    brokers,
    clientId,
    groupId,
    concurrency,
    partitioner: vpOptions?.partitioner ?? (vpOptions ? byMessageKey : () => 'partition'),
    maxPartitions,
    distribution: vpOptions ? distribution : 'consistent',
    longRunning: options.longRunning ?? false,
    shutdownTimeoutMs,
    revokeGraceMs,
    highWatermark,
    lowWatermark,
    attempts: options.attempts,
    backoff: options.backoff,
    backoffStrategy: options.backoffStrategy,
    jobTimeoutMs: options.jobTimeoutMs === undefined ? undefined : timeoutOption(options.jobTimeoutMs),
    deadLetter,
    deadLetterTopics,
    declaredDeadLetter,
    commitIntervalMs: positiveInt('commitIntervalMs', options.commitIntervalMs, 1000, 1),
    batchSize,
    maxPollIntervalMs,
    kafka,
  };
}

/** A librdkafka property that partita reads as a number (milliseconds). */
function numericProperty(kafka: Record<string, string | number | boolean>, property: string, fallback: number): number {
  const raw = kafka[property];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw === 'boolean' || !Number.isFinite(value) || value <= 0) {
    throw new WorkerConfigError(`kafka['${property}']`, `must be a positive number of milliseconds, got ${String(raw)}`);
  }
  return value;
}

function resolveDeadLetterTopics(option: unknown, queues: string[]): ReadonlySet<string> {
  if (option === undefined) return new Set();
  if (!Array.isArray(option)) throw new WorkerConfigError('deadLetterTopics', `must be an array of topic names, got ${typeof option}`);
  for (const topic of option as unknown[]) {
    const problem = topicNameProblem(topic);
    if (problem !== undefined || typeof topic !== 'string') {
      throw new WorkerConfigError('deadLetterTopics', `each entry must be a topic name, and a topic name ${problem ?? 'must be a string'}`);
    }
    if (queues.includes(topic)) {
      throw new WorkerConfigError('deadLetterTopics', `${topic} is a queue this worker consumes: a job dead-lettered there would run again; remove it`);
    }
  }
  return new Set(option as string[]);
}

/**
 * The `deadLetter` declared on each registered job class, looked up when a job dies (classes may be
 * registered after the worker is made). The handler's classes are checked now: none may name a
 * queue the worker consumes, and a list or registry of classes may not be empty.
 */
function resolveDeclaredDeadLetters(jobs: unknown, queues: string[]): (jobName: string) => string | false | undefined {
  const none = () => undefined;
  if (jobs === undefined || typeof jobs === 'function') return none;
  let registry: JobRegistry;
  if (jobs instanceof JobRegistry) registry = jobs;
  else if (Array.isArray(jobs)) registry = new JobRegistry(jobs as JobClass[]);
  else return none; // not a handler at all: the Worker says so
  if (registry.size === 0) {
    throw new WorkerConfigError(
      'jobs',
      `no job classes given for ${queues.join(', ')}: a worker without jobs runs nothing and dead-letters every message as an unknown job; pass the Job classes (new Worker(queue, [SendWelcome])), a JobRegistry holding them, or a processor function`,
    );
  }
  const declared = new Map<JobClass, string | false | undefined>();
  const lookup = (jobName: string): string | false | undefined => {
    const jobClass = registry.get(jobName);
    if (!jobClass) return undefined;
    if (!declared.has(jobClass)) declared.set(jobClass, resolveJobOptions(jobClass).deadLetter);
    return declared.get(jobClass);
  };
  for (const name of registry.names()) {
    const topic = lookup(name);
    if (topic !== undefined && topic !== false && queues.includes(topic)) {
      throw new WorkerConfigError(
        'jobs',
        `job ${name} declares deadLetter ${topic}, a queue this worker consumes: its dead jobs would run again; declare another topic`,
      );
    }
  }
  return lookup;
}

function resolveDeadLetter(option: WorkerOptions['deadLetter']): (queue: string) => string | false {
  if (option === undefined) return (queue) => `${queue}.dlq`;
  if (option === false) return () => false;
  if (typeof option === 'string' && option.length > 0) return () => option;
  if (typeof option === 'function') return option;
  throw new WorkerConfigError('deadLetter', 'must be a topic name, a function (queue) => topic, or false');
}

export { DEFAULT_ATTEMPTS };
