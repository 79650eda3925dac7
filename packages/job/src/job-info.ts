/**
 * A received job as the worker's events, processor functions and the state recorder see it.
 * Shared here so that @partita/worker and @partita/state describe a job the same way.
 */
export interface JobInfo<TData = unknown> {
  /** The job's id (for a poison message: the id in its `partita` header, else `topic/partition@offset`). */
  id: string;
  /** The job's name (for a poison message: the name in its `partita` header, else `unknown`). */
  name: string;
  data: TData;
  queue: string;
  partition: number;
  offset: number;
  key: string | null;
  /** The current try, 1-based. */
  attempt: number;
  /** Epoch ms at enqueue time (0 when unknown). */
  enqueuedAt: number;
}
