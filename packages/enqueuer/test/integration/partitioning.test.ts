import { Job, JobDescriptor, JobOptions } from '@partita/job';
import { decodeEnvelope, JOB_HEADER } from '@partita/job/wire';
import { closeDefaultEnqueuer, configure, Queue } from '@partita/enqueuer';
import { partitionForKey } from '@partita/kafka';
import { BROKERS, Closer, readMessages, TopicFixture } from '../../../../test/support/topic-fixture';

const topics = new TopicFixture();
const closer = new Closer();
const connection = { brokers: BROKERS };

afterAll(async () => {
  await closer.closeAll();
  await closeDefaultEnqueuer();
  await topics.cleanup();
});

function headerValue(message: { headers?: Array<Record<string, string | Buffer>> }, name: string): string | undefined {
  for (const header of message.headers ?? []) if (name in header) return String(header[name]);
  return undefined;
}

describe('key → partition (murmur2, as the Java client)', () => {
  it('puts 10,000 jobs over 200 keys on a 12-partition topic where murmur2 says, one partition per key', async () => {
    const topic = await topics.create('keys', 12);
    const queue = closer.track(new Queue<{ n: number; user: string }>(topic, { connection }));
    const jobs = Array.from({ length: 10_000 }, (_, n) => {
      const user = `user-${n % 200}`;
      return { name: 'sync-profile', data: { n, user }, opts: { key: user } };
    });
    // Half through addBulk, half one at a time: both paths must place keys the same way.
    await queue.addBulk(jobs.slice(0, 5_000));
    await Promise.all(jobs.slice(5_000).map((job) => queue.add(job.name, job.data, job.opts)));
    await queue.close();

    const messages = await readMessages(topic, 12, 10_000);
    expect(messages).toHaveLength(10_000);
    const partitionOfKey = new Map<string, Set<number>>();
    for (const message of messages) {
      const key = String(message.key);
      const envelope = decodeEnvelope(message.value);
      expect((envelope.data as { user: string }).user).toBe(key);
      expect(message.partition).toBe(partitionForKey(key, 12));
      partitionOfKey.set(key, (partitionOfKey.get(key) ?? new Set()).add(message.partition));
    }
    expect(partitionOfKey.size).toBe(200);
    for (const partitions of partitionOfKey.values()) expect(partitions.size).toBe(1);
    // 200 keys spread over all 12 partitions (not all on one).
    expect(new Set(messages.map((m) => m.partition)).size).toBe(12);

    // Per key, the offsets grow in the order the jobs were enqueued.
    const lastN = new Map<string, { n: number; offset: number }>();
    for (const message of [...messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      const { n, user } = decodeEnvelope(message.value).data as { n: number; user: string };
      const previous = lastN.get(user);
      if (previous) expect(n).toBeGreaterThan(previous.n);
      lastN.set(user, { n, offset: message.offset });
    }
  });

  it("partitionKeyType 'partitionKey' stores no key but uses the key's murmur2 partition", async () => {
    const topic = await topics.create('pkey', 7);
    const queue = closer.track(
      new Queue(topic, {
        connection,
        defaultJobOptions: { partitionKeyType: 'partitionKey', partitioner: (job: JobDescriptor) => (job.data as { account: string }).account },
      }),
    );
    const accounts = Array.from({ length: 30 }, (_, i) => `account-${i}`);
    const results = await queue.addBulk(accounts.map((account) => ({ name: 'charge', data: { account } })));
    await queue.close();
    // The partition is decided at enqueue time, so even async results carry it.
    results.forEach((result, i) => expect(result.partition).toBe(partitionForKey(accounts[i], 7)));

    const messages = await readMessages(topic, 7, accounts.length);
    for (const message of messages) {
      const { account } = decodeEnvelope(message.value).data as { account: string };
      expect(message.key == null).toBe(true);
      expect(message.partition).toBe(partitionForKey(account, 7));
    }
  });

  it("partitionKeyType 'partition' writes to the exact partition, keeping the key", async () => {
    const topic = await topics.create('part', 5);
    const queue = closer.track(
      new Queue<{ shard: number }>(topic, {
        connection,
        defaultJobOptions: {
          partitionKeyType: 'partition',
          partition: (job: JobDescriptor) => (job.data as { shard: number }).shard,
          partitioner: (job: JobDescriptor) => `shard-${(job.data as { shard: number }).shard}`,
        },
      }),
    );
    const sync = await queue.add('rebuild', { shard: 3 }, { dispatch: 'sync' });
    expect(sync.partition).toBe(3);
    // opts.partition always wins.
    const explicit = await queue.add('rebuild', { shard: 1 }, { partition: 4, dispatch: 'sync' });
    expect(explicit.partition).toBe(4);
    await queue.close();

    const messages = await readMessages(topic, 5, 2);
    const byShard = new Map(messages.map((m) => [(decodeEnvelope(m.value).data as { shard: number }).shard, m]));
    expect(byShard.get(3)!.partition).toBe(3);
    expect(String(byShard.get(3)!.key)).toBe('shard-3');
    expect(byShard.get(1)!.partition).toBe(4);
  });

  it('Job.performLater uses the class partitioner and options inherited per key', async () => {
    const topic = await topics.create('perform', 6);
    configure({ connection });

    abstract class UserJob<D extends { userId: string }> extends Job<D> {
      static queue = topic;
      static options: JobOptions<{ userId: string }> = { partitioner: (job) => `user:${job.data.userId}`, attempts: 7 };
    }
    class SendWelcome extends UserJob<{ userId: string; template: string }> {
      static override options: JobOptions<{ userId: string }> = { backoff: 500 };
      perform(): void {}
    }

    const single = await SendWelcome.performLater({ userId: '42', template: 'hello' }, { dispatch: 'sync' });
    const many = await SendWelcome.performAllLater([
      { userId: '42', template: 'again' },
      { data: { userId: '7', template: 'hi' }, opts: { jobId: 'fixed-id' } },
    ]);
    await closeDefaultEnqueuer();
    expect(single.partition).toBe(partitionForKey('user:42', 6));
    expect(many[1].id).toBe('fixed-id');

    const messages = await readMessages(topic, 6, 3);
    for (const message of messages) {
      const envelope = decodeEnvelope(message.value);
      const userId = (envelope.data as { userId: string }).userId;
      expect(String(message.key)).toBe(`user:${userId}`);
      expect(message.partition).toBe(partitionForKey(`user:${userId}`, 6));
      expect(envelope.name).toBe('SendWelcome');
      // attempts from the parent class, backoff from the child: merged per key.
      expect(envelope.opts).toEqual({ attempts: 7, backoff: 500 });
      expect(headerValue(message, JOB_HEADER)).toBe(JSON.stringify([1, 'SendWelcome', envelope.id]));
    }
    expect(messages.map((m) => decodeEnvelope(m.value).id)).toContain('fixed-id');
  });
});
