import { randomBytes } from 'node:crypto';
import { KafkaConsumer, Message } from '@confluentinc/kafka-javascript';
import { createTopicAdmin, TopicAdmin } from '@partita/kafka';
import { nativeError } from './native-error';

// These tests are about Kafka: a job-state store (enabled by this env) would de-duplicate the
// fixed job ids they use across runs.
delete process.env.PARTITA_REDIS_URL;

/** The broker the integration tests run against (scripts/kafka/start). */
export const BROKERS = process.env.PARTITA_BROKERS ?? '127.0.0.1:9092';

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix: string): string {
  return `partita-test-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates topics for a test file and deletes them afterwards. */
export class TopicFixture {
  readonly admin: TopicAdmin = createTopicAdmin({ brokers: BROKERS });
  private readonly created: string[] = [];

  async create(prefix: string, partitions: number): Promise<string> {
    const topic = uniqueTopic(prefix);
    await this.admin.ensureTopic(topic, { partitions, replicationFactor: 1 });
    this.created.push(topic);
    return topic;
  }

  /** Number of messages in `topic`: the sum over its partitions of high minus low watermark. */
  async count(topic: string): Promise<number> {
    const marks = await this.admin.watermarks(topic);
    return marks.reduce((sum, m) => sum + m.high - m.low, 0);
  }

  async cleanup(): Promise<void> {
    try {
      for (const topic of this.created) await this.admin.deleteTopic(topic).catch(() => undefined);
    } finally {
      this.admin.close();
    }
  }
}

/**
 * Reads `expected` messages of `topic` from the beginning of every partition (no consumer group
 * offsets involved), failing after `timeoutMs` with how many were seen.
 */
export async function readMessages(topic: string, partitions: number, expected: number, timeoutMs = 30_000): Promise<Message[]> {
  const consumer = new KafkaConsumer(
    {
      'bootstrap.servers': BROKERS,
      'group.id': `partita-test-reader-${randomBytes(4).toString('hex')}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (error) => (error ? reject(nativeError(error)) : resolve())));
  try {
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
    consumer.setDefaultConsumeTimeout(200);
    const messages: Message[] = [];
    const deadline = Date.now() + timeoutMs;
    while (messages.length < expected) {
      if (Date.now() > deadline) throw new Error(`read ${messages.length} of ${expected} messages of ${topic} within ${timeoutMs} ms`);
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(1000, (error, read) => (error ? reject(nativeError(error)) : resolve(read))),
      );
      messages.push(...batch);
    }
    return messages;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Calls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Remembers what a test opened so that `closeAll` (in afterAll) closes it even when the test
 * failed half-way: an open librdkafka client keeps the Jest process alive.
 */
export class Closer {
  private readonly open: Array<{ close(): Promise<void> | void }> = [];

  track<T extends { close(): Promise<void> | void }>(resource: T): T {
    this.open.push(resource);
    return resource;
  }

  async closeAll(): Promise<void> {
    const open = this.open.splice(0);
    await Promise.allSettled(open.map(async (resource) => resource.close()));
  }
}
