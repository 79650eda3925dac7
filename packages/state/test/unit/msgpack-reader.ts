/**
 * Reads what `OpListWriter` writes (MessagePack arrays and strings only), so that tests can
 * check the op list as the apply script's `cmsgpack.unpack` sees it. Anything else throws.
 */
export function readOpList(bytes: Buffer): unknown {
  let at = 0;
  const value = (): unknown => {
    const b = bytes[at++]!;
    if (b >= 0xa0 && b <= 0xbf) return text(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return list(b & 0x0f);
    switch (b) {
      case 0xd9:
        return text(bytes[at++]!);
      case 0xda:
        at += 2;
        return text(bytes.readUInt16BE(at - 2));
      case 0xdb:
        at += 4;
        return text(bytes.readUInt32BE(at - 4));
      case 0xdc:
        at += 2;
        return list(bytes.readUInt16BE(at - 2));
      case 0xdd:
        at += 4;
        return list(bytes.readUInt32BE(at - 4));
      default:
        throw new Error(`unexpected MessagePack type 0x${b.toString(16)} at byte ${at - 1}`);
    }
  };
  const text = (length: number): string => {
    if (at + length > bytes.length) throw new Error('string runs past the end');
    at += length;
    return bytes.toString('utf8', at - length, at);
  };
  const list = (count: number): unknown[] => Array.from({ length: count }, value);
  const result = value();
  if (at !== bytes.length) throw new Error(`${bytes.length - at} byte(s) after the list`);
  return result;
}
