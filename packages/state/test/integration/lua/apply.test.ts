// lua/apply.lua against the local Redis: op lists crafted by hand (MessagePack arrays of strings),
// then the job hashes, per-state sets, compact records, log lists and the event stream it leaves.
import { APPLY_SCRIPT } from '../../../src/redis/scripts';
import { packOps, streamFields, useLuaQueue } from './lua-redis';

const NOW = 1_700_000_000_000;

/** The apply script's ARGV after the base (see the header of lua/apply.lua). */
function applyArgs(ops: string[][], o: { keepCompleted?: number; keepFailed?: number; keepLogs?: number; countOnly?: boolean } = {}): Array<string | Buffer> {
  return [
    '1000', // events max length
    String(o.keepCompleted ?? -1),
    '-1',
    String(o.keepFailed ?? -1),
    '-1',
    String(o.keepLogs ?? -1),
    '10', // stack traces kept
    '5000', // removed jobs stay readable this long
    String(NOW),
    packOps(ops),
    o.countOnly ? '1' : '0',
  ];
}

const run = (attempt: number) => JSON.stringify([NOW, attempt, 0, 7, NOW - 10]);
const who = JSON.stringify(['worker-1', 'email', 'user-1']);

describe('lua/apply.lua', () => {
  const lua = useLuaQueue('apply');

  test('W records an enqueued job as waiting, indexes it and adds an `added` event', async () => {
    await lua.q.run(APPLY_SCRIPT, ...applyArgs([['W', 'j1', String(NOW), 'email', '{"json":1}', '', 'user-1', '3', '42']]));
    expect(await lua.redis.hgetall(lua.q.job('j1'))).toEqual({
      name: 'email',
      data: '{"json":1}',
      timestamp: String(NOW),
      key: 'user-1',
      partition: '3',
      offset: '42',
      state: 'waiting',
      seq: '0',
    });
    expect(await lua.redis.zrange(lua.q.state('waiting'), 0, -1, 'WITHSCORES')).toEqual(['j1', String(NOW)]);
    expect(await streamFields(lua.redis, lua.q.events)).toEqual([['event', 'added', 'jobId', 'j1', 'name', 'email']]);
  });

  test('A then C move a job from active to completed; returns the ids it created', async () => {
    const created = await lua.q.run(APPLY_SCRIPT, ...applyArgs([['A', 'j1', '1', String(NOW), run(1), who, '{"json":"d"}']]));
    expect(created).toEqual(['j1']);
    expect(await lua.redis.hget(lua.q.job('j1'), 'state')).toBe('active');
    expect(await lua.redis.hget(lua.q.job('j1'), 'data')).toBe('{"json":"d"}');
    expect(await lua.redis.zrange(lua.q.state('active'), 0, -1)).toEqual(['j1']);

    const again = await lua.q.run(APPLY_SCRIPT, ...applyArgs([['C', 'j1', '1', String(NOW + 5), '{"json":"ok"}', 'worker-1']]));
    expect(again).toEqual([]);
    const hash = await lua.redis.hgetall(lua.q.job('j1'));
    expect(hash).toMatchObject({ state: 'completed', returnvalue: '{"json":"ok"}', finishedOn: String(NOW + 5), attemptsMade: '1', workerId: 'worker-1' });
    expect(await lua.redis.zcard(lua.q.state('active'))).toBe(0);
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1, 'WITHSCORES')).toEqual(['j1', String(NOW + 5)]);
    const events = await streamFields(lua.redis, lua.q.events);
    expect(events[1]).toEqual(['event', 'completed', 'jobId', 'j1', 'returnvalue', '{"json":"ok"}', 'attemptsMade', '1']);
  });

  test('a late write never moves a job back: W after C adds its fields and keeps `completed`', async () => {
    await lua.q.run(
      APPLY_SCRIPT,
      ...applyArgs([
        ['A', 'j1', '1', String(NOW), run(1), who, ''],
        ['C', 'j1', '1', String(NOW + 1), '', 'worker-1'],
      ]),
    );
    await lua.q.run(APPLY_SCRIPT, ...applyArgs([['W', 'j1', String(NOW - 50), 'email', '{"json":2}', '', '', '', '']]));
    expect(await lua.redis.hget(lua.q.job('j1'), 'state')).toBe('completed');
    expect(await lua.redis.hget(lua.q.job('j1'), 'data')).toBe('{"json":2}');
    expect(await lua.redis.zcard(lua.q.state('waiting'))).toBe(0);
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1)).toEqual(['j1']);
  });

  test('a joined AC of a job nobody recorded, data inline, becomes a compact record; answers the count', async () => {
    const record = [run(1), who, '{"json":"d"}', '{"json":"r"}'].join('\n');
    const count = await lua.q.run(APPLY_SCRIPT, ...applyArgs([['AC', 'j1', '1', String(NOW + 3), record]], { countOnly: true }));
    expect(count).toBe(1);
    expect(await lua.redis.exists(lua.q.job('j1'))).toBe(0);
    expect(await lua.redis.hget(`${lua.q.base}:c`, 'j1')).toBe(record);
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1, 'WITHSCORES')).toEqual(['j1', String(NOW + 3)]);
  });

  test('R then D: retrying, then dead with its dead letter topic and the stack traces kept', async () => {
    await lua.q.run(APPLY_SCRIPT, ...applyArgs([['A', 'j1', '1', String(NOW), run(1), who, '']]));
    await lua.q.run(APPLY_SCRIPT, ...applyArgs([['R', 'j1', '1', String(NOW + 1), 'boom', 'stack 1', '100']]));
    expect(await lua.redis.hget(lua.q.job('j1'), 'state')).toBe('retrying');
    expect(await lua.redis.zrange(lua.q.state('retrying'), 0, -1, 'WITHSCORES')).toEqual(['j1', String(NOW + 101)]);

    await lua.q.run(
      APPLY_SCRIPT,
      ...applyArgs([
        ['A', 'j1', '2', String(NOW + 200), run(2), who, ''],
        ['D', 'j1', '2', String(NOW + 201), 'boom again', 'stack 2', 'orders-dlq', '', '', '', '', ''],
      ]),
    );
    const hash = await lua.redis.hgetall(lua.q.job('j1'));
    expect(hash).toMatchObject({ state: 'dead', failedReason: 'boom again', attemptsMade: '2', deadLetterTopic: 'orders-dlq' });
    expect(JSON.parse(hash.stacktrace)).toEqual(['stack 1', 'stack 2']);
    expect(await lua.redis.zrange(lua.q.state('dead'), 0, -1)).toEqual(['j1']);
    expect(await lua.redis.zcard(lua.q.state('retrying'))).toBe(0);
    const names = (await streamFields(lua.redis, lua.q.events)).map((fields) => fields[1]);
    expect(names).toEqual(['active', 'retrying', 'batch']);
  });

  test('L appends log lines to a job that exists (kept to keepLogs) and marks it as logged', async () => {
    await lua.q.run(APPLY_SCRIPT, ...applyArgs([['A', 'j1', '1', String(NOW), run(1), who, '']]));
    await lua.q.run(
      APPLY_SCRIPT,
      ...applyArgs(
        [
          ['L', 'j1', 'one'],
          ['L', 'j1', 'two'],
          ['L', 'j1', 'three'],
          ['L', 'nobody', 'lost'],
        ],
        { keepLogs: 2 },
      ),
    );
    expect(await lua.redis.lrange(lua.q.logs('j1'), 0, -1)).toEqual(['two', 'three']);
    expect(await lua.redis.smembers(`${lua.q.base}:logged`)).toEqual(['j1']);
    expect(await lua.redis.exists(lua.q.logs('nobody'))).toBe(0);
  });

  test('retention: with keepCompleted 1, a newer completion removes the older job and its logs', async () => {
    await lua.q.run(
      APPLY_SCRIPT,
      ...applyArgs(
        [
          ['A', 'old', '1', String(NOW), run(1), who, ''],
          ['L', 'old', 'line'],
          ['C', 'old', '1', String(NOW + 1), '', 'w'],
        ],
        { keepCompleted: 1 },
      ),
    );
    await lua.q.run(
      APPLY_SCRIPT,
      ...applyArgs(
        [
          ['A', 'new', '1', String(NOW + 2), run(1), who, ''],
          ['C', 'new', '1', String(NOW + 3), '', 'w'],
        ],
        { keepCompleted: 1 },
      ),
    );
    expect(await lua.redis.zrange(lua.q.state('completed'), 0, -1)).toEqual(['new']);
    expect(await lua.redis.exists(lua.q.job('old'), lua.q.logs('old'))).toBe(0);
    expect(await lua.redis.sismember(`${lua.q.base}:logged`, 'old')).toBe(0);
  });

  test('an unknown op is refused with an error reply naming it', async () => {
    await expect(lua.q.run(APPLY_SCRIPT, ...applyArgs([['Q', 'j1']]))).rejects.toThrow(/unknown state op Q/);
  });
});
