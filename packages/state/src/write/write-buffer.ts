import { TypedEmitter } from '@partita/job/emitter';

/** How a {@link WriteBuffer} batches, retries and bounds its items. */
export interface WriteBufferOptions<T = unknown> {
  /**
   * Items waiting at most (by weight); past it the oldest waiting ones are dropped. Batches in
   * flight come on top until they are answered (at most `maxInFlight` × `maxBatch`): they cannot be
   * taken back, and dropping newer items in their place would lose the newest writes. A batch
   * that fails waits again, at the front, and the bound then drops the oldest.
   */
  maxBuffered: number;
  /** Items per send (by weight; at least one item). */
  maxBatch: number;
  /**
   * How many writes an item stands for (e.g. an encoded chunk of several): bounds, batches and
   * drop counts are in these units.
   * @defaultValue every item weighs 1
   */
  weigh?: (item: T) => number;
  /**
   * Sends in flight at once (in order on one connection, so Redis applies them in order); more
   * than one lets the next batch be prepared while Redis works on the previous one.
   */
  maxInFlight: number;
  /**
   * Whether a send can go now. When it says no, nothing is taken from the buffer (so the newest
   * writes are the ones kept under the bound) and the attempt counts as a failed send.
   */
  isReady?: () => boolean;
  /** How long an item may wait for more to join its batch, in ms (0: send on the next tick). */
  flushIntervalMs: number;
  /** First retry delay after a failed send, doubled per failure up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
}

/** What a send reports: the items to send again (a partial failure) and why. */
export interface SendResult<T> {
  failed: T[];
  error?: Error;
}

/** Sends a batch; rejects (or reports `failed` items) when it must be retried. */
export type SendBatch<T> = (batch: T[]) => Promise<SendResult<T>>;

export interface WriteBufferEvents {
  /** A send failed after the previous one succeeded: writes are buffered and retried. */
  degraded: [error: Error];
  /** A send succeeded after failures. `dropped` counts the items dropped while degraded. */
  recovered: [info: { downMs: number; dropped: number }];
  /** Items were dropped because the buffer was full. */
  dropped: [count: number];
}

/**
 * A bounded FIFO of writes, sent in batches by one sender at a time (so writes are applied in the
 * order they were pushed), retried with exponential backoff after a failure. `push` never blocks
 * and never throws: when Redis is away longer than the buffer lasts, the oldest writes are
 * dropped and counted.
 */
export class WriteBuffer<T> extends TypedEmitter<WriteBufferEvents> {
  /** Weight of the items waiting (`items` from `head`). */
  private waitingWeight = 0;
  private readonly weigh: (item: T) => number;
  /** Items dropped since creation. */
  dropped = 0;
  private items: T[] = [];
  /** Index of the first waiting item in `items` (dropping and taking advance it: O(1)). */
  private head = 0;
  /** Weight of the items in flight. */
  private inFlight = 0;
  /** Sends in flight. */
  private sending = 0;
  private sendSeq = 0;
  /** Failed batches of the sends in flight, by send number, requeued in order once all are back. */
  private failedBatches = new Map<number, T[]>();
  private lastError: Error | undefined;
  private timer: { cancel(): void } | undefined;
  private failures = 0;
  private degradedSince: number | undefined;
  private droppedAtDegrade = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly send: SendBatch<T>,
    private readonly options: WriteBufferOptions<T>,
  ) {
    super();
    this.weigh = options.weigh ?? (() => 1);
  }

  /** Weight waiting or in flight. */
  get size(): number {
    return this.waitingWeight + this.inFlight;
  }

  /** True while sends fail (between `degraded` and `recovered`). */
  get degraded(): boolean {
    return this.degradedSince !== undefined;
  }

  push(item: T): void {
    if (this.closed) {
      this.drop(this.weigh(item));
      return;
    }
    this.items.push(item);
    this.waitingWeight += this.weigh(item);
    const over = this.waitingWeight - this.options.maxBuffered;
    if (over > 0) this.dropOldest(over);
    this.schedule();
  }

  /**
   * Sends what is buffered now and resolves once the buffer is empty (true), or after
   * `timeoutMs` with writes still buffered (false). Never rejects.
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    // One attempt now, even while degraded (Redis may be back); the backoff goes on after it.
    if (this.sending === 0) this.sendSoon(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve(this.size === 0);
      }, timeoutMs);
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(waiter);
    });
  }

  /** Tries a send now (e.g. the connection is back), without waiting for the backoff. */
  kick(): void {
    if (this.closed || this.sending > 0 || this.size === 0) return;
    this.sendSoon(0);
  }

  /** Stops accepting items; what is buffered is dropped unless flushed first. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    const left = this.waitingWeight;
    this.items = [];
    this.head = 0;
    this.waitingWeight = 0;
    if (left > 0) this.drop(left);
  }

  /** Drops the oldest waiting items until at least `weight` is dropped (or none waits). */
  private dropOldest(weight: number): void {
    let dropped = 0;
    while (dropped < weight && this.head < this.items.length) dropped += this.weigh(this.items[this.head++]);
    if (dropped === 0) return;
    this.waitingWeight -= dropped;
    this.compact();
    this.drop(dropped);
  }

  private drop(n: number): void {
    this.dropped += n;
    this.emit('dropped', n);
  }

  /**
   * Lets go of the items before `head`: items can be large (encoded chunks of a few hundred kB),
   * and a thousand of them kept until a rare compaction held tens of MB, which made the garbage
   * collector work much harder.
   */
  private compact(): void {
    if (this.head === 0) return;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private schedule(): void {
    if (this.timer || this.closed || this.failedBatches.size > 0 || this.items.length - this.head === 0) return;
    if (this.sending >= this.options.maxInFlight || (this.failures > 0 && this.sending > 0)) return;
    if (this.failures > 0) {
      const delay = Math.min(this.options.retryMinMs * 2 ** (this.failures - 1), this.options.retryMaxMs);
      this.sendSoon(delay);
    } else {
      this.sendSoon(this.items.length - this.head >= this.options.maxBatch ? 0 : this.options.flushIntervalMs);
    }
  }

  private sendSoon(delayMs: number): void {
    this.timer?.cancel();
    const fire = () => {
      this.timer = undefined;
      void this.sendNext();
    };
    if (delayMs <= 0) {
      const handle = setImmediate(fire);
      this.timer = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(fire, delayMs);
      this.timer = { cancel: () => clearTimeout(handle) };
    }
  }

  private async sendNext(): Promise<void> {
    if (this.closed || this.sending >= this.options.maxInFlight) return;
    if (this.options.isReady && !this.options.isReady()) {
      if (this.sending === 0 && this.size > 0) {
        this.failures++;
        this.markDegraded(new Error('Redis is not connected'));
        this.schedule();
      }
      return;
    }
    let end = this.head;
    let weight = 0;
    while (end < this.items.length && (weight === 0 || weight < this.options.maxBatch)) weight += this.weigh(this.items[end++]);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    this.waitingWeight -= weight;
    this.compact();
    if (batch.length === 0) {
      if (this.size === 0) this.settleIdle();
      return;
    }
    const seq = this.sendSeq++;
    this.sending++;
    this.inFlight += weight;
    // Another batch may go out while this one is in flight.
    this.schedule();
    let failed: T[] = [];
    let error: Error | undefined;
    try {
      const result = await this.send(batch);
      failed = result.failed;
      error = result.error;
    } catch (caught) {
      failed = batch;
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
    this.sending--;
    this.inFlight -= weight;
    if (failed.length > 0) {
      this.failedBatches.set(seq, failed);
      this.lastError = error ?? new Error('state write failed');
    }
    if (this.sending === 0 && this.failedBatches.size > 0) this.requeueFailed();
    else if (failed.length === 0 && this.failedBatches.size === 0) this.succeeded();
    if (this.size === 0) this.settleIdle();
    else this.schedule();
  }

  /** Puts the failed batches back at the front, in the order they were sent; counts a failure. */
  private requeueFailed(): void {
    const batches = [...this.failedBatches.entries()].sort(([a], [b]) => a - b).map(([, items]) => items);
    this.failedBatches.clear();
    this.failures++;
    const failed = batches.flat();
    let failedWeight = 0;
    for (const item of failed) failedWeight += this.weigh(item);
    if (this.closed) {
      this.drop(failedWeight);
    } else {
      this.items = failed.concat(this.items.slice(this.head));
      this.head = 0;
      this.waitingWeight += failedWeight;
      const over = this.waitingWeight - this.options.maxBuffered;
      if (over > 0) this.dropOldest(over);
    }
    this.markDegraded(this.lastError ?? new Error('state write failed'));
  }

  private markDegraded(error: Error): void {
    if (this.degradedSince !== undefined) return;
    this.degradedSince = Date.now();
    this.droppedAtDegrade = this.dropped;
    this.emit('degraded', error);
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.degradedSince !== undefined) {
      const info = { downMs: Date.now() - this.degradedSince, dropped: this.dropped - this.droppedAtDegrade };
      this.degradedSince = undefined;
      this.emit('recovered', info);
    }
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
