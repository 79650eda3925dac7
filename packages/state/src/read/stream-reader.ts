import { Redis } from 'ioredis';

/** One raw stream entry: its id and its field/value list. */
export type StreamEntry = [id: string, fields: string[]];

export interface StreamReaderOptions {
  key: string;
  /** Read entries after this id; `$` means after the last entry when the reader starts. */
  startId: string;
  /** How long one XREAD blocks, in ms. */
  blockMs: number;
  /** Entries per XREAD at most. */
  count: number;
  onEntries(entries: StreamEntry[]): void;
  /** An XREAD failed; the reader retries from its last id after a backoff. */
  onError(error: Error): void;
}

/**
 * Follows a Redis stream with XREAD BLOCK on a connection of its own, from a start id on,
 * resuming from the last id it delivered after a lost connection.
 */
export class StreamReader {
  /** The id of the last entry delivered (or the resolved start id). */
  lastId: string;
  /** Resolves once the start position is known (`$` resolved), so nothing later can be missed. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly options: StreamReaderOptions,
  ) {
    this.lastId = options.startId;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reading and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.lastId === '$') {
          const last = await this.redis.xrevrange(this.options.key, '+', '-', 'COUNT', 1);
          this.lastId = last.length > 0 ? last[0][0] : '0-0';
        }
        this.markReady();
        const result = await this.redis.xread('COUNT', this.options.count, 'BLOCK', this.options.blockMs, 'STREAMS', this.options.key, this.lastId);
        failures = 0;
        if (this.stopped || !result) continue;
        for (const [, entries] of result) {
          if (entries.length === 0) continue;
          this.lastId = entries[entries.length - 1][0];
          this.options.onEntries(entries);
        }
      } catch (error) {
        if (this.stopped) break;
        failures++;
        this.options.onError(error instanceof Error ? error : new Error(String(error)));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(100 * 2 ** Math.min(failures, 5), 2000));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
