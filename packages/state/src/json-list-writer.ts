/**
 * Writes the apply script's op list (a JSON array of arrays of strings) straight into bytes.
 * Building per-op arrays of strings and `JSON.stringify`-ing them allocated about a kilobyte of
 * short-lived objects per job, and the garbage collector's share of a worker with state showed
 * it; this writes numbers as digits and plain strings byte by byte into one growing Buffer,
 * which ioredis sends as it is.
 */
export class JsonListWriter {
  private buf: Buffer;
  private at = 0;
  /** Whether the next value of the current array needs a comma first. */
  private needComma = false;
  /** The last large number written, and its digits. */
  private lastBig = -1;
  private lastBigText = '';

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Starts the outer list, or an op within it. */
  open(): this {
    this.comma();
    this.byte(0x5b); // [
    this.needComma = false;
    return this;
  }

  close(): this {
    this.byte(0x5d); // ]
    this.needComma = true;
    return this;
  }

  /** A JSON string holding `text`. */
  str(text: string): this {
    this.comma();
    const n = text.length;
    // Worst case per code unit: 6 bytes (\u00XX); the quotes: 2.
    this.reserve(n * 6 + 2);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) {
        if (c === 0x22 || c === 0x5c) buf[at++] = 0x5c; // escape " and \
        buf[at++] = c;
      } else if (c < 0x20) {
        buf[at++] = 0x5c;
        buf[at++] = 0x75; // \u00XX
        buf[at++] = 0x30;
        buf[at++] = 0x30;
        buf[at++] = HEX[c >> 4]!;
        buf[at++] = HEX[c & 15]!;
      } else {
        // Beyond ASCII: the rest of the string as UTF-8 (JSON takes it unescaped), through the encoder.
        this.at = at;
        this.rest(text, i);
        return this;
      }
    }
    buf[at++] = 0x22;
    this.at = at;
    this.needComma = true;
    return this;
  }

  /**
   * A JSON string holding the JSON text of an array of strings or nulls, e.g. `"[\\"a\\",null]"`
   * (as `JSON.stringify(JSON.stringify(items))` writes it).
   */
  stringList(a: string, b: string, c: string | null): this {
    if (!isPlainAscii(a) || !isPlainAscii(b) || (c !== null && !isPlainAscii(c))) return this.str(JSON.stringify([a, b, c]));
    this.comma();
    this.reserve(a.length + b.length + (c === null ? 4 : c.length) + 24);
    const buf = this.buf;
    buf[this.at++] = 0x22;
    buf[this.at++] = 0x5b;
    this.quotedInner(a);
    buf[this.at++] = 0x2c;
    this.quotedInner(b);
    buf[this.at++] = 0x2c;
    if (c === null) {
      buf[this.at++] = 0x6e; // null
      buf[this.at++] = 0x75;
      buf[this.at++] = 0x6c;
      buf[this.at++] = 0x6c;
    } else {
      this.quotedInner(c);
    }
    buf[this.at++] = 0x5d;
    buf[this.at++] = 0x22;
    this.needComma = true;
    return this;
  }

  /** `\"text\"`: a string of plain ASCII quoted inside a JSON string (room reserved by the caller). */
  private quotedInner(text: string): void {
    const buf = this.buf;
    buf[this.at++] = 0x5c;
    buf[this.at++] = 0x22;
    for (let i = 0; i < text.length; i++) buf[this.at++] = text.charCodeAt(i);
    buf[this.at++] = 0x5c;
    buf[this.at++] = 0x22;
  }

  /** A JSON string holding the decimal text of `n` (as `String(n)` writes it). */
  num(n: number): this {
    if (!isPlain(n)) return this.str(String(n));
    this.comma();
    this.reserve(18);
    this.buf[this.at++] = 0x22;
    this.digits(n);
    this.buf[this.at++] = 0x22;
    this.needComma = true;
    return this;
  }

  /**
   * A JSON string holding a JSON array of five or seven numbers (as `run-field.ts` packs a try),
   * e.g. `"[1,2,3,4,5]"`. A number that is not a non-negative integer is written as 0.
   */
  numberList(a: number, b: number, c: number, d: number, e: number, f?: number, g?: number): this {
    this.comma();
    this.reserve(7 * 17 + 4);
    this.buf[this.at++] = 0x22;
    this.buf[this.at++] = 0x5b;
    this.listed(a, false);
    this.listed(b, true);
    this.listed(c, true);
    this.listed(d, true);
    this.listed(e, true);
    if (f !== undefined) {
      this.listed(f, true);
      this.listed(g ?? 0, true);
    }
    this.buf[this.at++] = 0x5d;
    this.buf[this.at++] = 0x22;
    this.needComma = true;
    return this;
  }

  private listed(n: number, comma: boolean): void {
    if (comma) this.buf[this.at++] = 0x2c;
    this.digits(isPlain(n) ? n : 0);
  }

  /** The digits of a non-negative safe integer (room reserved by the caller). */
  private digits(n: number): void {
    const buf = this.buf;
    if (n < 0x40000000) {
      // small integers: integer arithmetic
      let count = 1;
      for (let m = n; m >= 10; m = (m / 10) | 0) count++;
      let end = this.at + count;
      for (let m = n, i = 0; i < count; i++, m = (m / 10) | 0) buf[--end] = 0x30 + (m % 10);
      this.at += count;
      return;
    }
    // timestamps: consecutive ops mostly carry the same millisecond
    if (n !== this.lastBig) {
      this.lastBig = n;
      this.lastBigText = String(n);
    }
    const text = this.lastBigText;
    for (let i = 0; i < text.length; i++) buf[this.at++] = text.charCodeAt(i);
  }

  /** The bytes written so far (a view of the writer's Buffer: take it once, at the end). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private rest(text: string, from: number): void {
    const escaped = JSON.stringify(text.slice(from)).slice(1); // without its opening quote
    this.reserve(Buffer.byteLength(escaped, 'utf8'));
    this.at += this.buf.write(escaped, this.at, 'utf8');
    this.needComma = true;
  }

  private comma(): void {
    if (this.needComma) this.byte(0x2c);
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.at++] = b;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Printable ASCII without quotes or backslashes: written as it is, even quoted twice. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

function isPlain(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
