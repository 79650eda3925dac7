/**
 * UTF-8 bytes of many small strings (job envelopes) carved out of shared slabs. `Buffer.from`
 * takes them from an 8 KiB pool and allocates a new pool every couple of dozen envelopes, a cost
 * on the enqueue hot path; a larger slab makes that rare. Each result is its own
 * range of the slab (never overwritten), so it can be kept as long as needed; a slab is freed
 * once no result of it is referenced.
 */
const SLAB_BYTES = 256 * 1024;
/** Longer strings get a Buffer of their own: they would waste a slab's tail. */
const MAX_SLAB_STRING = 16 * 1024;

let slab: Buffer | undefined;
let used = 0;

/** The UTF-8 bytes of `text`, in a range of a shared slab that is never overwritten. */
export function utf8Bytes(text: string): Buffer {
  // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
  const worst = text.length * 3;
  if (worst > MAX_SLAB_STRING) return Buffer.from(text, 'utf8');
  if (slab === undefined || SLAB_BYTES - used < worst) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const written = slab.write(text, start, 'utf8');
  // Keep the next range 8-byte aligned, as Buffer's pool does.
  used = (start + written + 7) & ~7;
  return slab.subarray(start, start + written);
}
