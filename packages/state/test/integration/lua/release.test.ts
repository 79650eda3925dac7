// lua/release.lua against the local Redis: only reservations nobody recorded are dropped.
import { Redis } from 'ioredis';
import { RELEASE_SCRIPT } from '../../../src/redis/scripts';
import { luaQueue, LuaQueue, REDIS_URL } from './lua-redis';

describe('lua/release.lua', () => {
  let redis: Redis;
  let q: LuaQueue;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    q = luaQueue(redis, 'release');
  });
  afterEach(async () => {
    await q.cleanUp();
  });
  afterAll(async () => {
    await redis.quit();
  });

  test('drops reserved hashes, keeps recorded jobs and ignores unknown ids; answers how many it dropped', async () => {
    await redis.hset(q.job('reserved'), 'state', 'waiting', 'seq', '0', 'reservedAt', '1');
    await redis.hset(q.job('recorded'), 'state', 'waiting', 'seq', '0', 'name', 'email');
    expect(await q.run(RELEASE_SCRIPT, 'reserved', 'recorded', 'unknown')).toBe(1);
    expect(await redis.exists(q.job('reserved'))).toBe(0);
    expect(await redis.hgetall(q.job('recorded'))).toEqual({ state: 'waiting', seq: '0', name: 'email' });
  });

  test('with no ids it does nothing', async () => {
    expect(await q.run(RELEASE_SCRIPT)).toBe(0);
  });
});
