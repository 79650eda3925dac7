import type { ActiveOp } from './ops';

/**
 * Joining a try's completion to its start while the start still waits to be encoded: the
 * `completed` op is then not buffered at all, and the start is written as one change with it
 * (`AC`), which halves the work in Redis for jobs that finish quickly.
 *
 * The recorder reaches the start through the try's `JobInfo` (the worker passes the same object
 * to `active` and `completed`), so no map from job id to op is needed: such a map, cleared and
 * regrown every write interval, would give the garbage collector work on the hot path. Only the job's latest op may be joined: any other op of the job recorded in
 * between ({@link endJoin}) keeps the two apart, so that the job's changes stay in order.
 */

/** Completes `start` in place when it may still be joined; false when it may not (record a `completed` op). */
export function joinStart(start: ActiveOp, at: number, result: unknown): boolean {
  if (start.joinable !== true) return false;
  start.joinable = false;
  start.completedAt = at;
  start.result = result;
  return true;
}

/** No completion joins `start` any more: it was encoded, or a later op of its job was recorded. */
export function endJoin(start: ActiveOp): void {
  start.joinable = false;
}
