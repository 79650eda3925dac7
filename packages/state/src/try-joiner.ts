import type { ActiveOp, StateOp } from './ops';

/**
 * Joins a try's completion to its start while the start still waits to be encoded: the
 * `completed` op is then not buffered at all, and the `active` op is written as one change
 * (`AC`), which halves the work in Redis and in the buffer for jobs that finish quickly.
 *
 * Only the latest op of a job may be joined: any other op of the job (progress, a log line)
 * recorded in between keeps the two apart, so that the job's changes stay in order.
 */
export class TryJoiner {
  /**
   * Job id → its `active` op, while it waits to be sent and is the job's latest op; undefined
   * once it may no longer be joined. Entries are overwritten rather than deleted, and the map is
   * cleared when the waiting ops are sealed: deleting from a Map one entry per job made V8 shrink
   * and re-grow its table over and over.
   */
  private readonly waiting = new Map<string, ActiveOp | undefined>();

  /**
   * Takes an op as it is recorded. Returns true when it was joined to a waiting `active` op (do
   * not buffer it), false when it must be buffered.
   */
  offer(op: StateOp): boolean {
    if (op.kind === 'active') {
      this.waiting.set(op.id, op);
      return false;
    }
    if (op.kind === 'completed') return this.join(op.queue, op.id, op.attempt, op.at, op.returnvalue);
    if (this.waiting.size > 0 && this.waiting.get(op.id) !== undefined) this.waiting.set(op.id, undefined);
    return false;
  }

  /** A completion as its fields (see {@link offer}): true when it joined its waiting start. */
  join(queue: string, id: string, attempt: number, at: number, result: unknown): boolean {
    if (this.waiting.size === 0) return false;
    const active = this.waiting.get(id);
    if (active === undefined) return false;
    this.waiting.set(id, undefined);
    if (active.queue !== queue || active.attempt !== attempt) return false;
    active.completedAt = at;
    active.result = result;
    return true;
  }

  /** Whether `op` is its job's latest op and may still be joined by its completion. */
  joinable(op: ActiveOp): boolean {
    return this.waiting.get(op.id) === op;
  }

  /**
   * The waiting ops were sealed (encoded): no completion joins them any more, except the ones
   * `keptBack` for the next seal.
   */
  sealed(keptBack?: readonly ActiveOp[]): void {
    if (this.waiting.size > 0) this.waiting.clear();
    if (keptBack) for (const op of keptBack) this.waiting.set(op.id, op);
  }
}
