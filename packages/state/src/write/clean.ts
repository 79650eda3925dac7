import { StateConfigError } from '../errors';
import type { QueueKeys } from '../redis/keys';
import type { StoreConnections } from '../redis/store-connections';
import { checkStates, JobState } from '../states';

/** Jobs one `lua/clean.lua` call removes at most: a script call blocks Redis while it runs. */
const CLEAN_CHUNK = 1000;

/**
 * Removes jobs of `state` that entered it more than `graceMs` ago, at most `limit` (0: all), in
 * script calls of up to {@link CLEAN_CHUNK} jobs. See `StateStore.clean`.
 */
export async function cleanJobs(connections: StoreConnections, keys: QueueKeys, graceMs: number, limit: number, state: JobState): Promise<string[]> {
  checkStates([state]);
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new StateConfigError('graceMs', `graceMs must be a number >= 0, got ${graceMs}`);
  if (!Number.isInteger(limit) || limit < 0) throw new StateConfigError('limit', `limit must be an integer >= 0 (0: no limit), got ${limit}`);
  const maxScore = String(Date.now() - graceMs);
  const removed: string[] = [];
  for (;;) {
    const chunk = limit === 0 ? CLEAN_CHUNK : Math.min(CLEAN_CHUNK, limit - removed.length);
    if (chunk <= 0) break;
    const ids = await connections.call(() => connections.client.partitaClean(keys.events, keys.base, state, maxScore, String(chunk)));
    removed.push(...ids);
    if (ids.length < chunk) break;
  }
  return removed;
}
