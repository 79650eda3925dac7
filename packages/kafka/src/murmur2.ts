/**
 * Kafka's key hash: the 32-bit murmur2 of the key's UTF-8 bytes, exactly as the Java client's
 * `Utils.murmur2` (and librdkafka's `murmur2`/`murmur2_random` partitioners) compute it, so that a key
 * maps to the same partition whichever client produced it.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Returns the signed 32-bit murmur2 hash of `key` (a string is hashed as UTF-8). */
export function murmur2(key: string | Uint8Array): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  // `| 0` keeps every intermediate a signed 32-bit integer, as Java's int arithmetic;
  // Math.imul gives the low 32 bits of the product, as Java's int multiplication.
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    // Little-endian 4-byte block.
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Tail: the remaining 1..3 bytes, as the fall-through switch of the Java original.
  const tail = length & 3;
  if (tail >= 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) {
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition Kafka's default partitioner picks for a non-null key:
 * `toPositive(murmur2(key)) % partitionCount`, where `toPositive` clears the sign bit.
 */
export function partitionForKey(key: string | Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be an integer >= 1, got ${partitionCount}`);
  }
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
