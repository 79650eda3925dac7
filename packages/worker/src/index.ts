/**
 * `@partita/worker`: runs partita jobs from Kafka. Jobs with the same key run one at a time in
 * order, the others in parallel (virtual partitions), at-least-once.
 * @packageDocumentation
 */
export { shutdownBudget, Worker } from './worker';
export type { WorkerHandler } from './worker';
export type { ResolvedWorkerConfig, VirtualPartitionOptions, WorkerOptions } from './config';
export type { ConnectionOptions } from '@partita/kafka';
export type { DeadLetterInfo, FailureInfo, JobInfo, TopicPartition, WorkerEvents } from './events';
export type { Processor } from './engine/runner';
export type { LaneDistribution, VirtualPartitioner } from './core/lane-router';
export type { RoutableMessage } from './core/inbound-message';
export type { BackoffStrategy } from './core/retry-policy';
export {
  CommitError,
  DeadLetterTopicMissingError,
  DeadLetterWriteError,
  KafkaClientError,
  KafkaConnectError,
  ListenerError,
  QueueTopicMissingError,
  RevokedError,
  ShutdownError,
  ShutdownTimeoutError,
  StateModuleMissingError,
  ThrownValueError,
  WorkerConfigError,
} from './errors';
export { readDeadJobs } from './dead-letter/reader';
export { replayDeadJobs } from './dead-letter/replay';
export type { DeadJob } from './dead-letter/dead-job';
export type { ReplayOutcome } from './dead-letter/replay';
