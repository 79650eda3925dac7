import {
  decodeCommitMetadata,
  decodeFinishedOffsets,
  DEFAULT_METADATA_MAX_CHARS,
  encodeCommitMetadata,
  encodeFinishedOffsets,
} from '../../src/core/commit-metadata';

describe('commit metadata (finished offsets above the commit point)', () => {
  it('is empty when nothing above the commit point finished', () => {
    expect(encodeFinishedOffsets(10, [])).toBe('');
    expect(decodeFinishedOffsets(10, '')).toEqual(new Set());
  });

  it('encodes base-36 deltas from the commit point, then from the previous offset', () => {
    expect(encodeFinishedOffsets(10, [11, 13, 50])).toBe('pt2:1.2.11');
    expect(decodeFinishedOffsets(10, 'pt1:1.2.11')).toEqual(new Set([11, 13, 50]));
  });

  it('round-trips offsets, large ones included', () => {
    const commitPoint = 9_007_199_254;
    const finished = [commitPoint + 1, commitPoint + 2, commitPoint + 1000, commitPoint + 123_456];
    expect(decodeFinishedOffsets(commitPoint, encodeFinishedOffsets(commitPoint, finished))).toEqual(new Set(finished));
  });

  it('skips offsets below the commit point (they are committed anyway)', () => {
    expect(decodeFinishedOffsets(10, encodeFinishedOffsets(10, [3, 12]))).toEqual(new Set([12]));
  });

  it('stays within maxChars, keeping the lowest offsets (the others just run again)', () => {
    const finished = Array.from({ length: 2000 }, (_, i) => 100 + 2 * (i + 1));
    const text = encodeFinishedOffsets(100, finished);
    expect(text.length).toBeLessThanOrEqual(DEFAULT_METADATA_MAX_CHARS);
    const decoded = [...decodeFinishedOffsets(100, text)];
    expect(decoded.length).toBeGreaterThan(0);
    expect(decoded.length).toBeLessThan(finished.length);
    expect(decoded).toEqual(finished.slice(0, decoded.length));
    const tiny = encodeFinishedOffsets(0, [1, 2, 3, 4], 9);
    expect(tiny.length).toBeLessThanOrEqual(9);
    expect(decodeFinishedOffsets(0, tiny)).toEqual(new Set([1, 2, 3]));
    // Not even one offset fits: no metadata at all.
    expect(encodeFinishedOffsets(0, [1], 4)).toBe('');
  });

  it('trusts nothing that partita did not write, or that is damaged', () => {
    for (const metadata of [null, undefined, '', 'hello', 'pt3:1.2', 'pt1:', 'pt1:1..2', 'pt1:-1', 'pt1:1.%']) {
      expect(decodeFinishedOffsets(10, metadata)).toEqual(new Set());
    }
  });

  it('is Kafka-safe text: ASCII only, well under offset.metadata.max.bytes', () => {
    const text = encodeFinishedOffsets(
      0,
      Array.from({ length: 10_000 }, (_, i) => i * 7 + 1),
    );
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
  });
});

describe('tries of unfinished jobs (pt2)', () => {
  it('round-trips finished offsets and tries with their running / alone marks', () => {
    const tries = new Map([
      [12, { tries: 0, running: true, isolated: false }],
      [40, { tries: 3, running: false, isolated: false }],
      [41, { tries: 35, running: true, isolated: true }],
    ]);
    const text = encodeCommitMetadata(10, [11, 13], tries);
    expect(text).toBe('pt2:1.2;2-0R.u-3.v-zI');
    const decoded = decodeCommitMetadata(10, text);
    expect(decoded.finished).toEqual(new Set([11, 13]));
    expect(decoded.tries).toEqual(tries);
  });

  it('still reads pt1, and trusts nothing of a damaged tries section', () => {
    expect(decodeCommitMetadata(10, 'pt1:1.2').finished).toEqual(new Set([11, 13]));
    for (const bad of ['pt2:1;x', 'pt2:1;1-', 'pt2:1;-1', 'pt2:1;1-1Q', 'pt2:1;1-1.']) {
      const decoded = decodeCommitMetadata(10, bad);
      expect(decoded.finished).toEqual(new Set());
      expect(decoded.tries).toEqual(new Map());
    }
  });

  it('keeps the tries within their share of the limit, leaving the rest to finished offsets', () => {
    const tries = new Map(Array.from({ length: 1000 }, (_, i) => [100 + i * 1000, { tries: 1, running: false, isolated: false }] as const));
    const text = encodeCommitMetadata(
      100,
      Array.from({ length: 5000 }, (_, i) => 101 + i),
      new Map(tries),
    );
    expect(text.length).toBeLessThanOrEqual(DEFAULT_METADATA_MAX_CHARS);
    const decoded = decodeCommitMetadata(100, text);
    expect(decoded.tries.size).toBeGreaterThan(50);
    expect(decoded.finished.size).toBeGreaterThan(1000);
  });
});
