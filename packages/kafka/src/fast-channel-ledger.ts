import { peekEnvelopeId } from '@partita/job/wire';

/**
 * The ids of the fast-channel messages librdkafka may still hold, oldest first. That channel reports
 * failures only, so when partita gives up on its producer these are the jobs it names. Pruned when
 * the channel is seen idle or a barrier settles; the producer's watchdog settles messages a few
 * seconds old with a barrier, so memory stays at one reference per recent unsettled message.
 */
export class FastLedger {
  /** A message's id, or (for a message produced without one) its value, to read the id from if need be. */
  private ids: Array<string | Buffer | null> = [];
  /** How many messages were pruned from the front (or given up on) so far. */
  private dropped = 0;
  /** [accepted count, time] every watch tick: messages up to that count were produced by then. */
  private marks: Array<{ count: number; at: number }> = [];
  /** Failures librdkafka reported for messages still in the ledger: not reported twice on give-up. */
  readonly reported = new Set<string>();

  /** Messages handed to librdkafka since the producer channel started. */
  get accepted(): number {
    return this.dropped + this.ids.length;
  }

  get unsettled(): number {
    return this.ids.length;
  }

  push(idOrValue: string | Buffer | null): void {
    this.ids.push(idOrValue);
  }

  /** Every message up to the `count`-th accepted one is acknowledged or reported failed. */
  settle(count: number): void {
    const n = count - this.dropped;
    if (n <= 0) return;
    this.ids = n >= this.ids.length ? [] : this.ids.slice(n);
    this.dropped += n;
    while (this.marks.length > 0 && this.marks[0].count <= this.dropped) this.marks.shift();
    if (this.ids.length === 0) this.reported.clear();
  }

  mark(now: number): void {
    const last = this.marks[this.marks.length - 1];
    if (this.ids.length > 0 && (last === undefined || last.count < this.accepted)) this.marks.push({ count: this.accepted, at: now });
  }

  /** The latest time the oldest unsettled message can have been produced at (now when unknown). */
  oldestProducedBy(now: number): number {
    return this.marks[0]?.at ?? now;
  }

  /** Takes every unsettled id out (they are being given up on), minus those already reported. */
  takeAll(): Array<string | undefined> {
    const ids: Array<string | undefined> = [];
    for (const entry of this.ids) {
      const id = typeof entry === 'string' ? entry : entry === null ? undefined : peekEnvelopeId(entry);
      if (id === undefined || !this.reported.has(id)) ids.push(id);
    }
    this.settle(this.accepted);
    return ids;
  }
}
