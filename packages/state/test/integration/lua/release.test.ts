// lua/release.lua against the local Redis: only reservations nobody recorded are dropped.
import { RELEASE_SCRIPT } from '../../../src/redis/scripts';
import { useLuaQueue } from './lua-redis';

describe('lua/release.lua', () => {
  const lua = useLuaQueue('release');

  test('drops reserved hashes, keeps recorded jobs and ignores unknown ids; answers how many it dropped', async () => {
    await lua.redis.hset(lua.q.job('reserved'), 'state', 'waiting', 'seq', '0', 'reservedAt', '1');
    await lua.redis.hset(lua.q.job('recorded'), 'state', 'waiting', 'seq', '0', 'name', 'email');
    expect(await lua.q.run(RELEASE_SCRIPT, 'reserved', 'recorded', 'unknown')).toBe(1);
    expect(await lua.redis.exists(lua.q.job('reserved'))).toBe(0);
    expect(await lua.redis.hgetall(lua.q.job('recorded'))).toEqual({ state: 'waiting', seq: '0', name: 'email' });
  });

  test('with no ids it does nothing', async () => {
    expect(await lua.q.run(RELEASE_SCRIPT)).toBe(0);
  });
});
