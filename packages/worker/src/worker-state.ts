import type { StateRecorder, StateStore, StateStoreOptions } from '@partita/state';
import type { WorkerEventSource } from '@partita/state/recorder';

/**
 * Attaches the job-state recorder when state is enabled (option or env `PARTITA_REDIS_URL`).
 * @partita/state (and ioredis) load only then. The recorder listens to the worker's events and
 * never blocks or fails job processing.
 */
export function openWorkerState(
  worker: WorkerEventSource,
  option: StateStore | StateStoreOptions | false | undefined,
): { recorder: StateRecorder; store: StateStore; owned: boolean } | undefined {
  if (option === false) return undefined;
  if (option === undefined && !process.env.PARTITA_REDIS_URL) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require('@partita/state') as typeof import('@partita/state');
  const owned = !(option instanceof state.StateStore);
  const store = option instanceof state.StateStore ? option : state.createStateStore(option ?? {});
  return { recorder: state.attachStateRecorder(worker, store), store, owned };
}
