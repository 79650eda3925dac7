import { StateUnavailableError } from '../errors';
import type { QueueKeys } from '../redis/keys';
import { validateJobId } from '../redis/keys';
import type { StoreConnections } from '../redis/store-connections';

/**
 * Reserves job ids before their jobs are produced, atomically (`lua/reserve.lua`): per id, true
 * when it is new (or its job finished) and now reserved, false when its job is known and not
 * finished. See `StateStore.reserveJobIds`.
 */
export async function reserveJobIds(connections: StoreConnections, keys: QueueKeys, ids: string[], reservationTtlMs: number): Promise<boolean[]> {
  ids.forEach((id) => validateJobId(id));
  if (ids.length === 0) return [];
  connections.assertOpen();
  const client = connections.client;
  // Once connected, a lost connection fails the call at once: ioredis would hold it through two
  // reconnect attempts (up to seconds), and the enqueuer can produce nothing without the answer.
  if (connections.clientWasReady && client.status !== 'ready') {
    throw new StateUnavailableError(`Redis state store unavailable: the connection to Redis is lost (${client.status}), reconnecting`);
  }
  const result = await connections.call(() => client.partitaReserve(keys.events, keys.base, String(Date.now()), String(reservationTtlMs), ...ids));
  return result.map((r) => Number(r) === 1);
}

/** Drops reservations whose jobs were not produced (`lua/release.lua`); resolves with how many. */
export async function releaseJobIds(connections: StoreConnections, keys: QueueKeys, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return Number(await connections.call(() => connections.client.partitaRelease(keys.events, keys.base, ...ids)));
}
