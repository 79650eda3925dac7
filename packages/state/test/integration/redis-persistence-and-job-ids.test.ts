// Two things a Redis under the state store can do to its users without a word: lose everything on a
// restart (no persistence), and, while it is down, hold `add` with a jobId for seconds. The test runs
// its own redis-server (without persistence, as started by TestRedis) on a free port.
import { Queue } from '@partita/enqueuer';
import { createStateStore, StateUnavailableError } from '@partita/state';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { TestRedis } from '../../../../test/support/redis-server';
import { uniqueName, waitFor } from '../../../../test/support/wait';

let redis: TestRedis;
const admin = new TestAdmin();
const topics: string[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
});

afterAll(async () => {
  await redis.kill();
  await Promise.all(topics.map((t) => admin.deleteTopic(t).catch(() => undefined)));
  admin.close();
});

test('a Redis without persistence is named in one warning per process, with what is lost and the fix', async () => {
  const warnings: string[] = [];
  const logger = { warn: (line: string) => warnings.push(line) };
  // ioredis itself warns that the second URL's password is not needed.
  const ioredisWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const first = createStateStore({ redis: redis.url, logger });
  const second = createStateStore({ redis: `redis://:secret@127.0.0.1:${redis.port}`, logger });
  try {
    await Promise.all([first.waitUntilReady(), second.waitUntilReady()]);
    await waitFor(() => warnings.length > 0, { timeoutMs: 5000, message: 'the persistence warning' });
    expect(warnings[0]).toMatch(
      new RegExp(
        `^\\[partita:state\\] Redis at 127\\.0\\.0\\.1:${redis.port} has no persistence \\(appendonly no, save ""\\): job state .* is lost when it restarts.*enable AOF \\(appendonly yes\\) or RDB snapshots`,
      ),
    );
    // The second store on the same Redis (credentials never logged) adds nothing.
    await first.getJobCounts('any-queue'); // a round trip after both checks were sent
    await second.getJobCounts('any-queue');
    expect(warnings).toHaveLength(1);
    expect(warnings.join('\n')).not.toContain('secret');
  } finally {
    await Promise.all([first.close(), second.close()]);
    ioredisWarn.mockRestore();
  }
});

test('with Redis down, add with a jobId fails at once, says nothing was produced and what to do; without a jobId it is produced; after a restart ids work again', async () => {
  const queueName = uniqueName('jobid-redis-down');
  topics.push(queueName);
  await admin.createTopic(queueName, 1);
  const queue = new Queue(queueName, { connection: { brokers: BROKERS }, state: { redis: redis.url, logger: false } });
  try {
    expect(await queue.add('Job', { n: 1 }, { jobId: 'before' })).toMatchObject({ id: 'before' });
    await redis.kill();
    const tries: number[] = [];
    for (const id of ['down-1', 'down-2', 'down-3']) {
      const started = Date.now();
      const error = await queue.add('Job', { n: 2 }, { jobId: id }).then(
        () => undefined,
        (e: unknown) => e,
      );
      tries.push(Date.now() - started);
      expect(error).toBeInstanceOf(StateUnavailableError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cannot add job id "${id}" to ${queueName}: a jobId is checked for duplicates in Redis, which does not answer .* Nothing was produced: add it again once Redis is back, or without a jobId`,
        ),
      );
    }
    // Before: the second and later calls waited for two reconnect attempts each (2.8 s and more).
    expect(Math.max(...tries)).toBeLessThan(1000);
    // Jobs without an id do not need Redis.
    expect((await queue.add('Job', { n: 3 }, { dispatch: 'sync' })).offset).toBeGreaterThanOrEqual(0);
    const ends = await admin.endOffsets(queueName, 1);
    expect(ends.get(0)).toBe(2); // 'before' and the one without an id: none of the failed adds

    await redis.restart();
    await waitFor(
      async () =>
        await queue.add('Job', { n: 4 }, { jobId: 'after' }).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 15000,
        message: 'add with a jobId to work again after the restart',
      },
    );
  } finally {
    await queue.close();
  }
});
