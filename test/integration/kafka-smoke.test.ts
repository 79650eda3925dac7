// The foundation's smoke test: the local broker really works end to end with the native client.
import { KafkaConsumer, LibrdKafkaError, Message, TopicPartition } from '@confluentinc/kafka-javascript';
import { BROKERS, TestAdmin } from '../support/kafka-admin';
import { nativeError } from '../support/native-error';
import { produceRaw } from '../support/raw-kafka';
import { uniqueName, waitFor } from '../support/wait';

const admin = new TestAdmin();
afterAll(() => admin.close());

test('1,000 keyed messages arrive in a consumer group, in order per key', async () => {
  const topic = uniqueName('smoke');
  await admin.createTopic(topic, 3);
  const keys = Array.from({ length: 10 }, (_, i) => `key-${i}`);
  const sent = Array.from({ length: 1000 }, (_, i) => ({ key: keys[i % keys.length], value: JSON.stringify({ seq: i }) }));
  await produceRaw(topic, sent);

  const received: Message[] = [];
  const consumer = new KafkaConsumer(
    {
      'bootstrap.servers': BROKERS,
      'group.id': uniqueName('smoke-group'),
      'partition.assignment.strategy': 'cooperative-sticky',
      rebalance_cb: true,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10000 }, (err) => (err ? reject(nativeError(err)) : resolve())));
  const assigned: TopicPartition[] = [];
  consumer.on('rebalance', (err: LibrdKafkaError, assignment: TopicPartition[]) => {
    if (err.code === -175) assigned.push(...assignment);
  });
  consumer.subscribe([topic]);
  consumer.setDefaultConsumeTimeout(100);
  try {
    await waitFor(
      () =>
        new Promise<boolean>((resolve, reject) =>
          consumer.consume(500, (err, messages) => {
            if (err && err.code !== -185) reject(nativeError(err));
            received.push(...(messages ?? []));
            resolve(received.length >= sent.length);
          }),
        ),
      { timeoutMs: 60000, intervalMs: 0, message: () => `1000 messages (got ${received.length})` },
    );
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }

  expect(assigned.map((tp) => tp.partition).sort()).toEqual([0, 1, 2]);
  expect(received).toHaveLength(1000);
  const seqsByKey = new Map<string, number[]>();
  for (const m of received) {
    const key = String(m.key);
    seqsByKey.set(key, [...(seqsByKey.get(key) ?? []), (JSON.parse(String(m.value)) as { seq: number }).seq]);
  }
  expect([...seqsByKey.keys()].sort()).toEqual([...keys].sort());
  for (const [key, seqs] of seqsByKey) {
    expect(seqs).toHaveLength(100);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // in order per key
    expect(new Set(seqs.map((s) => keys[s % keys.length]))).toEqual(new Set([key]));
  }
  await admin.deleteTopic(topic);
});
