// lua/reserve.lua against the local Redis: which ids it reserves, and the records it leaves.
import { RESERVE_SCRIPT } from '../../../src/redis/scripts';
import { useLuaQueue } from './lua-redis';

const NOW = 1_700_000_000_000;

describe('lua/reserve.lua', () => {
  const lua = useLuaQueue('reserve');

  test('a new id is reserved: a waiting hash marked reservedAt that expires after the TTL', async () => {
    expect(await lua.q.run(RESERVE_SCRIPT, String(NOW), '60000', 'a')).toEqual([1]);
    expect(await lua.redis.hgetall(lua.q.job('a'))).toEqual({ state: 'waiting', seq: '0', timestamp: String(NOW), reservedAt: String(NOW) });
    const ttl = await lua.redis.pttl(lua.q.job('a'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  test('an id twice in one call, or of an unfinished job, is a duplicate (0)', async () => {
    await lua.redis.hset(lua.q.job('busy'), 'state', 'active', 'seq', '5');
    expect(await lua.q.run(RESERVE_SCRIPT, String(NOW), '60000', 'a', 'a', 'busy')).toEqual([1, 0, 0]);
    expect(await lua.redis.hget(lua.q.job('busy'), 'state')).toBe('active');
    expect(await lua.redis.pttl(lua.q.job('busy'))).toBe(-1);
  });

  test('the id of a finished job is reserved again: its hash, set entry and logs are replaced', async () => {
    await lua.redis.hset(lua.q.job('done'), 'state', 'completed', 'returnvalue', '"x"');
    await lua.redis.zadd(lua.q.state('completed'), NOW - 1, 'done');
    await lua.redis.rpush(lua.q.logs('done'), 'line');
    await lua.redis.sadd(`${lua.q.base}:logged`, 'done');
    expect(await lua.q.run(RESERVE_SCRIPT, String(NOW), '60000', 'done')).toEqual([1]);
    expect(await lua.redis.hgetall(lua.q.job('done'))).toEqual({ state: 'waiting', seq: '0', timestamp: String(NOW), reservedAt: String(NOW) });
    expect(await lua.redis.zcard(lua.q.state('completed'))).toBe(0);
    expect(await lua.redis.exists(lua.q.logs('done'))).toBe(0);
    expect(await lua.redis.scard(`${lua.q.base}:logged`)).toBe(0);
  });

  test('a job that is only a compact record counts as completed: the record goes, the id is reserved', async () => {
    await lua.redis.hset(`${lua.q.base}:c`, 'compact', 'run\nwho\n\n');
    expect(await lua.q.run(RESERVE_SCRIPT, String(NOW), '60000', 'compact')).toEqual([1]);
    expect(await lua.redis.hexists(`${lua.q.base}:c`, 'compact')).toBe(0);
    expect(await lua.redis.hget(lua.q.job('compact'), 'state')).toBe('waiting');
  });
});
