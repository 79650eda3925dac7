import { Fifo } from './fifo';

/**
 * The commit point of one partition: one past the highest offset below which every received job
 * has finished. Jobs finish out of order (virtual partitions, retries); the commit point only moves
 * over a contiguous finished prefix, so a crash never skips an unfinished job.
 */
export class OffsetTracker {
  private readonly pending = new Fifo<number>();
  /** Tracked offsets not finished yet (Kafka offsets can skip numbers: not every offset in range is tracked). */
  private readonly open = new Set<number>();
  private readonly finished = new Set<number>();
  private next: number | undefined;
  private last: number | undefined;

  /** True when `offset` is new: above every offset tracked so far (Kafka delivers in order). */
  accepts(offset: number): boolean {
    return this.last === undefined || offset > this.last;
  }

  /** Records a received offset; offsets must arrive in increasing order. */
  track(offset: number): void {
    if (!this.accepts(offset)) {
      throw new RangeError(`offset ${offset} arrived after ${this.last}: offsets must be tracked in increasing order`);
    }
    this.pending.push(offset);
    this.open.add(offset);
    this.last = offset;
    if (this.pending.length === 1) this.next = offset;
  }

  /** Marks an offset finished. Returns true when the commit point moved. Unknown offsets are ignored. */
  finish(offset: number): boolean {
    // Unknown (never tracked, e.g. inside a gap) and already finished offsets are ignored.
    if (!this.open.delete(offset)) return false;
    let moved = false;
    if (this.pending.peek() === offset) {
      // The lowest unfinished offset (the usual case): the commit point moves without a detour
      // through `finished`.
      this.pending.shift();
      this.next = offset + 1;
      moved = true;
    } else {
      this.finished.add(offset);
    }
    while (this.pending.length > 0 && this.finished.delete(this.pending.peek() as number)) {
      this.next = (this.pending.shift() as number) + 1;
      moved = true;
    }
    if (this.pending.length > 0) this.next = this.pending.peek();
    return moved;
  }

  /** The offset to commit (the next one to consume), or undefined before any offset was seen. */
  get commitPoint(): number | undefined {
    return this.next;
  }

  /** Offsets above the commit point that already finished, ascending. */
  finishedAbove(): number[] {
    return [...this.finished].sort((a, b) => a - b);
  }

  /** Received jobs not finished yet. */
  get unfinished(): number {
    return this.open.size;
  }
}
