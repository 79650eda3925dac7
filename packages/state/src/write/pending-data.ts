import { storableEnvelope } from '../codec';
import type { DataOp, StateOp } from './ops';

/**
 * The data of a chunk's started jobs, sent without it (their enqueuers most likely recorded
 * them), kept until Redis answers which of the jobs it created: those get their data then (see
 * `StateStore`). Kept as one Buffer of the jobs' message values and their ids, not as the ops: ops
 * kept for a round trip to Redis would hold each job's data and message value, which the garbage
 * collector would then copy. A job whose
 * message value cannot be stored as it is keeps its data object (rare: a worker that read a job
 * from its message always has one).
 */
export class PendingData {
  private constructor(
    private readonly queue: string,
    private readonly ids: readonly string[],
    /** Where each job's bytes end in `bytes` (they start where the previous job's end). */
    private readonly ends: readonly number[],
    private readonly bytes: Buffer,
    /** The data of the jobs without storable bytes, by their index in `ids`. */
    private readonly objects: ReadonlyMap<number, unknown> | undefined,
  ) {}

  /** The data of the `active` ops of `ops` that record data; undefined when none does. */
  static of(queue: string, ops: readonly StateOp[]): PendingData | undefined {
    const ids: string[] = [];
    const ends: number[] = [];
    const parts: Buffer[] = [];
    let objects: Map<number, unknown> | undefined;
    let total = 0;
    for (const op of ops) {
      if (op.kind !== 'active' || !op.withData) continue;
      const envelope = storableEnvelope(op.envelope);
      if (envelope !== undefined) {
        parts.push(envelope);
        total += envelope.length;
      } else {
        (objects ??= new Map()).set(ids.length, op.data);
      }
      ids.push(op.id);
      ends.push(total);
    }
    return ids.length === 0 ? undefined : new PendingData(queue, ids, ends, Buffer.concat(parts, total), objects);
  }

  /** Data ops for the jobs of `created` (ids the apply script reported), one per id, in the chunk's order. */
  dataOps(created: readonly string[]): DataOp[] {
    const wanted = new Set(created);
    const out: DataOp[] = [];
    this.ids.forEach((id, i) => {
      if (!wanted.delete(id)) return;
      if (this.objects?.has(i)) {
        out.push({ kind: 'data', queue: this.queue, id, data: this.objects.get(i) });
      } else {
        const envelope = this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
        out.push({ kind: 'data', queue: this.queue, id, data: undefined, envelope });
      }
    });
    return out;
  }
}
