import { Redis, RedisOptions } from 'ioredis';
import { StateConfigError } from '../errors';

/** Where Redis is: a `redis://` / `rediss://` URL or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** Used when neither `redis` nor env `PARTITA_REDIS_URL` is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What each connection of the store is for; each gets settings fit for its job. */
export type ConnectionRole = 'client' | 'writer' | 'blocking';

/** Timeouts shared by the store's connections. */
export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  /** Reads and `reserveJobIds` fail after this long without an answer. */
  readTimeoutMs: number;
  /** A batch of recorded writes is retried after this long without an answer. */
  writeTimeoutMs: number;
}

/** The connection target, resolved: a URL or options, never both undefined. */
export interface RedisTarget {
  url: string | undefined;
  options: RedisOptions;
}

/** `redis`, else env `PARTITA_REDIS_URL`, else {@link DEFAULT_REDIS_URL}. */
export function resolveRedisTarget(redis: RedisConnection | undefined, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  if (redis === undefined) {
    const fromEnv = env.PARTITA_REDIS_URL;
    return { url: fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : DEFAULT_REDIS_URL, options: {} };
  }
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis)) {
      throw new StateConfigError('redis', `redis must be a redis:// or rediss:// URL or ioredis options, got ${JSON.stringify(redis)}`);
    }
    return { url: redis, options: {} };
  }
  if (typeof redis !== 'object' || redis === null || Array.isArray(redis)) {
    throw new StateConfigError('redis', `redis must be a redis:// URL or ioredis options, got ${String(redis)}`);
  }
  if (redis.keyPrefix !== undefined) {
    // The Lua scripts derive keys from the queue's key base, which ioredis would not prefix.
    throw new StateConfigError('redis.keyPrefix', 'ioredis keyPrefix is not supported by the state store: use its `prefix` option instead');
  }
  return { url: undefined, options: redis };
}

/**
 * The ioredis settings of a connection. Reconnects forever with a capped backoff; what differs is
 * what a command does while Redis is away:
 * - `client` (reads, `reserveJobIds`): queued while reconnecting, failed after 2 reconnect
 *   attempts or `readTimeoutMs`, whichever comes first;
 * - `writer` (recorded state): never queued (`enableOfflineQueue: false`, `maxRetriesPerRequest:
 *   0`): the store's own bounded buffer holds writes, and a slow Redis fails a batch after
 *   `writeTimeoutMs` so that it is retried, never waited on forever;
 * - `blocking` (XREAD BLOCK of events and waiters): no command timeout; fails on a lost connection
 *   so that the reader retries from its last event id.
 */
export function connectionOptions(role: ConnectionRole, given: RedisOptions, timeouts: ConnectionTimeouts): RedisOptions {
  const base: RedisOptions = {
    connectTimeout: timeouts.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    ...given,
  };
  switch (role) {
    case 'client':
      return { commandTimeout: timeouts.readTimeoutMs, maxRetriesPerRequest: 2, ...base, enableOfflineQueue: true };
    case 'writer':
      return { ...base, commandTimeout: timeouts.writeTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false };
    case 'blocking':
      return { ...base, commandTimeout: undefined, maxRetriesPerRequest: 1, enableOfflineQueue: true };
  }
}

/** Opens a connection (it connects in the background). Its `error` events are the caller's to handle. */
export function openConnection(target: RedisTarget, role: ConnectionRole, timeouts: ConnectionTimeouts, name: string): Redis {
  const options = { connectionName: name, ...connectionOptions(role, target.options, timeouts) };
  return target.url === undefined ? new Redis(options) : new Redis(target.url, options);
}

/**
 * Resolves once `redis` is ready, or rejects after `timeoutMs` (or at once when it was closed).
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new Error('connection closed'));
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`Redis not reachable within ${timeoutMs} ms (status: ${redis.status})`)), timeoutMs);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/** Closes a connection: QUIT when connected (bounded), else disconnect. Never rejects. */
export async function closeConnection(redis: Redis, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  } catch {
    /* closing anyway */
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
