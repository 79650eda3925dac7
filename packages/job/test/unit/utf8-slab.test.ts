import { utf8Bytes } from '../../src/utf8-slab';

describe('utf8Bytes', () => {
  it('returns the UTF-8 bytes of each string, each in a range of its own', () => {
    const texts = ['{"json":1}', 'héllo wörld ✓', '𝄞 clef', '', 'x'.repeat(1000)];
    const buffers = texts.map((t) => utf8Bytes(t));
    buffers.forEach((b, i) => expect(b.equals(Buffer.from(texts[i], 'utf8'))).toBe(true));
    // Later writes never overwrite earlier results.
    for (let i = 0; i < 2000; i++) utf8Bytes(`filler ${i} ${'y'.repeat(200)}`);
    buffers.forEach((b, i) => expect(b.toString('utf8')).toBe(texts[i]));
  });

  it('moves to a new slab when the current one is full, and gives long strings their own buffer', () => {
    const long = 'z'.repeat(20_000);
    expect(utf8Bytes(long).toString()).toBe(long);
    const many = Array.from({ length: 3000 }, (_, i) => `${i}:${'a'.repeat(150)}`);
    const out = many.map((t) => utf8Bytes(t));
    expect(out.every((b, i) => b.toString() === many[i])).toBe(true);
    expect(new Set(out.map((b) => b.buffer)).size).toBeGreaterThan(1);
  });
});
