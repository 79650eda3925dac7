import { AdminClient, IAdminClient, LibrdKafkaError, OffsetSpec } from '@confluentinc/kafka-javascript';

export const BROKERS = process.env.PARTITA_BROKERS ?? '127.0.0.1:9092';

function settle<T>(resolve: (v: T) => void, reject: (e: Error) => void) {
  return (err: LibrdKafkaError | null | undefined, value?: T) => (err ? reject(new Error(`${err.message} (code ${err.code})`)) : resolve(value as T));
}

/** A small promise wrapper over librdkafka's admin client, for tests and scripts. */
export class TestAdmin {
  private readonly client: IAdminClient = AdminClient.create({ 'bootstrap.servers': BROKERS, 'client.id': 'partita-test-admin' });

  createTopic(topic: string, partitions: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 15000, settle(resolve, reject)),
    );
  }

  deleteTopic(topic: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.deleteTopic(topic, 15000, settle(resolve, reject)));
  }

  listTopics(): Promise<string[]> {
    return new Promise((resolve, reject) => this.client.listTopics({ timeout: 10000 }, settle(resolve, reject)));
  }

  /** Committed offset per partition of a consumer group (-1 / absent when none). */
  async committed(groupId: string, topic: string, partitions: number): Promise<Map<number, number>> {
    const detailed = await this.committedWithMetadata(groupId, topic, partitions);
    return new Map([...detailed].map(([p, c]) => [p, c.offset]));
  }

  /** Committed offset and commit metadata per partition of a consumer group. */
  async committedWithMetadata(groupId: string, topic: string, partitions: number): Promise<Map<number, { offset: number; metadata?: string }>> {
    const results = await new Promise<Array<{ partitions: Array<{ partition: number; offset: number; metadata?: string | null }> }>>((resolve, reject) =>
      this.client.listConsumerGroupOffsets(
        [{ groupId, partitions: Array.from({ length: partitions }, (_, partition) => ({ topic, partition })) }],
        { timeout: 10000 },
        settle(resolve, reject),
      ),
    );
    const map = new Map<number, { offset: number; metadata?: string }>();
    for (const p of results[0]?.partitions ?? []) map.set(p.partition, { offset: p.offset, metadata: p.metadata ?? undefined });
    return map;
  }

  /** The end offset (high watermark) of each partition. */
  async endOffsets(topic: string, partitions: number): Promise<Map<number, number>> {
    const results = await new Promise<Array<{ partition: number; offset: number }>>((resolve, reject) =>
      this.client.listOffsets(
        Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: OffsetSpec.LATEST })),
        { timeout: 10000 },
        settle(resolve, reject),
      ),
    );
    return new Map(results.map((r) => [r.partition, Number(r.offset)]));
  }

  /** State and member count of a consumer group. */
  async describeGroup(groupId: string): Promise<{ state: number; members: number }> {
    const result = await new Promise<{ groups: Array<{ state: number; members: unknown[] }> }>((resolve, reject) =>
      this.client.describeGroups([groupId], { timeout: 10000 }, settle(resolve, reject)),
    );
    const group = result.groups[0];
    return { state: group.state, members: group.members.length };
  }

  close(): void {
    this.client.disconnect();
  }
}
