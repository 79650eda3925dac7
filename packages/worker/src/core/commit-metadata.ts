/**
 * Commit metadata: what a partition's next owner (after a revocation or a crash) needs beyond the
 * committed offset.
 * - The offsets above the commit point that already finished, so they are skipped instead of run
 *   again. Kafka commits one offset per partition; with virtual partitions jobs finish out of order,
 *   and without this every finished job above the lowest unfinished one would run twice.
 * - The tries of unfinished jobs, so that attempts survive rebalances and crashes, and a job that
 *   kills its worker ends in the dead letter queue instead of crash-looping the group.
 *
 * Format: `pt2:` then the finished offsets as base-36 deltas (from the commit point, then from the
 * previous offset) joined by `.`; then, when any job has tries to record, `;` and entries
 * `<delta from the commit point>-<tries used>[R|I]` joined by `.` (base 36): `R` = the try was
 * running at the time of the commit, `I` = running alone in its partition (see {@link JobTries}).
 * `pt1:` (finished offsets only) is still read. Bounded to `maxChars`; finished offsets that do not
 * fit would run again, which is why the engine applies back-pressure before that happens.
 */
const PREFIX_V1 = 'pt1:';
const PREFIX = 'pt2:';

/** Kafka's default `offset.metadata.max.bytes` is 4096; stay well below it. */
export const DEFAULT_METADATA_MAX_CHARS = 3000;

/** At most this many characters of the metadata go to job tries; the rest is for finished offsets. */
const MAX_TRIES_CHARS = 600;

/** What the metadata records of one unfinished job's tries. */
export interface JobTries {
  /** Tries used: failed, or ended with the worker's death. */
  tries: number;
  /** A try was running when this was committed: if no later commit came, its worker died during it. */
  running: boolean;
  /** That try ran alone in its partition, so a death during it is blamed on it. */
  isolated: boolean;
}

/** The committed state of a partition as partita wrote it. */
export interface CommittedProgress {
  /** Offsets above the commit point that finished. */
  finished: Set<number>;
  /** Tries of unfinished jobs, by offset. */
  tries: Map<number, JobTries>;
}

/** Encodes the finished offsets (ascending) and the tries of unfinished jobs above `commitPoint`. */
export function encodeCommitMetadata(
  commitPoint: number,
  finished: readonly number[],
  tries?: ReadonlyMap<number, JobTries>,
  maxChars = DEFAULT_METADATA_MAX_CHARS,
): string {
  const triesText = tries && tries.size > 0 ? encodeTries(commitPoint, tries) : '';
  const budget = maxChars - (triesText ? triesText.length + 1 : 0);
  let text = PREFIX;
  let previous = commitPoint;
  for (const offset of finished) {
    if (offset < previous) continue;
    const part = (text.length > PREFIX.length ? '.' : '') + (offset - previous).toString(36);
    if (text.length + part.length > budget) break;
    text += part;
    previous = offset;
  }
  if (triesText) return `${text};${triesText}`;
  return text === PREFIX ? '' : text;
}

function encodeTries(commitPoint: number, tries: ReadonlyMap<number, JobTries>): string {
  let text = '';
  for (const [offset, entry] of tries) {
    if (offset < commitPoint || (entry.tries === 0 && !entry.running)) continue;
    const flag = entry.isolated ? 'I' : entry.running ? 'R' : '';
    const part = `${text ? '.' : ''}${(offset - commitPoint).toString(36)}-${entry.tries.toString(36)}${flag}`;
    if (text.length + part.length > MAX_TRIES_CHARS) break;
    text += part;
  }
  return text;
}

/** The finished offsets only (kept for readers that need nothing else). */
export function encodeFinishedOffsets(commitPoint: number, finished: readonly number[], maxChars = DEFAULT_METADATA_MAX_CHARS): string {
  return encodeCommitMetadata(commitPoint, finished, undefined, maxChars);
}

/** The committed progress recorded in a commit's metadata; empty for anything not written by partita. */
export function decodeCommitMetadata(commitPoint: number, metadata: string | null | undefined): CommittedProgress {
  const empty = (): CommittedProgress => ({ finished: new Set(), tries: new Map() });
  if (!metadata) return empty();
  const v1 = metadata.startsWith(PREFIX_V1);
  if (!v1 && !metadata.startsWith(PREFIX)) return empty();
  const body = metadata.slice(PREFIX.length);
  const semicolon = v1 ? -1 : body.indexOf(';');
  const finishedText = semicolon < 0 ? body : body.slice(0, semicolon);
  const progress = empty();
  let previous = commitPoint;
  if (finishedText) {
    for (const part of finishedText.split('.')) {
      const delta = parseBase36(part);
      if (delta === undefined) return empty(); // not ours or damaged: trust nothing
      previous += delta;
      progress.finished.add(previous);
    }
  }
  if (semicolon >= 0) {
    for (const part of body.slice(semicolon + 1).split('.')) {
      const match = /^([0-9a-z]+)-([0-9a-z]+)([RI]?)$/.exec(part);
      const delta = match ? parseBase36(match[1]) : undefined;
      const tries = match ? parseBase36(match[2]) : undefined;
      if (!match || delta === undefined || tries === undefined) return empty();
      progress.tries.set(commitPoint + delta, { tries, running: match[3] !== '', isolated: match[3] === 'I' });
    }
  }
  return progress;
}

/** The finished offsets recorded in a commit's metadata; empty for anything not written by partita. */
export function decodeFinishedOffsets(commitPoint: number, metadata: string | null | undefined): Set<number> {
  return decodeCommitMetadata(commitPoint, metadata).finished;
}

function parseBase36(text: string): number | undefined {
  if (!/^[0-9a-z]+$/.test(text)) return undefined;
  const n = parseInt(text, 36);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
