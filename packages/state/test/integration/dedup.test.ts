// jobId deduplication: 4 processes reserve the same 2,000 ids at the same time; each id is
// reserved exactly once over all of them (the decision is one Lua script per call).
import { Redis } from 'ioredis';
import { waitFor } from '../../../../test/support/wait';
import { dropPrefix, REDIS_URL, runChild, uniquePrefix } from './helpers';

const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('dedup');

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

test('4 processes racing to reserve 2,000 ids: each id is won by exactly one', async () => {
  const children = [0, 1, 2, 3].map(() => runChild('reserve-child.js', [REDIS_URL, prefix, 'orders', '0', '1999']));
  // Every child has loaded and connected: let them go at once.
  await waitFor(async () => (await redis.llen(`${prefix}:barrier:ready`)) === 4, { timeoutMs: 30_000, message: '4 children ready' });
  await redis.rpush(`${prefix}:barrier:go`, 'go', 'go', 'go', 'go');
  const runs = await Promise.all(children);
  for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
  const won = runs.map((run) => JSON.parse(run.stdout) as string[]);
  const all = won.flat();
  expect(all).toHaveLength(2000);
  expect(new Set(all).size).toBe(2000);
  // They really raced: more than one process won ids.
  expect(won.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
});
