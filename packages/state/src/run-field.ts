import { parseJsonArray } from '@partita/job/wire';

/**
 * The `run` and `who` fields of a job hash. `run`: the numbers a worker records when a try starts (and, when the
 * try completed in the same write batch, when it finished), packed into one short JSON array:
 * `[processedOn, attemptsStarted, partition, offset, timestamp]`, then `finishedOn, attemptsMade`
 * for a completed try. One field instead of seven keeps the hot path's HSET short (Redis pays per
 * argument), and short enough (under Redis's 64-byte `hash-max-listpack-value`) that the job hash
 * stays in Redis's compact encoding.
 *
 * `who`: the try's worker id, the job's name and key, as a JSON array (strings: not packed with the
 * numbers, so that a long host name grows only this field past 64 bytes).
 *
 * `OpListWriter.numberList` and `stringList` write them (see `encodeOps`). Only `active` and
 * `activeCompleted` writes set them. A field other writes set on its own wins
 * over the same one packed here (see {@link mergeRunField}), except the counters, which only grow.
 */
export interface RunField {
  processedOn: number;
  attemptsStarted: number;
  partition: number;
  offset: number;
  timestamp: number;
  finishedOn?: number;
  attemptsMade?: number;
}

/** The `run` field's values; undefined when absent or malformed. */
export function decodeRunField(text: string | undefined): RunField | undefined {
  const parsed = parseJsonArray(text);
  if (!parsed || parsed.length < 5 || !parsed.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  const [processedOn, attemptsStarted, partition, offset, timestamp, finishedOn, attemptsMade] = parsed as number[];
  return { processedOn: processedOn, attemptsStarted: attemptsStarted, partition: partition, offset: offset, timestamp: timestamp, finishedOn, attemptsMade };
}

/** The `who` field's values; undefined when absent or malformed. */
export function decodeWhoField(text: string | undefined): { workerId: string; name: string; key: string | null } | undefined {
  const parsed = parseJsonArray(text);
  if (parsed?.length !== 3) return undefined;
  const [workerId, name, key] = parsed;
  if (typeof workerId !== 'string' || typeof name !== 'string' || (typeof key !== 'string' && key !== null)) return undefined;
  return { workerId, name, key };
}

/**
 * The job hash with its `run` field folded in, as field texts (the form of the other fields).
 * `processedOn` and `attemptsStarted` come from `run` (only a try's start writes them);
 * `attemptsMade` is the larger of the two; for the rest a field written on its own wins, since it
 * comes from a later step of the job (a completion, a dead-lettering) or from its enqueuer, which
 * knows the same values.
 */
export function mergeRunField(hash: Record<string, string>): Record<string, string> {
  const run = decodeRunField(hash.run);
  const who = decodeWhoField(hash.who);
  if (!run && !who) return hash;
  const merged: Record<string, string> = {};
  if (who) {
    merged.workerId = who.workerId;
    merged.name = who.name;
    merged.key = JSON.stringify(who.key);
  }
  if (run) {
    merged.partition = String(run.partition);
    merged.offset = String(run.offset);
    merged.timestamp = String(run.timestamp);
    if (run.finishedOn !== undefined) merged.finishedOn = String(run.finishedOn);
  }
  Object.assign(merged, hash);
  delete merged.run;
  delete merged.who;
  if (!run) return merged;
  merged.processedOn = String(run.processedOn);
  merged.attemptsStarted = String(run.attemptsStarted);
  if (run.attemptsMade !== undefined) merged.attemptsMade = String(Math.max(run.attemptsMade, Number(hash.attemptsMade) || 0));
  return merged;
}
