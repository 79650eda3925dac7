/**
 * `@partita/job/dispatch`: the seam between `Job.performLater` and the enqueuer that installs itself
 * behind it. For partita's own packages; no semver promise.
 * @packageDocumentation
 */
export { getJobDispatcher, setJobDispatcher } from '../dispatcher';
export type { JobDispatcher, JobRequest } from '../dispatcher';
