/**
 * Compact job records. A job that started and completed in one write batch, with no earlier
 * record (its enqueuer records no state), is stored as one field of the queue's compact hash
 * (`QueueKeys.compact`), not as a hash of its own: Redis then writes a batch of such jobs with one
 * command instead of one per job, the largest part of the state store's cost in Redis.
 *
 * The value is the fields such a job's hash would hold, newline-separated:
 * `run \n who \n data \n returnvalue` (see `run-field.ts`; data and returnvalue are superjson text
 * or empty). JSON text never holds a raw newline, so the separator cannot occur in the fields.
 * Its state is `completed`. The worker side sends an `AC` op's fields joined this way already
 * (`encodeOps`), and the apply script stores the text as it came: splitting and joining it in Lua
 * made Redis hash (intern) each byte twice more. The script turns a compact record back into a job
 * hash before any later write to the job (see `APPLY_SCRIPT`).
 *
 * Completion records (`QueueKeys.completions`, see {@link jobHashOf}) have the same form, and the
 * script likewise writes one into its job's hash before any later write to the job.
 */

import type { ChainableCommander } from 'ioredis';
import type { QueueKeys } from '../redis/keys';

/** A compact record as the job hash it stands for (the form `decodeJobHash` reads). */
export function expandCompactRecord(text: string | null | undefined): Record<string, string> | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split('\n');
  if (parts.length !== 4) return undefined;
  const [run, who, data, returnvalue] = parts as [string, string, string, string];
  const hash: Record<string, string> = { state: 'completed', run, who };
  if (data !== '') hash.data = data;
  if (returnvalue !== '') hash.returnvalue = returnvalue;
  return hash;
}

/**
 * The job's hash as the reads of its three places give it: its own hash (`{}` when none), its
 * compact record, and its completion record (see below). Read them in one pipeline in the order
 * compact record, completion record, hash: a compact record only ever leaves for a hash of its
 * own, and a completion record for the hash it lies over, so each read finds the job.
 *
 * A completion record is a compact record without data (`run \n who \n \n returnvalue`) of a
 * first try that completed while its enqueuer's hash said `waiting`: Redis writes a batch of
 * them with one command and leaves the hashes as they were. Laid over the hash, it gives the
 * state, the try's fields and the result; the hash gives the data, options and enqueue time.
 */
export function jobHashOf(own: Record<string, string>, compactText: string | null | undefined, completionText?: string | null): Record<string, string> {
  if (Object.keys(own).length === 0) return expandCompactRecord(compactText) ?? {};
  const completion = expandCompactRecord(completionText);
  return completion === undefined ? own : { ...own, ...completion };
}

/**
 * Adds the reads of a job's compact and completion records to `pipeline`, in the order
 * {@link jobHashOf} needs them: before the read of the job's own hash, which the caller adds next.
 */
export function readRecords(pipeline: ChainableCommander, keys: QueueKeys, id: string): ChainableCommander {
  return pipeline.hget(keys.compact, id).hget(keys.completions, id);
}
