/**
 * `@partita/worker/dead-letter`: the header names of dead letter records and of replayed jobs, for
 * tools that read a dead letter topic or a queue without partita's reader. Stable as the record
 * format is; no other semver promise.
 * @packageDocumentation
 */
export { DLQ_HEADERS } from '../dead-letter/record';
export { REPLAY_HEADERS } from '../dead-letter/replay';
