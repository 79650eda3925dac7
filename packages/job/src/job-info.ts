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
  /** The job's message value as received (its encoded envelope); see {@link ENCODED_ENVELOPE}. */
  readonly [ENCODED_ENVELOPE]?: Buffer;
}

/**
 * The key under which a worker leaves a job's message value on its `JobInfo`: the job-state
 * recorder stores the job's data as these bytes instead of encoding the data once more (on the
 * worker's busiest thread). A symbol: no part of the job's JSON or keys.
 */
export const ENCODED_ENVELOPE: unique symbol = Symbol('partita.encodedEnvelope');
