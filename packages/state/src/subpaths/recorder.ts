/**
 * `@partita/state/recorder`: the recorder's side of the state store as @partita/worker wires it:
 * the worker events it listens to and the sink it writes to. For partita's own packages; no semver
 * promise.
 * @packageDocumentation
 */
export { attachStateRecorder } from '../write/recorder';
export type { RecordedJob, RecordedWorkerEvents, StateRecorder, StateRecorderOptions, StateSink, WorkerEventSource } from '../write/recorder';
export type { StateOp } from '../write/ops';
