/**
 * @partita/state: partita's optional job-state store in Redis (ioredis). Workers record their
 * jobs' life cycle (`attachStateRecorder`), enqueuers reserve job ids and record waiting jobs,
 * and anyone reads it BullMQ style: `getJob`, `getState`, `waitUntilFinished`, `getJobs`,
 * `getJobCounts`, `clean`, and `QueueEvents`. Kafka stays the source of truth for delivery.
 *
 * partita's own packages reach its plumbing through the subpaths `@partita/state/enqueue` and
 * `@partita/state/recorder`.
 * @packageDocumentation
 */
export { createStateStore, StateStore } from './store';
export type { StateStoreEvents, WaitingJob } from './store';
export type { ResolvedStateOptions, StateLogger, StateStoreOptions } from './options';
export type { KeepJobs } from './write/retention';
export type { RedisConnection } from './redis/connection';
export { attachStateRecorder } from './write/recorder';
export type { StateRecorder, StateRecorderOptions } from './write/recorder';
export { JobRecord } from './read/job-record';
export type { JobRecordData } from './codec';
export type { WaitOptions } from './read/finish-watcher';
export { QueueEvents } from './read/queue-events';
export type { QueueEventsListeners, QueueEventsOptions } from './read/queue-events';
export type { QueueEventMap, QueueEventName } from './read/events-stream';
export { FINISHED_STATES, isFinishedState, isJobState, JOB_STATES } from './states';
export type { JobState } from './states';
export { JobFailedError, StateConfigError, StateStoreClosedError, StateUnavailableError, WaitAbortedError, WaitTimeoutError } from './errors';
