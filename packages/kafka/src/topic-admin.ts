import { AdminClient, CODES, IAdminClient, LibrdKafkaError, OffsetSpec, TopicDescription } from '@confluentinc/kafka-javascript';
import { baseClientConfig, ConnectionOptions, ResolvedConnection, resolveConnection } from './connection';
import { BrokerUnavailableError, ConfigurationError, TopicAdminError, TopicMismatchError, TopicNotFoundError } from './errors';
import { describeTopicConfigs, TopicConfigs } from './topic-config';
import { describeValue, topicNameProblem } from '@partita/job/options';

/** What a queue topic should look like. */
export interface TopicSpec {
  /** Number of partitions: the most workers (consumers) that can share the queue. */
  partitions: number;
  /**
   * Copies of each partition across brokers.
   * @defaultValue -1 (the broker's `default.replication.factor`)
   */
  replicationFactor?: number;
  /**
   * Topic configuration, e.g. `{ 'retention.ms': '604800000' }`.
   * @defaultValue `{}`
   */
  config?: Record<string, string>;
}

/** Offsets of one partition, see {@link TopicAdmin.watermarks}. */
export interface PartitionWatermarks {
  partition: number;
  /** The oldest stored offset. */
  low: number;
  /** The offset the next message will get. */
  high: number;
}

/** The outcome of {@link TopicAdmin.ensureTopic}. */
export interface TopicInfo {
  topic: string;
  /** The topic's actual partition count (may exceed what was asked for). */
  partitions: number;
  /** Whether this call created the topic. */
  created: boolean;
}

/**
 * How long a cached partition count is trusted. Partitions can be added to a topic; librdkafka's
 * own view refreshes every 5 minutes by default, this one every minute.
 */
const PARTITION_COUNT_TTL_MS = 60_000;

const { ERR_UNKNOWN_TOPIC_OR_PART, ERR_TOPIC_ALREADY_EXISTS, ERR__TIMED_OUT, ERR__TRANSPORT, ERR__ALL_BROKERS_DOWN } = CODES.ERRORS;

/** The binding's errors inherit from Error at run time; its typings leave that out. */
function asError(error: LibrdKafkaError): LibrdKafkaError & Error {
  return error as LibrdKafkaError & Error;
}

/** Topic provisioning and partition counts over one librdkafka admin client. */
export class TopicAdmin {
  private readonly counts = new Map<string, { count: number; at: number }>();
  private readonly inflight = new Map<string, Promise<number>>();

  /**
   * @param client - a librdkafka admin client (standalone or derived from a producer)
   * @param timeoutMs - bound of each admin request
   * @param ownsClient - whether {@link close} disconnects the client
   */
  constructor(
    private readonly client: IAdminClient,
    private readonly timeoutMs: number,
    private readonly ownsClient: boolean,
    private readonly brokers = 'the configured brokers',
    private readonly connection?: ResolvedConnection,
  ) {}

  /**
   * Configuration values of topics (e.g. `max.message.bytes`), as the broker applies them (a topic
   * without an override gets the broker's default). Topics that do not exist are absent. Rejects with
   * `TopicConfigUnavailableError` when it cannot be read: the librdkafka binding has no
   * DescribeConfigs, so this sends that request itself, which needs a PLAINTEXT listener.
   */
  describeConfigs(topics: string[], keys: string[]): Promise<TopicConfigs> {
    return describeTopicConfigs(this.connection ?? resolveConnection({ brokers: this.brokers, connectTimeoutMs: this.timeoutMs }), topics, keys);
  }

  /** The partition count of `topic`, or undefined when it does not exist. Not cached. */
  async describe(topic: string): Promise<number | undefined> {
    const description = await this.describeOne(topic);
    if (description.error) {
      if (description.error.code === ERR_UNKNOWN_TOPIC_OR_PART) return undefined;
      throw new TopicAdminError(topic, description.error.code, `could not describe topic ${topic}: ${description.error.message}`, {
        cause: description.error,
      });
    }
    const count = description.partitions.length;
    this.counts.set(topic, { count, at: Date.now() });
    return count;
  }

  /** The partition count of `topic`, cached for a minute; {@link TopicNotFoundError} when it does not exist. */
  partitionCount(topic: string): Promise<number> {
    const cached = this.cachedPartitionCount(topic);
    if (cached !== undefined) return Promise.resolve(cached);
    // One request per topic however many jobs are waiting for it.
    let pending = this.inflight.get(topic);
    if (!pending) {
      pending = this.describe(topic)
        .then((count) => {
          if (count === undefined) throw new TopicNotFoundError(topic);
          return count;
        })
        .finally(() => this.inflight.delete(topic));
      this.inflight.set(topic, pending);
    }
    return pending;
  }

  /** The cached partition count of `topic` if it is fresh; no I/O. */
  cachedPartitionCount(topic: string): number | undefined {
    const entry = this.counts.get(topic);
    if (!entry || Date.now() - entry.at > PARTITION_COUNT_TTL_MS) return undefined;
    return entry.count;
  }

  /**
   * Creates `topic` unless it exists. An existing topic with at least `spec.partitions` partitions
   * is fine; one with fewer is a {@link TopicMismatchError}: partita never adds partitions itself,
   * because that moves keys to other partitions and breaks the order of their pending jobs.
   */
  async ensureTopic(topic: string, spec: TopicSpec): Promise<TopicInfo> {
    validateTopicName(topic);
    validateTopicSpec(spec);
    let created = true;
    try {
      await new Promise<void>((resolve, reject) => {
        this.client.createTopic(
          {
            topic,
            num_partitions: spec.partitions,
            replication_factor: spec.replicationFactor ?? -1,
            config: spec.config ?? {},
          },
          this.timeoutMs,
          (error) => (error ? reject(asError(error)) : resolve()),
        );
      });
    } catch (error) {
      if ((error as LibrdKafkaError).code !== ERR_TOPIC_ALREADY_EXISTS) throw this.adminError(topic, 'create', error);
      created = false;
    }
    const partitions = await this.waitForTopic(topic);
    if (partitions < spec.partitions) {
      throw new TopicMismatchError(
        topic,
        `topic ${topic} already exists with ${partitions} partition(s), fewer than the ${spec.partitions} asked for. ` +
          `partita does not add partitions by itself because that moves keys to other partitions; ` +
          `if that is acceptable, run: kafka-topics.sh --bootstrap-server <broker> --alter --topic ${topic} --partitions ${spec.partitions}`,
      );
    }
    return { topic, partitions, created };
  }

  /**
   * The low and high watermark of every partition of `topic`: `high - low` messages are stored in
   * a partition, and `high` is the offset the next message will get.
   */
  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    const partitions = await this.partitionCount(topic);
    const spec = (offset: OffsetSpec) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset }));
    const [low, high] = await Promise.all([this.listOffsets(topic, spec(OffsetSpec.EARLIEST)), this.listOffsets(topic, spec(OffsetSpec.LATEST))]);
    return Array.from({ length: partitions }, (_, partition) => ({ partition, low: low.get(partition) ?? 0, high: high.get(partition) ?? 0 }));
  }

  /** Deletes `topic`; returns false when it did not exist. */
  async deleteTopic(topic: string): Promise<boolean> {
    this.counts.delete(topic);
    try {
      await new Promise<void>((resolve, reject) => {
        this.client.deleteTopic(topic, this.timeoutMs, (error) => (error ? reject(asError(error)) : resolve()));
      });
      return true;
    } catch (error) {
      if ((error as LibrdKafkaError).code === ERR_UNKNOWN_TOPIC_OR_PART) return false;
      throw this.adminError(topic, 'delete', error);
    }
  }

  /** Disconnects the admin client if this object created it. */
  close(): void {
    if (this.ownsClient) this.client.disconnect();
  }

  /**
   * A new topic's metadata reaches every broker a moment after CreateTopics returns; producing
   * before that fails with "unknown topic". Waits until it is described with all its partitions.
   */
  private async waitForTopic(topic: string): Promise<number> {
    const deadline = Date.now() + this.timeoutMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const description = await this.describeOne(topic);
      const ready = !description.error && description.partitions.length > 0 && description.partitions.every((p) => p.leader !== null);
      if (ready) {
        this.counts.set(topic, { count: description.partitions.length, at: Date.now() });
        return description.partitions.length;
      }
      if (Date.now() + delay > deadline) {
        throw new TopicAdminError(topic, description.error?.code, `topic ${topic} was not ready (all partitions with a leader) within ${this.timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private listOffsets(topic: string, partitions: Array<{ topic: string; partition: number; offset: OffsetSpec }>): Promise<Map<number, number>> {
    return new Promise((resolve, reject) => {
      this.client.listOffsets(partitions, { timeout: this.timeoutMs }, (error, results) => {
        if (error) reject(this.adminError(topic, 'list offsets of', error));
        else resolve(new Map(results.map((r) => [r.partition, r.offset])));
      });
    });
  }

  private describeOne(topic: string): Promise<TopicDescription> {
    return new Promise<TopicDescription>((resolve, reject) => {
      this.client.describeTopics([topic], { timeout: this.timeoutMs }, (error, descriptions) => {
        if (error) reject(this.adminError(topic, 'describe', error));
        else if (!descriptions?.[0]) reject(new TopicAdminError(topic, undefined, `describing topic ${topic} returned nothing`));
        else resolve(descriptions[0]);
      });
    });
  }

  private adminError(topic: string, action: string, error: unknown): Error {
    const code = (error as LibrdKafkaError)?.code;
    const message = (error as Error)?.message ?? String(error);
    if (code === ERR__TIMED_OUT || code === ERR__TRANSPORT || code === ERR__ALL_BROKERS_DOWN) {
      return new BrokerUnavailableError(
        this.brokers,
        `could not ${action} topic ${topic}: no answer from Kafka at ${this.brokers} within ${this.timeoutMs} ms (${message})`,
        {
          cause: error,
        },
      );
    }
    return new TopicAdminError(topic, code, `could not ${action} topic ${topic}: ${message}`, { cause: error });
  }
}

/** A standalone admin client for `connection`; close it when done. */
export function createTopicAdmin(connection?: ConnectionOptions): TopicAdmin {
  const resolved = resolveConnection(connection);
  const client = AdminClient.create(baseClientConfig(resolved));
  return new TopicAdmin(client, resolved.connectTimeoutMs, true, resolved.brokers, resolved);
}

/** Creates `topic` unless it exists (see {@link TopicAdmin.ensureTopic}) over a short-lived admin client. */
export async function ensureTopic(topic: string, spec: TopicSpec, connection?: ConnectionOptions): Promise<TopicInfo> {
  const admin = createTopicAdmin(connection);
  try {
    return await admin.ensureTopic(topic, spec);
  } finally {
    admin.close();
  }
}

/** Options of {@link provisionTopic}. */
export interface ProvisionTopicOptions extends TopicSpec {
  /**
   * Where Kafka is.
   * @defaultValue brokers from env `PARTITA_BROKERS`, else `127.0.0.1:9092`
   */
  connection?: ConnectionOptions;
  /**
   * Where the one-line report goes.
   * @defaultValue `console.log`
   */
  print?: (line: string) => void;
}

/**
 * `partita topic create <name> --partitions N`: ensures the topic and prints what it did.
 * Rejects (after printing nothing) when the broker is unreachable or the topic has too few partitions.
 */
export async function provisionTopic(topic: string, options: ProvisionTopicOptions): Promise<TopicInfo> {
  const { connection, print = (line: string) => console.log(line), ...spec } = options;
  const info = await ensureTopic(topic, spec, connection);
  const brokers = resolveConnection(connection).brokers;
  print(
    info.created
      ? `created topic ${topic} with ${info.partitions} partition(s) on ${brokers}`
      : `topic ${topic} already exists with ${info.partitions} partition(s) on ${brokers}; nothing to do`,
  );
  return info;
}

/** Kafka's topic name rules (1..249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`) and no leading `__` (Kafka's internal topics). */
export function validateTopicName(topic: unknown, option = 'topic'): asserts topic is string {
  // One rule for queues everywhere (Worker, Queue, job classes), internal '__' topics included.
  const problem = topicNameProblem(topic);
  if (problem !== undefined) throw new ConfigurationError(option, `${option} ${problem}`);
}

function validateTopicSpec(spec: unknown): asserts spec is TopicSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigurationError('partitions', 'ensureTopic needs { partitions, replicationFactor?, config? }');
  }
  const { partitions, replicationFactor, config, ...rest } = spec as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new ConfigurationError(unknown[0], `unknown topic option(s) ${unknown.join(', ')}; allowed: partitions, replicationFactor, config`);
  }
  if (!Number.isInteger(partitions) || (partitions as number) < 1) {
    throw new ConfigurationError('partitions', `partitions must be an integer >= 1, got ${describeValue(partitions)}`);
  }
  if (replicationFactor !== undefined && (!Number.isInteger(replicationFactor) || ((replicationFactor as number) < 1 && replicationFactor !== -1))) {
    throw new ConfigurationError(
      'replicationFactor',
      `replicationFactor must be an integer >= 1 (or -1 for the broker default), got ${describeValue(replicationFactor)}`,
    );
  }
  if (config !== undefined && (typeof config !== 'object' || config === null || Object.values(config).some((v) => typeof v !== 'string'))) {
    throw new ConfigurationError('config', 'config must be an object of string values, e.g. { "retention.ms": "604800000" }');
  }
}
