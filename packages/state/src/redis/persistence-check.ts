/** What a Redis says about keeping its data over a restart. */
export interface Persistence {
  /** true: AOF or RDB snapshots are on; false: neither (state is lost on restart); undefined: could not tell. */
  persistent: boolean | undefined;
  /** The settings read, e.g. `appendonly no, save ""`. */
  detail: string;
}

/** The two commands the check needs (an ioredis client has them). */
export interface PersistenceSource {
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
  info(section: string): Promise<string>;
}

/**
 * Asks Redis whether it persists its data: `CONFIG GET appendonly` and `save`, or, where CONFIG is
 * disabled (as on several managed services), `INFO persistence` (`aof_enabled`, `rdb_saves`). Never
 * rejects: a Redis that says nothing is `persistent: undefined`.
 */
export async function readPersistence(redis: PersistenceSource): Promise<Persistence> {
  try {
    const [appendonly, save] = await Promise.all([configValue(redis, 'appendonly'), configValue(redis, 'save')]);
    if (appendonly !== undefined && save !== undefined) {
      return { persistent: appendonly === 'yes' || save.trim() !== '', detail: `appendonly ${appendonly}, save ${JSON.stringify(save)}` };
    }
  } catch {
    /* CONFIG disabled or renamed: ask INFO */
  }
  try {
    const info = await redis.info('persistence');
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const aof = field('aof_enabled');
    const rdbSaves = field('rdb_saves');
    if (aof === '1' || (rdbSaves !== undefined && Number(rdbSaves) > 0))
      return { persistent: true, detail: `aof_enabled ${aof}, rdb_saves ${rdbSaves ?? '?'}` };
    // No AOF and no snapshot yet: snapshots may still be configured, so this does not tell.
    return { persistent: undefined, detail: `aof_enabled ${aof ?? '?'}, rdb_saves ${rdbSaves ?? '?'}` };
  } catch {
    return { persistent: undefined, detail: 'CONFIG and INFO unavailable' };
  }
}

async function configValue(redis: PersistenceSource, parameter: string): Promise<string | undefined> {
  const reply = await redis.config('GET', parameter);
  // ioredis answers CONFIG GET with a flat [name, value] list.
  return Array.isArray(reply) && reply.length >= 2 && typeof reply[1] === 'string' ? reply[1] : undefined;
}

/** The warning for a Redis that keeps nothing over a restart; undefined when it persists or cannot tell. */
export function persistenceWarning(persistence: Persistence, where: string): string | undefined {
  if (persistence.persistent !== false) return undefined;
  return (
    `[partita:state] Redis at ${where} has no persistence (${persistence.detail}): job state (ids reserved for de-duplication, ` +
    `results, counts, events) is lost when it restarts, while the jobs themselves are safe in Kafka. ` +
    `For state that survives a restart, enable AOF (appendonly yes) or RDB snapshots (save) on it.`
  );
}

/** Redis targets already warned about in this process: one warning per Redis, not one per store. */
const warned = new Set<string>();

/** True the first time `where` is passed (then false): for one warning per process and Redis. */
export function firstWarningFor(where: string): boolean {
  if (warned.has(where)) return false;
  warned.add(where);
  return true;
}
