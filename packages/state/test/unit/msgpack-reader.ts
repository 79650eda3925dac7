/**
 * Reads what `OpListWriter` writes (MessagePack arrays and strings only), so that tests can
 * check the op list as the apply script's `cmsgpack.unpack` sees it. Anything else throws.
 */
export function readOpList(bytes: Buffer): unknown {
  let at = 0;
  const value = (): unknown => {
    const b = bytes[at++];
    if (b >= 0xa0 && b <= 0xbf) return text(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return list(b & 0x0f);
    switch (b) {
      case 0xd9:
        return text(length(1));
      case 0xda:
        return text(length(2));
      case 0xdb:
        return text(length(4));
      case 0xdc:
        return list(length(2));
      case 0xdd:
        return list(length(4));
      default:
        throw new Error(`unexpected MessagePack type 0x${b.toString(16)} at byte ${at - 1}`);
    }
  };
  /** A big-endian length of `width` bytes. */
  const length = (width: number): number => {
    at += width;
    return bytes.readUIntBE(at - width, width);
  };
  const text = (size: number): string => {
    if (at + size > bytes.length) throw new Error('string runs past the end');
    at += size;
    return bytes.toString('utf8', at - size, at);
  };
  const list = (count: number): unknown[] => Array.from({ length: count }, value);
  const result = value();
  if (at !== bytes.length) throw new Error(`${bytes.length - at} byte(s) after the list`);
  return result;
}
