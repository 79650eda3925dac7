/**
 * `@partita/state/enqueue`: what @partita/enqueuer needs of the state store to add jobs with
 * state (job-id de-duplication, then `waiting` records). For partita's own packages; no semver
 * promise.
 * @packageDocumentation
 */
export { addJobsWithState } from '../write/enqueue-hook';
export type { JobToAdd } from '../write/enqueue-hook';
