import { KafkaConsumer, LibrdKafkaError, Message, MessageHeader, Producer } from '@confluentinc/kafka-javascript';
import { BROKERS } from './kafka-admin';
import { nativeError } from './native-error';
import { waitFor } from './wait';

export interface RawMessage {
  key?: string | null;
  value: Buffer | string | null;
  partition?: number;
  /** By name, or as a list (repeated names and raw bytes kept). */
  headers?: Record<string, string | Buffer> | Array<[string, string | Buffer]>;
}

/** Produces messages with a plain librdkafka producer and waits for every delivery report. */
export async function produceRaw(topic: string, messages: RawMessage[]): Promise<void> {
  const producer = new Producer({ 'bootstrap.servers': BROKERS, dr_cb: true, 'linger.ms': 5, partitioner: 'murmur2_random' });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10000 }, (err) => (err ? reject(nativeError(err)) : resolve())));
  let delivered = 0;
  let failure: LibrdKafkaError | undefined;
  producer.on('delivery-report', (err) => {
    if (err) failure = err;
    delivered++;
  });
  producer.setPollInterval(10);
  for (const m of messages) {
    const list = Array.isArray(m.headers) ? m.headers : Object.entries(m.headers ?? {});
    const headers: MessageHeader[] | undefined = m.headers ? list.map(([k, v]) => ({ [k]: v })) : undefined;
    const value = m.value === null ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value);
    producer.produce(topic, m.partition ?? null, value, m.key ?? null, null, undefined, headers);
  }
  await waitFor(() => delivered === messages.length || failure !== undefined, { timeoutMs: 30000, message: 'delivery reports' });
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  if (failure) throw new Error(`produce failed: ${failure.message}`);
}

/** Reads a topic from the beginning (all partitions assigned, no group commits) until `count` messages arrived. */
export async function readTopic(topic: string, partitions: number, count: number, timeoutMs = 30000): Promise<Message[]> {
  const consumer = new KafkaConsumer(
    { 'bootstrap.servers': BROKERS, 'group.id': `reader-${topic}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10000 }, (err) => (err ? reject(nativeError(err)) : resolve())));
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  consumer.setDefaultConsumeTimeout(100);
  const messages: Message[] = [];
  try {
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count && Date.now() < deadline) {
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, ms) => (err && err.code !== -185 ? reject(nativeError(err)) : resolve(ms ?? []))),
      );
      messages.push(...batch);
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return messages;
}

export function headerValue(message: Message, name: string): string | undefined {
  for (const h of message.headers ?? []) if (name in h) return String(h[name]);
  return undefined;
}
