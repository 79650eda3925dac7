import type { EnqueueOptions, EnqueueResult } from '@partita/job';
import { StateUnavailableError } from '../errors';
import type { StateStore } from '../store';

/** A job as `Queue.add` / `addBulk` get it. */
export interface JobToAdd {
  name: string;
  data: unknown;
  opts?: EnqueueOptions;
}

/**
 * `Queue.add` / `addBulk` with state, in one call:
 * 1. jobs with an explicit `opts.jobId` are reserved first (`reserveJobIds`, atomic); a job whose
 *    id is known and unfinished (or repeated in the call) is not produced: its result is
 *    `{ id }` (BullMQ semantics: adding it again is a no-op that returns the existing id);
 * 2. `produce` gets the other jobs, in order, and must resolve with one result per job, in order
 *    (the enqueuer's `enqueueAll`); when it rejects, the reservations are released and the error
 *    is rethrown;
 * 3. the produced jobs are recorded as `waiting` (`recordWaiting`: buffered, never blocks, never
 *    fails the add), with partition and offset when the enqueuer knows them.
 *
 * Resolves with one result per input job, in input order. Rejects (before producing anything) with
 * a `StateUnavailableError` when explicit ids cannot be checked because Redis does not answer: at
 * once when the connection is known lost, else after `readTimeoutMs`. Jobs without a `jobId` need
 * no answer and are produced whether Redis answers or not (their `waiting` record is buffered).
 */
export async function addJobsWithState(
  store: Pick<StateStore, 'reserveJobIds' | 'releaseJobIds' | 'recordWaiting'>,
  queue: string,
  jobs: JobToAdd[],
  produce: (jobs: JobToAdd[]) => Promise<EnqueueResult[]>,
): Promise<EnqueueResult[]> {
  const explicit: number[] = [];
  jobs.forEach((job, i) => job.opts?.jobId !== undefined && explicit.push(i));
  const skipped = new Set<number>();
  const reserved: string[] = [];
  if (explicit.length > 0) {
    const ids = explicit.map((i) => jobs[i].opts!.jobId!);
    let fresh: boolean[];
    try {
      fresh = await store.reserveJobIds(queue, ids);
    } catch (error) {
      if (!(error instanceof StateUnavailableError)) throw error;
      const named = ids.length === 1 ? `job id ${JSON.stringify(ids[0])}` : `${ids.length} job ids (the first: ${JSON.stringify(ids[0])})`;
      throw new StateUnavailableError(
        `cannot add ${named} to ${queue}: a jobId is checked for duplicates in Redis, which does not answer (${error.message}). ` +
          'Nothing was produced: add it again once Redis is back, or without a jobId (no de-duplication).',
        { cause: error },
      );
    }
    explicit.forEach((index, k) => {
      if (fresh[k]) reserved.push(ids[k]);
      else skipped.add(index);
    });
  }
  const toProduce = jobs.filter((_, i) => !skipped.has(i));
  let produced: EnqueueResult[] = [];
  if (toProduce.length > 0) {
    try {
      produced = await produce(toProduce);
    } catch (error) {
      if (reserved.length > 0) await store.releaseJobIds(queue, reserved).catch(() => undefined);
      throw error;
    }
    store.recordWaiting(
      queue,
      toProduce.map((job, k) => ({
        id: produced[k].id,
        name: job.name,
        data: job.data,
        opts: job.opts === undefined ? undefined : { ...job.opts },
        key: job.opts?.key,
        partition: produced[k].partition,
        offset: produced[k].offset,
      })),
    );
  }
  const results: EnqueueResult[] = [];
  let next = 0;
  jobs.forEach((job, i) => results.push(skipped.has(i) ? { id: job.opts!.jobId! } : produced[next++]));
  return results;
}
