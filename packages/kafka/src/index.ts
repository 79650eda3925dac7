/**
 * @partita/kafka: the Kafka plumbing partita's packages share. It is internal: apps use
 * @partita/enqueuer and @partita/worker, which re-export what users need of it (connection
 * options, the errors), and nothing here follows semver on its own.
 *
 * - connection: broker list, client id and timeouts from options or `PARTITA_*` env
 * - producer: one shared librdkafka producer per connection, with its fast and acked channels
 * - topic admin: create, describe and check queue topics and their configs
 * - murmur2: Kafka's default key partitioner, so an enqueuer can place a key itself
 * @packageDocumentation
 */
export {
  assertPositiveMs,
  baseClientConfig,
  DEFAULT_BROKERS,
  DEFAULT_CLIENT_ID,
  DEFAULT_CONNECT_TIMEOUT_MS,
  resolveBrokers,
  resolveConnection,
} from './connection';
export type { ConnectionOptions, ResolvedConnection } from './connection';
export {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_QUEUED_MESSAGES,
  flushAllProducers,
  getProducer,
  producerConfig,
  resolveProducerOptions,
} from './producer';
export type {
  DeliveryFailureListener,
  DeliveryResult,
  OutgoingMessage,
  ProduceOptions,
  ProducerChannel,
  ProducerHandle,
  ProducerOptions,
  ResolvedProducerOptions,
} from './producer';
export { createTopicAdmin, ensureTopic, provisionTopic, TopicAdmin, validateTopicName } from './topic-admin';
export type { PartitionWatermarks, ProvisionTopicOptions, TopicInfo, TopicSpec } from './topic-admin';
export { describeTopicConfigs } from './topic-config';
export type { TopicConfigs } from './topic-config';
export { murmur2, partitionForKey } from './murmur2';
export {
  BrokerUnavailableError,
  ConfigurationError,
  DeliveryError,
  EnqueuerClosedError,
  EnqueueTimeoutError,
  TopicAdminError,
  TopicConfigUnavailableError,
  TopicMismatchError,
  TopicNotFoundError,
} from './errors';
