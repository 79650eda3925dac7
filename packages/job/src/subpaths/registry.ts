/**
 * `@partita/job/registry`: finding job classes in a module and looking them up by name, as the
 * worker does. For partita's own packages; no semver promise.
 * @packageDocumentation
 */
export { isJobClass, JobRegistry, jobClassesIn } from '../registry';
