import { StateConfigError } from './errors';

/**
 * Where a job is in its life:
 * - `waiting`: enqueued, not started (or started by a worker that has not reported yet);
 * - `active`: a try is running;
 * - `retrying`: a try failed and another one follows after the backoff;
 * - `completed`: a try succeeded (`returnvalue` is set);
 * - `failed`: the tries are over and dead-lettering is disabled (`deadLetter: false`);
 * - `dead`: the tries are over and the job was written to its dead letter topic.
 */
export type JobState = 'waiting' | 'active' | 'retrying' | 'completed' | 'failed' | 'dead';

/** Every {@link JobState}, in life-cycle order. */
export const JOB_STATES: readonly JobState[] = ['waiting', 'active', 'retrying', 'completed', 'failed', 'dead'];

/** States a job does not leave (unless it is added again with the same id). */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'dead'];

/** Whether `value` names a {@link JobState}. */
export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/** Whether `state` is one a job does not leave: `completed`, `failed` or `dead`. */
export function isFinishedState(state: JobState): state is 'completed' | 'failed' | 'dead' {
  return state === 'completed' || state === 'failed' || state === 'dead';
}

/**
 * The ordering stamp of a state change, so that a change never overwrites a later one (a record
 * of the enqueuer arriving after the worker's, a retried write arriving late):
 * `waiting` 0, then per try `attempt * 4 + 1` active, `+ 2` retrying, `+ 3` finished.
 */
export function stateSeq(state: JobState, attempt: number): number {
  switch (state) {
    case 'waiting':
      return 0;
    case 'active':
      return attempt * 4 + 1;
    case 'retrying':
      return attempt * 4 + 2;
    default:
      return attempt * 4 + 3;
  }
}

/** Returns `states` when each is a {@link JobState}; else throws a {@link StateConfigError} naming the bad one. */
export function checkStates<S extends string>(states: S[]): S[] {
  for (const state of states) {
    if (!isJobState(state)) throw new StateConfigError('state', `unknown job state ${JSON.stringify(state)}; states: ${JOB_STATES.join(', ')}`);
  }
  return states;
}
