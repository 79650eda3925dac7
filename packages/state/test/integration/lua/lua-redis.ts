// What the Lua script tests share: a connection to the local Redis, a key base of each test's own,
// the scripts' calls as the store makes them (KEYS[1] the queue's event stream, ARGV[1] the base),
// and the removal of every key under the base afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface LuaQueue {
  redis: Redis;
  /** `<prefix>:{<queue>}`, unique per test. */
  base: string;
  events: string;
  job(id: string): string;
  state(state: string): string;
  logs(id: string): string;
  /** Runs a script with the queue's event stream as KEYS[1] and `argv` after the base. */
  run(script: string, ...argv: Array<string | Buffer>): Promise<unknown>;
  /** Deletes every key under the base; returns how many there were. */
  cleanUp(): Promise<number>;
}

/**
 * Registers the hooks every script test needs (one connection per file, a fresh key base per test,
 * its keys removed after it) and returns the current connection and queue.
 */
export function useLuaQueue(name: string): { readonly redis: Redis; readonly q: LuaQueue } {
  let redis: Redis | undefined;
  let q: LuaQueue | undefined;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    q = luaQueue(redis!, name);
  });
  afterEach(async () => {
    await q?.cleanUp();
  });
  afterAll(async () => {
    await redis?.quit();
  });
  return {
    get redis() {
      if (!redis) throw new Error('useLuaQueue: the connection exists only inside tests');
      return redis;
    },
    get q() {
      if (!q) throw new Error('useLuaQueue: the queue exists only inside tests');
      return q;
    },
  };
}

function luaQueue(redis: Redis, name: string): LuaQueue {
  const base = `partita-lua-test-${name}-${randomUUID().slice(0, 8)}:{q}`;
  return {
    redis,
    base,
    events: `${base}:events`,
    job: (id) => `${base}:j:${id}`,
    state: (state) => `${base}:s:${state}`,
    logs: (id) => `${base}:l:${id}`,
    run: (script, ...argv) => redis.eval(script, 1, `${base}:events`, base, ...argv),
    cleanUp: async () => {
      let removed = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) removed += await redis.del(...keys);
      } while (cursor !== '0');
      return removed;
    },
  };
}

/**
 * MessagePack of an array of string arrays, the form of the apply script's op list (ARGV 11),
 * written here from the format's definition rather than with the store's own writer.
 */
export function packOps(ops: string[][]): Buffer {
  const parts: Buffer[] = [arrayHeader(ops.length)];
  for (const op of ops) {
    parts.push(arrayHeader(op.length));
    for (const value of op) {
      const bytes = Buffer.from(value, 'utf8');
      parts.push(stringHeader(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

function arrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  const b = Buffer.alloc(5);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}

function stringHeader(n: number): Buffer {
  if (n < 32) return Buffer.from([0xa0 | n]);
  const b = Buffer.alloc(5);
  b[0] = 0xdb;
  b.writeUInt32BE(n, 1);
  return b;
}

/** The fields of every entry of a stream, in order. */
export async function streamFields(redis: Redis, key: string): Promise<string[][]> {
  const entries = (await redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, fields]) => fields);
}
