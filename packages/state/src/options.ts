import { hostname } from 'node:os';
import { ConnectionTimeouts, RedisConnection } from './redis/connection';
import { StateConfigError } from './errors';
import { DEFAULT_PREFIX, validatePrefix } from './redis/keys';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL, KeepJobs, parseRetention, RetentionRule } from './write/retention';

/** Where warnings of the store go. */
export interface StateLogger {
  warn(message: string): void;
}

/** Options of {@link createStateStore}. */
export interface StateStoreOptions {
  /**
   * Where Redis is: a `redis://` URL or ioredis options.
   * @defaultValue env `PARTITA_REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisConnection;
  /**
   * What every key starts with; a queue's keys are `<prefix>:{<queue>}:...`.
   * @defaultValue 'partita'
   */
  prefix?: string;
  /**
   * Which completed jobs to keep (see {@link KeepJobs}); enforced as jobs complete, per queue.
   * @defaultValue `{ count: 1000 }`: the 1,000 most recently completed jobs of each queue
   */
  removeOnComplete?: KeepJobs;
  /**
   * Which failed and dead jobs to keep (each state on its own), as `removeOnComplete`.
   * @defaultValue `{ count: 5000 }`
   */
  removeOnFail?: KeepJobs;
  /**
   * Log lines kept per job (the latest); 0 keeps none, -1 all.
   * @defaultValue 100
   */
  keepLogs?: number;
  /**
   * Stack traces kept per job (one per failed try, the latest).
   * @defaultValue 10
   */
  stackTraceLimit?: number;
  /**
   * Write the queue event stream (what `QueueEvents` and `waitUntilFinished` read).
   * @defaultValue true
   */
  events?: boolean;
  /**
   * About how many events each queue's event stream keeps (the events of one write batch share a
   * stream entry; the stream is trimmed by entries, so this is approximate).
   * @defaultValue 10000
   */
  eventsMaxLen?: number;
  /**
   * How long a job removed as it finishes (`removeOnComplete: true`) stays readable, in ms, so
   * that a `getJob` or `waitUntilFinished` just after still sees it. 0 removes it at once.
   * @defaultValue 5000
   */
  removedJobTtlMs?: number;
  /**
   * How long a reserved job id (see `reserveJobIds`) lasts without being recorded, in ms.
   * @defaultValue 60000
   */
  reservationTtlMs?: number;
  /**
   * How long a recorded write may wait to be batched with later ones, in ms.
   * @defaultValue 5
   */
  flushIntervalMs?: number;
  /**
   * Writes sent at most in one batch (one pipeline of Lua script calls of up to 500 writes each);
   * a batch takes what is buffered, so batches grow with the load.
   * @defaultValue 5000
   */
  maxBatchSize?: number;
  /**
   * Writes buffered at most while Redis is slow or down; past it the oldest are dropped (a
   * chunk of up to 500 at a time, as they were encoded) and counted in `droppedWrites`. Writes
   * already sent and not yet answered (two batches of up to `maxBatchSize`) are held on top.
   * @defaultValue 50000
   */
  maxBufferedWrites?: number;
  /**
   * A batch of writes without an answer after this long is retried, in ms.
   * @defaultValue 2000
   */
  writeTimeoutMs?: number;
  /**
   * A read (or `reserveJobIds`) without an answer after this long fails with a
   * `StateUnavailableError`, in ms.
   * @defaultValue 5000
   */
  readTimeoutMs?: number;
  /**
   * Connect timeout of each connection, in ms.
   * @defaultValue 5000
   */
  connectTimeoutMs?: number;
  /**
   * First retry delay after a failed batch, doubled per failure up to `retryMaxMs`, in ms.
   * @defaultValue 100
   */
  retryMinMs?: number;
  /** @defaultValue 5000 */
  retryMaxMs?: number;
  /**
   * How often `waitUntilFinished` re-reads the waited jobs' states in case an event was missed, in ms.
   * @defaultValue 1000
   */
  pollIntervalMs?: number;
  /**
   * Where warnings go (Redis down, writes dropped, Redis back), or false for nowhere.
   * @defaultValue `console.warn`
   */
  logger?: StateLogger | false;
}

/** {@link StateStoreOptions} with every default filled in and validated. */
export interface ResolvedStateOptions extends ConnectionTimeouts {
  redis: RedisConnection | undefined;
  prefix: string;
  completed: RetentionRule;
  failed: RetentionRule;
  keepLogs: number;
  stackTraceLimit: number;
  events: boolean;
  eventsMaxLen: number;
  removedJobTtlMs: number;
  reservationTtlMs: number;
  flushIntervalMs: number;
  maxBatchSize: number;
  maxBufferedWrites: number;
  retryMinMs: number;
  retryMaxMs: number;
  pollIntervalMs: number;
  logger: StateLogger | undefined;
}

const OPTION_KEYS = [
  'redis',
  'prefix',
  'removeOnComplete',
  'removeOnFail',
  'keepLogs',
  'stackTraceLimit',
  'events',
  'eventsMaxLen',
  'removedJobTtlMs',
  'reservationTtlMs',
  'flushIntervalMs',
  'maxBatchSize',
  'maxBufferedWrites',
  'writeTimeoutMs',
  'readTimeoutMs',
  'connectTimeoutMs',
  'retryMinMs',
  'retryMaxMs',
  'pollIntervalMs',
  'logger',
] as const;

/** Fills in defaults; throws a {@link StateConfigError} naming the first invalid option. */
export function resolveStateOptions(options: StateStoreOptions = {}): ResolvedStateOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StateConfigError('options', 'state store options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new StateConfigError(key, `unknown state store option '${key}'; allowed: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  validatePrefix(prefix);
  if (options.events !== undefined && typeof options.events !== 'boolean') {
    throw new StateConfigError('events', `events must be true or false, got ${JSON.stringify(options.events)}`);
  }
  const logger = options.logger === false ? undefined : (options.logger ?? { warn: (message: string) => console.warn(message) });
  if (logger && typeof logger.warn !== 'function') throw new StateConfigError('logger', 'logger must have a warn(message) method, or be false');
  return {
    redis: options.redis,
    prefix,
    completed: parseRetention(options.removeOnComplete, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete'),
    failed: parseRetention(options.removeOnFail, DEFAULT_REMOVE_ON_FAIL, 'removeOnFail'),
    keepLogs: int(options.keepLogs, 100, 'keepLogs', -1),
    stackTraceLimit: int(options.stackTraceLimit, 10, 'stackTraceLimit', 0),
    events: options.events ?? true,
    eventsMaxLen: int(options.eventsMaxLen, 10_000, 'eventsMaxLen', 1),
    removedJobTtlMs: int(options.removedJobTtlMs, 5000, 'removedJobTtlMs', 0),
    reservationTtlMs: int(options.reservationTtlMs, 60_000, 'reservationTtlMs', 1),
    flushIntervalMs: int(options.flushIntervalMs, 5, 'flushIntervalMs', 0),
    maxBatchSize: int(options.maxBatchSize, 5000, 'maxBatchSize', 1),
    maxBufferedWrites: int(options.maxBufferedWrites, 50_000, 'maxBufferedWrites', 1),
    writeTimeoutMs: int(options.writeTimeoutMs, 2000, 'writeTimeoutMs', 1),
    readTimeoutMs: int(options.readTimeoutMs, 5000, 'readTimeoutMs', 1),
    connectTimeoutMs: int(options.connectTimeoutMs, 5000, 'connectTimeoutMs', 1),
    retryMinMs: int(options.retryMinMs, 100, 'retryMinMs', 1),
    retryMaxMs: int(options.retryMaxMs, 5000, 'retryMaxMs', 1),
    pollIntervalMs: int(options.pollIntervalMs, 1000, 'pollIntervalMs', 10),
    logger,
  };
}

function int(value: number | undefined, fallback: number, option: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new StateConfigError(option, `${option} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The default worker id recorded with each try: `<host>:<pid>`. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}
