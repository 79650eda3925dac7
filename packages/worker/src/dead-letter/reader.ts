import { CODES, KafkaConsumer, LibrdKafkaError, Message } from '@confluentinc/kafka-javascript';
import { PartitaError } from '@partita/job';
import { createTopicAdmin, ConnectionOptions, resolveConnection } from '@partita/kafka';
import { DeadLetterTopicMissingError } from '../errors';
import { kafkaError } from '../kafka/client-error';
import { toInboundMessage } from '../kafka/message-conversion';
import { DeadJob, toDeadJob } from './dead-job';

const READ_TIMEOUT_MS = 30000;

/**
 * Reads a dead letter topic from its beginning up to its end at the time of the call, oldest first
 * per partition. Uses no consumer group: reading never changes what the workers see.
 */
export async function readDeadJobs(dlqTopic: string, connection: ConnectionOptions = {}): Promise<DeadJob[]> {
  const admin = createTopicAdmin(connection);
  let partitions: number | undefined;
  try {
    partitions = await admin.describe(dlqTopic);
  } finally {
    admin.close();
  }
  if (partitions === undefined)
    throw new DeadLetterTopicMissingError(
      `dead letter topic ${dlqTopic} does not exist (no job of this queue has died yet, or a different --dlq topic is used)`,
    );

  const resolved = resolveConnection(connection);
  const consumer = new KafkaConsumer(
    { ...resolved.kafka, 'bootstrap.servers': resolved.brokers, 'group.id': `partita-dlq-reader`, 'enable.auto.commit': false, 'client.id': resolved.clientId },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: resolved.connectTimeoutMs }, (err) => (err ? reject(kafkaError(err)) : resolve())));
  try {
    const ends = await Promise.all(
      Array.from(
        { length: partitions },
        (_, partition) =>
          new Promise<{ partition: number; low: number; high: number }>((resolve, reject) => {
            consumer.queryWatermarkOffsets(dlqTopic, partition, resolved.connectTimeoutMs, (err: LibrdKafkaError, offsets) =>
              err ? reject(kafkaError(err)) : resolve({ partition, low: offsets.lowOffset, high: offsets.highOffset }),
            );
          }),
      ),
    );
    const pending = ends.filter((e) => e.high > e.low);
    if (pending.length === 0) return [];
    consumer.assign(pending.map((e) => ({ topic: dlqTopic, partition: e.partition, offset: e.low })));
    consumer.setDefaultConsumeTimeout(200);
    const remaining = new Map(pending.map((e) => [e.partition, e.high]));
    const jobs: DeadJob[] = [];
    const deadline = Date.now() + READ_TIMEOUT_MS;
    while (remaining.size > 0) {
      if (Date.now() > deadline) throw new PartitaError(`reading ${dlqTopic} took longer than ${READ_TIMEOUT_MS} ms`);
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, messages) => (err && err.code !== CODES.ERRORS.ERR__TIMED_OUT ? reject(kafkaError(err)) : resolve(messages ?? []))),
      );
      for (const m of batch) {
        const end = remaining.get(m.partition);
        if (end === undefined || m.offset >= end) continue;
        const inbound = toInboundMessage(m);
        jobs.push(toDeadJob(dlqTopic, { partition: m.partition, offset: m.offset, key: inbound.key, value: inbound.value, headers: { ...inbound.headers } }));
        if (m.offset >= end - 1) remaining.delete(m.partition);
      }
      // Offsets can have gaps (e.g. deleted records): a partition is also done once its position passed the end.
      if (batch.length === 0) {
        for (const tp of consumer.position(pending.map((e) => ({ topic: dlqTopic, partition: e.partition })))) {
          const end = remaining.get(tp.partition);
          if (end !== undefined && tp.offset !== undefined && tp.offset >= end) remaining.delete(tp.partition);
        }
      }
    }
    return jobs.sort((a, b) => (a.lastFailedAt?.getTime() ?? 0) - (b.lastFailedAt?.getTime() ?? 0));
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
