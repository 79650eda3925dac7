import { Redis } from 'ioredis';
import { openConnection, RedisConnection, resolveRedisTarget } from '../redis/connection';
import { StateConfigError } from '../errors';
import { parseStreamEntry, QueueEventMap } from './events-stream';
import { DEFAULT_PREFIX, QueueKeys } from '../redis/keys';
import { StreamReader } from './stream-reader';
import { TypedEmitter } from '@partita/job/emitter';

/** Options of {@link QueueEvents}. */
export interface QueueEventsOptions {
  /**
   * Where Redis is: a `redis://` URL or ioredis options.
   * @defaultValue env `PARTITA_REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisConnection;
  /**
   * The key prefix the store writes with.
   * @defaultValue 'partita'
   */
  prefix?: string;
  /**
   * Deliver the events after this stream id: `$` for only new events, `0` for every event still
   * in the stream, or the `lastEventId` of an earlier `QueueEvents` to resume where it stopped.
   * @defaultValue '$'
   */
  lastEventId?: string;
  /**
   * How long one XREAD waits for events, in ms.
   * @defaultValue 5000
   */
  blockMs?: number;
  /**
   * Connect timeout, in ms.
   * @defaultValue 5000
   */
  connectTimeoutMs?: number;
}

/** The events of {@link QueueEvents}: each queue event with its stream id, plus `error`. */
export type QueueEventsListeners = { [K in keyof QueueEventMap]: [args: QueueEventMap[K], eventId: string] } & {
  /** Reading failed (it is retried from `lastEventId`), or a listener threw. */
  error: [error: Error];
};

/**
 * The events of a queue, from every process, BullMQ style, read from the queue's Redis stream
 * on a connection of its own (XREAD BLOCK):
 *
 * ```ts
 * const events = new QueueEvents('emails', { redis: 'redis://127.0.0.1:6379' });
 * events.on('completed', ({ jobId, returnvalue }) => console.log(jobId, returnvalue));
 * events.on('failed', ({ jobId, failedReason }) => console.error(jobId, failedReason));
 * // later: resume where this one stopped
 * const again = new QueueEvents('emails', { lastEventId: events.lastEventId });
 * ```
 *
 * Reading starts at once; `waitUntilReady()` resolves when the start position is fixed (events
 * after that are delivered). The stream is capped (`eventsMaxLen` of the store), so resuming
 * from an id older than the stream's first entry delivers from the first entry on.
 */
export class QueueEvents extends TypedEmitter<QueueEventsListeners> {
  private readonly reader: StreamReader;
  private readonly connection: Redis;
  private closing: Promise<void> | undefined;

  constructor(
    readonly queue: string,
    options: QueueEventsOptions = {},
  ) {
    super();
    const keys = new QueueKeys(options.prefix ?? DEFAULT_PREFIX, queue);
    const startId = options.lastEventId ?? '$';
    if (typeof startId !== 'string' || !/^(\$|\d+(-\d+)?)$/.test(startId)) {
      throw new StateConfigError('lastEventId', `lastEventId must be '$', '0' or a stream id like '1700000000000-0', got ${JSON.stringify(startId)}`);
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.connection = openConnection(
      resolveRedisTarget(options.redis),
      'blocking',
      { connectTimeoutMs, readTimeoutMs: connectTimeoutMs, writeTimeoutMs: connectTimeoutMs },
      `partita:state:events:${queue}`,
    );
    this.connection.on('error', () => undefined); // read failures are reported by the reader
    this.reader = new StreamReader(this.connection, {
      key: keys.events,
      startId,
      blockMs: options.blockMs ?? 5000,
      count: 500,
      onEntries: (entries) => {
        for (const [eventId, fields] of entries) {
          for (const event of parseStreamEntry(eventId, fields)) {
            try {
              // tsc cannot pair a union of names with the union of their arguments; the lint's program types it looser
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
              this.emit(event.name, event.args as never, eventId);
            } catch (error) {
              this.reportError(error instanceof Error ? error : new Error(String(error)));
            }
          }
        }
      },
      onError: (error) => this.reportError(error),
    });
    this.reader.start();
  }

  /** The id of the last event delivered: pass it as `lastEventId` to resume after it. */
  get lastEventId(): string {
    return this.reader.lastId;
  }

  /** Resolves once the start position is fixed: every event after it will be delivered. */
  waitUntilReady(): Promise<void> {
    return this.reader.ready;
  }

  /** Stops reading and closes the connection. */
  close(): Promise<void> {
    this.closing ??= this.reader.stop();
    return this.closing;
  }

  private reportError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
