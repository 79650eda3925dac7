// lua/clean.lua against the local Redis: the jobs of one state older than a score, with every
// record they have (hash, compact or completion record, logs), up to a limit.
import { CLEAN_SCRIPT } from '../../../src/redis/scripts';
import { useLuaQueue } from './lua-redis';

describe('lua/clean.lua', () => {
  const lua = useLuaQueue('clean');

  async function completed(id: string, score: number): Promise<void> {
    await lua.redis.hset(lua.q.job(id), 'state', 'completed');
    await lua.redis.zadd(lua.q.state('completed'), score, id);
  }

  test('removes the jobs whose score is at most the bound, with their hashes and logs; returns their ids', async () => {
    await completed('a', 100);
    await completed('b', 200);
    await completed('c', 300);
    await lua.redis.rpush(lua.q.logs('a'), 'line');
    await lua.redis.sadd(`${lua.q.base}:logged`, 'a');
    expect(await lua.q.run(CLEAN_SCRIPT, 'completed', '200', '10')).toEqual(['a', 'b']);
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1)).toEqual(['c']);
    expect(await lua.redis.exists(lua.q.job('a'), lua.q.job('b'), lua.q.logs('a'))).toBe(0);
    expect(await lua.redis.exists(lua.q.job('c'))).toBe(1);
    expect(await lua.redis.scard(`${lua.q.base}:logged`)).toBe(0);
  });

  test('removes at most `limit` jobs, oldest first', async () => {
    await completed('a', 100);
    await completed('b', 200);
    expect(await lua.q.run(CLEAN_SCRIPT, 'completed', '1000', '1')).toEqual(['a']);
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1)).toEqual(['b']);
  });

  test('removes compact and completion records of the jobs too', async () => {
    await lua.redis.zadd(lua.q.state('completed'), 100, 'compact', 100, 'laid');
    await lua.redis.hset(`${lua.q.base}:c`, 'compact', 'run\nwho\n\n', 'other', 'run\nwho\n\n');
    await lua.redis.hset(`${lua.q.base}:cw`, 'laid', 'run\nwho\n\n');
    await lua.redis.hset(lua.q.job('laid'), 'state', 'waiting');
    expect(((await lua.q.run(CLEAN_SCRIPT, 'completed', '100', '10')) as string[]).sort()).toEqual(['compact', 'laid']);
    expect(await lua.redis.hkeys(`${lua.q.base}:c`)).toEqual(['other']);
    expect(await lua.redis.exists(`${lua.q.base}:cw`, lua.q.job('laid'))).toBe(0);
  });

  test('leaves other states alone and answers [] when nothing is old enough', async () => {
    await completed('a', 100);
    await lua.redis.zadd(lua.q.state('failed'), 50, 'f');
    expect(await lua.q.run(CLEAN_SCRIPT, 'completed', '99', '10')).toEqual([]);
    expect(await lua.redis.zcard(lua.q.state('completed'))).toBe(1);
    expect(await lua.redis.zcard(lua.q.state('failed'))).toBe(1);
  });
});
