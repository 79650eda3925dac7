/**
 * @partita/job: job classes and the types every partita package shares: define a job by extending
 * `Job`, enqueue it with `MyJob.performLater(data)` (through @partita/enqueuer), run it with a
 * @partita/worker.
 * @packageDocumentation
 */
export { Job } from './job';
export type { JobClass, JobData, JobResult } from './job';
export type { JobContext } from './context';
export type { DispatchMethod, JobDescriptor, JobOptions, PartitionKeyType } from './options';
export type { Backoff, BackoffOptions } from './backoff';
export type { EnqueueOptions, EnqueueResult } from './dispatcher';
export type { JobInfo } from './job-info';
export {
  EnqueuerMissingError,
  JobTimeoutError,
  JobValidationError,
  PartitaError,
  PoisonMessageError,
  SerializationError,
  StateModuleMissingError,
  UnrecoverableError,
  WorkerCrashedError,
} from './errors';
export type { PoisonReason } from './errors';
