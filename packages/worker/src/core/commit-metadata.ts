/**
 * Commit metadata: the offsets above the commit point that already finished, so that the next owner
 * of a partition (after a revocation or a crash) skips them instead of running them again. Kafka
 * commits one offset per partition; with virtual partitions jobs finish out of order, and without
 * this every finished job above the lowest unfinished one would run twice.
 *
 * Format: `pt1:` then the finished offsets as base-36 deltas (from the commit point, then from the
 * previous offset) joined by `.`. Bounded to `maxChars`; offsets that do not fit just run again.
 */
const PREFIX = 'pt1:';

/** Kafka's default `offset.metadata.max.bytes` is 4096; stay well below it. */
export const DEFAULT_METADATA_MAX_CHARS = 3000;

export function encodeFinishedOffsets(commitPoint: number, finished: readonly number[], maxChars = DEFAULT_METADATA_MAX_CHARS): string {
  if (finished.length === 0) return '';
  let text = PREFIX;
  let previous = commitPoint;
  for (const offset of finished) {
    if (offset < previous) continue;
    const part = (text.length > PREFIX.length ? '.' : '') + (offset - previous).toString(36);
    if (text.length + part.length > maxChars) break;
    text += part;
    previous = offset;
  }
  return text === PREFIX ? '' : text;
}

/** The finished offsets recorded in a commit's metadata; empty for anything not written by partita. */
export function decodeFinishedOffsets(commitPoint: number, metadata: string | null | undefined): Set<number> {
  const done = new Set<number>();
  if (!metadata || !metadata.startsWith(PREFIX)) return done;
  let previous = commitPoint;
  for (const part of metadata.slice(PREFIX.length).split('.')) {
    const delta = parseInt(part, 36);
    if (!Number.isSafeInteger(delta) || delta < 0) return new Set(); // not ours or damaged: trust nothing
    previous += delta;
    done.add(previous);
  }
  return done;
}
