/**
 * @partita/enqueuer: enqueue partita jobs to Kafka, with `new Queue(name).add(...)` (BullMQ style)
 * or `MyJob.performLater(data)` (Active Job style) through the default enqueuer.
 *
 * Importing this module installs the default enqueuer behind `Job.performLater`.
 * @packageDocumentation
 */
export { Queue } from './queue';
export type { BulkJob, QueueListener, QueueOptions } from './queue';
export type { QueueStateOption } from './queue-state';
export { Enqueuer } from './enqueuer';
export type { EnqueuerOptions } from './enqueuer';
export { closeDefaultEnqueuer, configure, getDefaultEnqueuer } from './default-enqueuer';
export type { ConfigureOptions } from './default-enqueuer';
export { ensureTopic } from '@partita/kafka';
export type { ConnectionOptions, ProducerOptions, TopicInfo, TopicSpec } from '@partita/kafka';
export {
  BrokerUnavailableError,
  ConfigurationError,
  DeliveryError,
  EnqueuerClosedError,
  EnqueueTimeoutError,
  StateModuleMissingError,
  StateNotEnabledError,
  TopicAdminError,
  TopicConfigUnavailableError,
  TopicMismatchError,
  TopicNotFoundError,
} from './errors';

// Installs the default enqueuer as @partita/job's dispatcher (side effect of loading it).
import './default-enqueuer';
