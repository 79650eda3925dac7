import type { StateRecorder, StateStore, StateStoreOptions } from '@partita/state';
import type { WorkerEventSource } from '@partita/state/recorder';
import { StateModuleMissingError } from './errors';

type StateModule = typeof import('@partita/state');

/** @partita/state, loaded on first use: it is an optional peer dependency (it brings ioredis). */
function stateModule(): StateModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@partita/state') as StateModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'@partita/state'")) {
      throw new StateModuleMissingError("the worker's state option (--redis)", error);
    }
    throw error;
  }
}

/**
 * Attaches the job-state recorder when state is enabled (option or env `PARTITA_REDIS_URL`).
 * @partita/state (and ioredis) load only then; without it installed, this throws a
 * {@link StateModuleMissingError}. The recorder listens to the worker's events and never blocks or
 * fails job processing.
 */
export function openWorkerState(
  worker: WorkerEventSource,
  option: StateStore | StateStoreOptions | false | undefined,
): { recorder: StateRecorder; store: StateStore; owned: boolean } | undefined {
  if (option === false) return undefined;
  if (option === undefined && !process.env.PARTITA_REDIS_URL) return undefined;
  const state = stateModule();
  const owned = !(option instanceof state.StateStore);
  const store = option instanceof state.StateStore ? option : state.createStateStore(option ?? {});
  return { recorder: state.attachStateRecorder(worker, store), store, owned };
}
