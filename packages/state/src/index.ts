/**
 * @partita/state: partita's optional job-state store in Redis (ioredis). Workers record their
 * jobs' life cycle (`attachStateRecorder`), enqueuers reserve job ids and record waiting jobs,
 * and anyone reads it BullMQ style: `getJob`, `getState`, `waitUntilFinished`, `getJobs`,
 * `getJobCounts`, `clean`, and `QueueEvents`. Kafka stays the source of truth for delivery.
 */
export { createStateStore, StateStore } from './store';
export type { StateStoreEvents, WaitingJob } from './store';
export { attachStateRecorder } from './recorder';
export { addJobsWithState } from './enqueue-hook';
export type { JobToAdd } from './enqueue-hook';
export type { RecordedJob, RecordedWorkerEvents, StateRecorder, StateRecorderOptions, StateSink, WorkerEventSource } from './recorder';
export { JobRecord } from './job-record';
export type { JobRecordSource } from './job-record';
export type { JobRecordData } from './codec';
export { QueueEvents } from './queue-events';
export type { QueueEventsListeners, QueueEventsOptions } from './queue-events';
export type { QueueEvent, QueueEventMap, QueueEventName } from './events-stream';
export type { WaitOptions } from './finish-watcher';
export { defaultWorkerId, resolveStateOptions } from './options';
export type { ResolvedStateOptions, StateLogger, StateStoreOptions } from './options';
export { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL, parseRetention } from './retention';
export type { KeepJobs, RetentionRule } from './retention';
export { DEFAULT_PREFIX, QueueKeys } from './keys';
export { FINISHED_STATES, isFinishedState, isJobState, JOB_STATES } from './states';
export type { JobState } from './states';
export { DEFAULT_REDIS_URL } from './connection';
export type { RedisConnection } from './connection';
export type { StateOp } from './ops';
export { JobFailedError, StateConfigError, StateStoreClosedError, StateUnavailableError, WaitAbortedError, WaitTimeoutError } from './errors';
