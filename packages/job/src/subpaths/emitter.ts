/**
 * `@partita/job/emitter`: an EventEmitter typed by an event map, the base of every partita class
 * that emits events. For partita's own packages; no semver promise.
 * @packageDocumentation
 */
export { TypedEmitter } from '../typed-emitter';
