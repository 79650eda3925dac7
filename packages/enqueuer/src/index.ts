/**
 * @partita/enqueuer: enqueue partita jobs to Kafka, with `new Queue(name).add(...)` (BullMQ style)
 * or `MyJob.performLater(data)` (Active Job style) through the default enqueuer.
 *
 * Importing this module installs the default enqueuer behind `Job.performLater`.
 */
export { Queue } from './queue';
export { StateNotEnabledError } from './queue-state';
export type { QueueStateOption } from './queue-state';
export type { BulkJob, QueueEvents, QueueOptions } from './queue';
export { Enqueuer } from './enqueuer';
export type { EnqueuerOptions } from './enqueuer';
export { closeDefaultEnqueuer, configure, getDefaultEnqueuer } from './default-enqueuer';
export type { ConfigureOptions } from './default-enqueuer';
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
  ProducerHandle,
  ProducerOptions,
  ResolvedProducerOptions,
} from './producer';
export { createTopicAdmin, ensureTopic, provisionTopic, TopicAdmin, validateTopicName } from './topic-admin';
export type { PartitionWatermarks, ProvisionTopicOptions, TopicInfo, TopicSpec } from './topic-admin';
export { TopicConfigUnavailableError } from './topic-config';
export type { TopicConfigs } from './topic-config';
export { murmur2, partitionForKey } from './murmur2';
export {
  assertMessageSize,
  buildJobMessage,
  DEFAULT_MAX_MESSAGE_BYTES,
  needsPartitionCount,
  placeJob,
  prepareJob,
  validateEnqueueOptions,
} from './job-message';
export type { JobMessage, PreparedJob, PrepareJobDeps } from './job-message';
export {
  BrokerUnavailableError,
  ConfigurationError,
  DeliveryError,
  EnqueuerClosedError,
  EnqueueTimeoutError,
  TopicAdminError,
  TopicMismatchError,
  TopicNotFoundError,
} from './errors';

// Installs the default enqueuer as @partita/job's dispatcher (side effect of loading it).
import './default-enqueuer';
