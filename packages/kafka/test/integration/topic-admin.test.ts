import { Queue } from '@partita/enqueuer';
import { TopicMismatchError } from '../../src/errors';
import { createTopicAdmin, provisionTopic } from '../../src/topic-admin';
import { BROKERS, Closer, uniqueTopic } from '../../../../test/support/topic-fixture';

const admin = createTopicAdmin({ brokers: BROKERS });
const created: string[] = [];
const closer = new Closer();

afterAll(async () => {
  await closer.closeAll();
  try {
    for (const topic of created) await admin.deleteTopic(topic);
  } finally {
    admin.close();
  }
});

describe('topic provisioning (no broker auto-creation)', () => {
  it('queue.ensureTopic creates the topic once and is idempotent', async () => {
    const topic = uniqueTopic('ensure');
    created.push(topic);
    const queue = closer.track(new Queue(topic, { connection: { brokers: BROKERS } }));
    expect(await queue.ensureTopic({ partitions: 4, replicationFactor: 1 })).toEqual({ topic, partitions: 4, created: true });
    expect(await queue.ensureTopic({ partitions: 4 })).toEqual({ topic, partitions: 4, created: false });
    // Fewer partitions than exist is fine.
    expect(await queue.ensureTopic({ partitions: 2 })).toEqual({ topic, partitions: 4, created: false });
    // More is refused with an explanation; partitions are never added behind the user's back.
    const error = await queue.ensureTopic({ partitions: 8 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicMismatchError);
    expect((error as Error).message).toMatch(/already exists with 4 partition\(s\), fewer than the 8 asked for/);
    expect(await queue.partitionCount()).toBe(4);
    // The topic is usable at once.
    expect((await queue.add('x', 1, { dispatch: 'sync' })).offset).toBe(0);
    await queue.close();
  });

  it('provisionTopic (the CLI helper) prints what it did', async () => {
    const topic = uniqueTopic('cli');
    created.push(topic);
    const lines: string[] = [];
    const options = { partitions: 3, connection: { brokers: BROKERS }, print: (line: string) => lines.push(line) };
    await provisionTopic(topic, options);
    await provisionTopic(topic, options);
    expect(lines).toEqual([
      `created topic ${topic} with 3 partition(s) on ${BROKERS}`,
      `topic ${topic} already exists with 3 partition(s) on ${BROKERS}; nothing to do`,
    ]);
    expect(await admin.describe(topic)).toBe(3);
  });

  it('describes a missing topic as undefined and rejects invalid specs', async () => {
    expect(await admin.describe(uniqueTopic('nope'))).toBeUndefined();
    await expect(admin.ensureTopic('bad name!', { partitions: 1 })).rejects.toThrow(/Kafka topic name/);
    await expect(admin.ensureTopic(uniqueTopic('x'), { partitions: 0 })).rejects.toThrow(/partitions must be an integer >= 1/);
  });
});
