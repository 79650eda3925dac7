import { StateModuleMissingError } from './errors';

type StateModule = typeof import('@partita/state') & typeof import('@partita/state/enqueue');
let loaded: StateModule | undefined;

/** @partita/state, loaded on first use: it is an optional peer dependency (it brings ioredis). */
export function stateModule(): StateModule {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = { ...require('@partita/state'), ...require('@partita/state/enqueue') } as StateModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'@partita/state'")) {
      throw new StateModuleMissingError("the Queue's state option", error);
    }
    throw error;
  }
  return loaded;
}
