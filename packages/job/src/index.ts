export { Job, jobNameOf, queueOf, resolveJobOptions } from './job';
export type { JobClass, JobData, JobResult } from './job';
export type { JobContext } from './context';
export { isJobClass, JobRegistry, jobClassesIn } from './registry';
export {
  DEFAULT_ATTEMPTS,
  MAX_ATTEMPTS,
  mergeJobOptions,
  validateAttempts,
  validateDeadLetter,
  validateJobOptions,
  validatePartition,
  validateTimeout,
  wireOptionsProblem,
} from './options';
export { isTopicName, MAX_TOPIC_NAME_LENGTH, topicNameProblem } from './topic-name';
export type { DispatchMethod, JobDescriptor, JobOptions, PartitionKeyType, WireJobOptions } from './options';
export { backoffDelay, backoffProblem, clampDelay, MAX_DELAY_MS, validateBackoff } from './backoff';
export type { Backoff, BackoffOptions, BackoffProblem } from './backoff';
export { decodeEnvelope, encodeEnvelope, envelopeHeaders, ENVELOPE_VERSION, JOB_HEADER, jobHeaderValue, peekEnvelopeId, readJobHeader } from './envelope';
export type { JobHeader } from './envelope';
export type { Envelope, JobHeaders } from './envelope';
export { getJobDispatcher, setJobDispatcher } from './dispatcher';
export type { EnqueueOptions, EnqueueResult, JobDispatcher, JobRequest } from './dispatcher';
export {
  EnqueuerMissingError,
  JobTimeoutError,
  JobValidationError,
  PartitaError,
  PoisonMessageError,
  SerializationError,
  UnrecoverableError,
  WorkerCrashedError,
} from './errors';
export type { PoisonReason } from './errors';
export { TypedEmitter } from './typed-emitter';
export { toSuperJsonText } from './wire-json';
export { parseJsonArray } from './json-array';
export type { JobInfo } from './job-info';
export { ENCODED_ENVELOPE } from './job-info';
