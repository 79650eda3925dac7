import { stateModule } from './state-module';
import type { StateStore, StateStoreOptions } from '@partita/state';

/** A Queue's state option: a store, options to create one, or false to disable (even with env). */
export type QueueStateOption = StateStore | StateStoreOptions | false;

/**
 * The state store of a Queue, if any: the given store, one created from options, or one created
 * from env `PARTITA_REDIS_URL`. @partita/state (and ioredis) load only when state is enabled.
 */
export function openQueueState(option: QueueStateOption | undefined): { store: StateStore; owned: boolean } | undefined {
  if (option === false) return undefined;
  if (option === undefined && !process.env.PARTITA_REDIS_URL) return undefined;
  const state = stateModule();
  if (option instanceof state.StateStore) return { store: option, owned: false };
  return { store: state.createStateStore(option ?? {}), owned: true };
}
