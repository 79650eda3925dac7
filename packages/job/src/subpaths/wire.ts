/**
 * `@partita/job/wire`: the bytes of a job on Kafka (the envelope, its headers and the JSON helpers
 * that read it). For partita's own packages; no semver promise.
 * @packageDocumentation
 */
export { decodeEnvelope, encodeEnvelope, envelopeHeaders, ENVELOPE_VERSION, JOB_HEADER, jobHeaderValue, peekEnvelopeId, readJobHeader } from '../envelope';
export type { Envelope, JobHeader, JobHeaders } from '../envelope';
export { ENCODED_ENVELOPE } from '../job-info';
export { toSuperJsonText } from '../wire-json';
export { parseJsonArray } from '../json-array';
export { utf8Bytes } from '../utf8-slab';
export { wireOptionsProblem } from '../options';
export type { WireJobOptions } from '../options';
