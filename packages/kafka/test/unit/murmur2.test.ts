import { murmur2, partitionForKey } from '../../src/murmur2';

describe('murmur2 (Kafka Utils.murmur2)', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%j) = %d', (key, expected) => {
    expect(murmur2(key)).toBe(expected);
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected);
  });

  it('hashes every tail length (0..3 bytes after the 4-byte blocks) as signed 32-bit ints', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg']) {
      const h = murmur2(key);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(h).toBeLessThan(2 ** 31);
    }
  });

  it('hashes strings as UTF-8 bytes', () => {
    expect(murmur2('Grüße')).toBe(murmur2(Buffer.from('Grüße', 'utf8')));
    expect(murmur2('Grüße')).not.toBe(murmur2(Buffer.from('Grüße', 'latin1')));
  });
});

describe('partitionForKey', () => {
  it('is toPositive(murmur2(key)) % count, as the Java client', () => {
    // -973932308 & 0x7fffffff = 1173551340
    expect(partitionForKey('21', 12)).toBe(1173551340 % 12);
    expect(partitionForKey('foobar', 3)).toBe((-790332482 & 0x7fffffff) % 3);
    expect(partitionForKey('abc', 1)).toBe(0);
  });

  it('spreads keys over all partitions and stays in range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const p = partitionForKey(`user-${i}`, 12);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(12);
      seen.add(p);
    }
    expect(seen.size).toBe(12);
  });

  it('rejects a partition count below 1', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
    expect(() => partitionForKey('k', 1.5)).toThrow(RangeError);
  });
});
