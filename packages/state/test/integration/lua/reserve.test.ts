// lua/reserve.lua against the local Redis: which ids it reserves, and the records it leaves.
import { Redis } from 'ioredis';
import { RESERVE_SCRIPT } from '../../../src/redis/scripts';
import { luaQueue, LuaQueue, REDIS_URL } from './lua-redis';

const NOW = 1_700_000_000_000;

describe('lua/reserve.lua', () => {
  let redis: Redis;
  let q: LuaQueue;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    q = luaQueue(redis, 'reserve');
  });
  afterEach(async () => {
    await q.cleanUp();
  });
  afterAll(async () => {
    await redis.quit();
  });

  test('a new id is reserved: a waiting hash marked reservedAt that expires after the TTL', async () => {
    expect(await q.run(RESERVE_SCRIPT, String(NOW), '60000', 'a')).toEqual([1]);
    expect(await redis.hgetall(q.job('a'))).toEqual({ state: 'waiting', seq: '0', timestamp: String(NOW), reservedAt: String(NOW) });
    const ttl = await redis.pttl(q.job('a'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  test('an id twice in one call, or of an unfinished job, is a duplicate (0)', async () => {
    await redis.hset(q.job('busy'), 'state', 'active', 'seq', '5');
    expect(await q.run(RESERVE_SCRIPT, String(NOW), '60000', 'a', 'a', 'busy')).toEqual([1, 0, 0]);
    expect(await redis.hget(q.job('busy'), 'state')).toBe('active');
    expect(await redis.pttl(q.job('busy'))).toBe(-1);
  });

  test('the id of a finished job is reserved again: its hash, set entry and logs are replaced', async () => {
    await redis.hset(q.job('done'), 'state', 'completed', 'returnvalue', '"x"');
    await redis.zadd(q.state('completed'), NOW - 1, 'done');
    await redis.rpush(q.logs('done'), 'line');
    await redis.sadd(`${q.base}:logged`, 'done');
    expect(await q.run(RESERVE_SCRIPT, String(NOW), '60000', 'done')).toEqual([1]);
    expect(await redis.hgetall(q.job('done'))).toEqual({ state: 'waiting', seq: '0', timestamp: String(NOW), reservedAt: String(NOW) });
    expect(await redis.zcard(q.state('completed'))).toBe(0);
    expect(await redis.exists(q.logs('done'))).toBe(0);
    expect(await redis.scard(`${q.base}:logged`)).toBe(0);
  });

  test('a job that is only a compact record counts as completed: the record goes, the id is reserved', async () => {
    await redis.hset(`${q.base}:c`, 'compact', 'run\nwho\n\n');
    expect(await q.run(RESERVE_SCRIPT, String(NOW), '60000', 'compact')).toEqual([1]);
    expect(await redis.hexists(`${q.base}:c`, 'compact')).toBe(0);
    expect(await redis.hget(q.job('compact'), 'state')).toBe('waiting');
  });
});
