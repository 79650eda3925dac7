// lua/clean.lua against the local Redis: the jobs of one state older than a score, with every
// record they have (hash, compact or completion record, logs), up to a limit.
import { Redis } from 'ioredis';
import { CLEAN_SCRIPT } from '../../../src/redis/scripts';
import { luaQueue, LuaQueue, REDIS_URL } from './lua-redis';

describe('lua/clean.lua', () => {
  let redis: Redis;
  let q: LuaQueue;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    q = luaQueue(redis, 'clean');
  });
  afterEach(async () => {
    await q.cleanUp();
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function completed(id: string, score: number): Promise<void> {
    await redis.hset(q.job(id), 'state', 'completed');
    await redis.zadd(q.state('completed'), score, id);
  }

  test('removes the jobs whose score is at most the bound, with their hashes and logs; returns their ids', async () => {
    await completed('a', 100);
    await completed('b', 200);
    await completed('c', 300);
    await redis.rpush(q.logs('a'), 'line');
    await redis.sadd(`${q.base}:logged`, 'a');
    expect(await q.run(CLEAN_SCRIPT, 'completed', '200', '10')).toEqual(['a', 'b']);
    expect(await redis.zrange(q.state('completed'), 0, -1)).toEqual(['c']);
    expect(await redis.exists(q.job('a'), q.job('b'), q.logs('a'))).toBe(0);
    expect(await redis.exists(q.job('c'))).toBe(1);
    expect(await redis.scard(`${q.base}:logged`)).toBe(0);
  });

  test('removes at most `limit` jobs, oldest first', async () => {
    await completed('a', 100);
    await completed('b', 200);
    expect(await q.run(CLEAN_SCRIPT, 'completed', '1000', '1')).toEqual(['a']);
    expect(await redis.zrange(q.state('completed'), 0, -1)).toEqual(['b']);
  });

  test('removes compact and completion records of the jobs too', async () => {
    await redis.zadd(q.state('completed'), 100, 'compact', 100, 'laid');
    await redis.hset(`${q.base}:c`, 'compact', 'run\nwho\n\n', 'other', 'run\nwho\n\n');
    await redis.hset(`${q.base}:cw`, 'laid', 'run\nwho\n\n');
    await redis.hset(q.job('laid'), 'state', 'waiting');
    expect(((await q.run(CLEAN_SCRIPT, 'completed', '100', '10')) as string[]).sort()).toEqual(['compact', 'laid']);
    expect(await redis.hkeys(`${q.base}:c`)).toEqual(['other']);
    expect(await redis.exists(`${q.base}:cw`, q.job('laid'))).toBe(0);
  });

  test('leaves other states alone and answers [] when nothing is old enough', async () => {
    await completed('a', 100);
    await redis.zadd(q.state('failed'), 50, 'f');
    expect(await q.run(CLEAN_SCRIPT, 'completed', '99', '10')).toEqual([]);
    expect(await redis.zcard(q.state('completed'))).toBe(1);
    expect(await redis.zcard(q.state('failed'))).toBe(1);
  });
});
