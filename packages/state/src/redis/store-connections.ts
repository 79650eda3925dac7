import { Redis } from 'ioredis';
import { StateStoreClosedError, StateUnavailableError } from '../errors';
import type { ResolvedStateOptions } from '../options';
import { closeConnection, openConnection, RedisTarget, resolveRedisTarget, whenReady } from './connection';
import { firstWarningFor, persistenceWarning, readPersistence } from './persistence-check';
import { APPLY_SCRIPT, CLEAN_SCRIPT, RELEASE_SCRIPT, RESERVE_SCRIPT } from './scripts';

/** The store's scripts as commands of its connections (ioredis sends EVALSHA, EVAL on NOSCRIPT). */
export interface ScriptCommands {
  partitaApply(eventsKey: string, ...args: Array<string | Buffer>): Promise<unknown>;
  partitaReserve(eventsKey: string, ...args: string[]): Promise<number[]>;
  partitaRelease(eventsKey: string, ...args: string[]): Promise<number>;
  partitaClean(eventsKey: string, ...args: string[]): Promise<string[]>;
}

/**
 * The two connections of a store: `client` for reads and the awaited scripts (job ids, clean),
 * `writer` for the batched state writes, so that a slow batch never delays a read. Blocking
 * readers (stream XREAD) get connections of their own from {@link openBlocking}.
 */
export class StoreConnections {
  readonly target: RedisTarget;
  readonly client: Redis & ScriptCommands;
  readonly writer: Redis & ScriptCommands;
  /** Each turns true at its connection's first `ready` and stays so. */
  clientWasReady = false;
  writerWasReady = false;
  private closed = false;

  constructor(private readonly options: ResolvedStateOptions) {
    this.target = resolveRedisTarget(options.redis);
    this.client = this.open('client', 'partita:state');
    this.writer = this.open('writer', 'partita:state:writer');
    this.writer.on('ready', () => (this.writerWasReady = true));
    this.client.on('ready', () => {
      if (this.clientWasReady) return;
      this.clientWasReady = true;
      void this.checkPersistence();
    });
  }

  /** A connection of its own for a blocking reader. */
  openBlocking(name: string): Redis {
    const redis = openConnection(this.target, 'blocking', this.options, name);
    redis.on('error', () => undefined);
    return redis;
  }

  /** Resolves once both connections are ready; rejects after `timeoutMs`. */
  async whenReady(timeoutMs: number): Promise<void> {
    this.assertOpen();
    await Promise.all([whenReady(this.client, timeoutMs), whenReady(this.writer, timeoutMs)]);
  }

  assertOpen(): void {
    if (this.closed) throw new StateStoreClosedError('the state store was closed');
  }

  /** From now on, calls fail with a {@link StateStoreClosedError}. */
  markClosed(): void {
    this.closed = true;
  }

  /** Runs a call on `client`; connection failures become a {@link StateUnavailableError}. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (error) {
      if (isReplyError(error)) throw error;
      throw new StateUnavailableError(`Redis state store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return Promise.all([closeConnection(this.client), closeConnection(this.writer)]).then(() => undefined);
  }

  private open(role: 'client' | 'writer', name: string): Redis & ScriptCommands {
    const redis = openConnection(this.target, role, this.options, name);
    redis.on('error', () => undefined); // outages are reported by the write buffer and by rejected reads
    redis.defineCommand('partitaApply', { numberOfKeys: 1, lua: APPLY_SCRIPT });
    redis.defineCommand('partitaReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
    redis.defineCommand('partitaRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('partitaClean', { numberOfKeys: 1, lua: CLEAN_SCRIPT });
    return redis as Redis & ScriptCommands;
  }

  /**
   * Warns (once per process and Redis) when Redis keeps nothing over a restart: job state would be
   * lost silently. One CONFIG GET (or INFO) at the first connection; never fails the store.
   */
  private async checkPersistence(): Promise<void> {
    const logger = this.options.logger;
    if (!logger) return;
    const where = describeTarget(this.target);
    const warning = persistenceWarning(await readPersistence(this.client), where);
    if (warning !== undefined && firstWarningFor(where)) logger.warn(warning);
  }
}

/** An error Redis answered (the command was wrong), as opposed to a lost or slow connection. */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Where a store's Redis is, for a log line: host and port, never credentials. */
function describeTarget(target: RedisTarget): string {
  if (target.url !== undefined) {
    try {
      const url = new URL(target.url);
      return `${url.hostname}:${url.port || '6379'}${url.pathname.length > 1 ? url.pathname : ''}`;
    } catch {
      return 'the configured URL';
    }
  }
  const o = target.options;
  return o.path ?? `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
