/**
 * Writes the apply script's op list (an array of arrays of strings) as MessagePack, straight
 * into one growing Buffer that ioredis sends as it is; the script reads it with `cmsgpack.unpack`.
 *
 * MessagePack rather than JSON: Redis decodes it with less work (strings are length-prefixed,
 * nothing to unescape), and writing it needs no escaping either. Every value is a string, as the script expects:
 * numbers go as their decimal text, and the packed `run`/`who` fields as JSON text.
 */
export class OpListWriter {
  private buf: Buffer;
  private at = 0;
  /** Where the list starts: after the headroom asked for at {@link reset}. */
  private start = 0;
  /** Open arrays, innermost last: where each one's count goes, and its count so far. */
  private readonly openAt: number[] = [];
  private readonly counts: number[] = [];
  /** The last `stringList` prefix: its two strings and its bytes `["a","b",`. */
  private listA: string | undefined;
  private listB: string | undefined;
  private listPrefix = Buffer.alloc(0);
  /** The last two epoch-ms seconds written by {@link digits}, the latest first, and their ten digits. */
  private readonly seconds = [-1, -1];
  private readonly secondDigits = [new Uint8Array(10), new Uint8Array(10)];
  /** While a joined string is open (see {@link openJoined}): its values so far; else -1. */
  private joinedValues = -1;
  /** Where the open joined string's length goes. */
  private joinedAt = 0;

  constructor(capacity = WRITER_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /**
   * Empties the writer for another list (also after a write that stopped half-way). Its buffer is
   * kept, unless a large list grew it past {@link KEPT_CAPACITY}.
   */
  reset(headroom = 0): this {
    this.openAt.length = 0;
    this.counts.length = 0;
    this.joinedValues = -1;
    if (this.buf.length > KEPT_CAPACITY) this.buf = Buffer.allocUnsafe(WRITER_CAPACITY);
    this.start = headroom;
    this.at = headroom;
    this.reserve(0);
    return this;
  }

  /** Starts the outer list, or an op within it. */
  open(): this {
    this.counted();
    const outer = this.openAt.length === 0;
    // The count is written at close(): room for an array 32 (the list) or 16 (an op) header.
    this.reserve(5);
    this.buf[this.at] = outer ? 0xdd : 0xdc;
    this.openAt.push(this.at + 1);
    this.counts.push(0);
    this.at += outer ? 5 : 3;
    return this;
  }

  close(): this {
    const at = this.openAt.pop()!;
    const count = this.counts.pop()!;
    if (this.openAt.length === 0) this.buf.writeUInt32BE(count, at);
    else this.buf.writeUInt16BE(count, at);
    return this;
  }

  /**
   * Starts one string made of the values written until {@link closeJoined}, separated by `\n`:
   * the script gets one string where it would have built it from several (each string Redis's
   * Lua makes is hashed byte by byte, and collected later).
   */
  openJoined(): this {
    this.counted();
    this.reserve(5);
    // a str 32 header whatever the length: the length is known at the end
    this.buf[this.at] = 0xdb;
    this.joinedAt = this.at + 1;
    this.at += 5;
    this.joinedValues = 0;
    return this;
  }

  closeJoined(): this {
    this.buf.writeUInt32BE(this.at - this.joinedAt - 4, this.joinedAt);
    this.joinedValues = -1;
    return this;
  }

  /** A string. */
  str(text: string): this {
    this.counted();
    // The header at most 5 bytes; room for the text is reserved by rawText.
    this.reserve(5);
    const start = this.at;
    const headerSize = this.headerSize(text.length);
    this.at = start + headerSize;
    this.rawText(text);
    return this.placed(start, headerSize, this.at - start - headerSize);
  }

  /**
   * Completes a string whose `bytes` were written after room for a `headerSize`-byte header (the
   * size for one byte per char): moves them when the real length needs another header size.
   */
  private placed(start: number, headerSize: number, bytes: number): this {
    const needed = this.headerSize(bytes);
    if (needed !== headerSize) this.buf.copyWithin(start + needed, start + headerSize, start + headerSize + bytes);
    this.at = this.header(start, bytes) + bytes;
    return this;
  }

  /**
   * The JSON text of an array of strings or nulls, e.g. `["a","b",null]` (as `JSON.stringify`
   * writes it), as a string.
   */
  stringList(a: string, b: string, c: string | null): this {
    // `a` and `b` (a worker id and a job name) repeat from op to op: their checked, quoted
    // prefix `["a","b",` is kept and copied.
    const repeated = a === this.listA && b === this.listB;
    if ((!repeated && (!isPlainAscii(a) || !isPlainAscii(b))) || (c !== null && !isPlainAscii(c))) return this.str(JSON.stringify([a, b, c]));
    this.counted();
    const length = a.length + b.length + (c === null ? 4 : c.length + 2) + 8;
    this.reserve(length + 5);
    this.at = this.header(this.at, length);
    this.namesList(a, b, c, repeated);
    return this;
  }

  /** `["a","b","c"]` (or `null` for c) of plain ASCII names (room reserved by the caller). */
  private namesList(a: string, b: string, c: string | null, repeated: boolean): void {
    const buf = this.buf;
    if (!repeated) {
      const start = this.at;
      buf[this.at++] = 0x5b; // [
      this.quoted(a);
      buf[this.at++] = 0x2c;
      this.quoted(b);
      buf[this.at++] = 0x2c;
      this.listA = a;
      this.listB = b;
      this.listPrefix = Buffer.from(buf.subarray(start, this.at));
    } else {
      const prefix = this.listPrefix;
      for (let i = 0; i < prefix.length; i++) buf[this.at++] = prefix[i]!;
    }
    if (c === null) {
      buf[this.at++] = 0x6e; // null
      buf[this.at++] = 0x75;
      buf[this.at++] = 0x6c;
      buf[this.at++] = 0x6c;
    } else {
      this.quoted(c);
    }
    buf[this.at++] = 0x5d; // ]
  }

  /** A number's digits as a fixstr (at most 16 of them), as {@link num} writes a plain one. */
  private fixstrDigits(n: number): void {
    const head = this.at++;
    this.digits(n);
    this.buf[head] = 0xa0 | (this.at - head - 1);
  }

  /** Data text, or bytes, between the head and tail of `wrap` when given, with no header. */
  private dataText(data: string | Uint8Array, wrap: readonly [string, string] | undefined): void {
    if (wrap) this.rawText(wrap[0]);
    if (typeof data === 'string') {
      this.rawText(data);
    } else {
      this.reserve(data.length);
      this.buf.set(data, this.at);
      this.at += data.length;
    }
    if (wrap) this.rawText(wrap[1]);
  }

  /** Text with no header (its string's header is written apart, or there is none: a joined string). */
  private rawText(text: string): void {
    const n = text.length;
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    this.reserve(n * 3);
    if (n < JS_WRITE_MAX) {
      // Short strings: a byte per char in JS beats Buffer#write (plain ASCII, the common case).
      const buf = this.buf;
      let at = this.at;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) {
          this.at += this.buf.write(text, this.at, 'utf8');
          return;
        }
        buf[at++] = c;
      }
      this.at = at;
      return;
    }
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  /** The decimal text of `n` (as `String(n)` writes it), as a string. */
  num(n: number): this {
    if (!isPlain(n)) return this.str(String(n));
    this.counted();
    this.reserve(18);
    // At most 16 digits: a fixstr, its length known once they are written.
    if (this.joinedValues >= 0) this.digits(n);
    else this.fixstrDigits(n);
    return this;
  }

  /**
   * The JSON text of an array of five or seven numbers (as `run-field.ts` packs a try), e.g.
   * `[1,2,3,4,5]`, as a string. A number that is not a non-negative integer is written as 0.
   */
  numberList(a: number, b: number, c: number, d: number, e: number, f?: number, g?: number): this {
    this.counted();
    this.reserve(7 * 17 + 4);
    // At most 7 * 17 + 2 bytes: a str 8, its length known once the numbers are written.
    const head = this.at;
    const joined = this.joinedValues >= 0;
    if (!joined) {
      this.buf[head] = 0xd9;
      this.at += 2;
    }
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
    if (!joined) this.buf[head + 1] = this.at - head - 2;
    return this;
  }

  /**
   * One op of a try that started and completed: `[code, id, attempt, done, record]`, the record
   * joining the try's numbers (as {@link numberList}), its names (as {@link stringList}), `data`
   * and `result` (see `APPLY_SCRIPT`'s AC op). The same bytes as writing each value on its own,
   * in one pass when the names are plain ASCII: such ops are most of what a busy worker sends,
   * and a call per value would add much to their cost. With `dataWrap`, `data` is written between
   * its head and tail (no string built for the whole per op).
   */
  completedTry(code: string, t: TryFields, done: number, data: string | Uint8Array, result: string, dataWrap?: readonly [string, string]): this {
    return this.writeCompletedTry(code, t, done, data, result, dataWrap);
  }

  /**
   * A try that started and completed as three values of the open op: `id, done, record`, the
   * record as {@link completedTry} writes it (the entries of `APPLY_SCRIPT`'s B op).
   */
  completedTryEntry(t: TryFields, done: number, data: string | Uint8Array, result: string, dataWrap?: readonly [string, string]): this {
    return this.writeCompletedTry(undefined, t, done, data, result, dataWrap);
  }

  /** {@link completedTry}, or without `code` {@link completedTryEntry}. */
  private writeCompletedTry(
    code: string | undefined,
    t: TryFields,
    done: number,
    data: string | Uint8Array,
    result: string,
    dataWrap: readonly [string, string] | undefined,
  ): this {
    const { id, workerId, name, key } = t;
    const repeated = workerId === this.listA && name === this.listB;
    const codeLength = code === undefined ? 0 : code.length;
    const plain =
      codeLength < 32 &&
      id.length < 256 &&
      isPlain(t.attempt) &&
      isPlain(done) &&
      this.joinedValues < 0 &&
      (repeated || (isPlainAscii(workerId) && isPlainAscii(name))) &&
      (key === null || isPlainAscii(key));
    if (!plain) return this.completedTryInParts(code, t, done, data, result, true, dataWrap);
    const start = this.at;
    // Room for all but data and result (reserved as they are written): each number at most 17
    // bytes with its separator, the headers, the names quoted.
    this.reserve(codeLength + 3 * id.length + workerId.length + name.length + (key === null ? 4 : key.length) + 9 * 17 + 32);
    const buf = this.buf;
    let at = start;
    if (code !== undefined) {
      buf[at++] = 0x95;
      buf[at++] = 0xa0 | codeLength;
      for (let i = 0; i < codeLength; i++) buf[at++] = code.charCodeAt(i);
    }
    const n = id.length;
    if (n < 32) buf[at++] = 0xa0 | n;
    else {
      buf[at++] = 0xd9;
      buf[at++] = n;
    }
    // (as many bytes as chars: plain ASCII, the header is right)
    if (buf.write(id, at, 'utf8') !== n) {
      this.at = start;
      return this.completedTryInParts(code, t, done, data, result, true, dataWrap);
    }
    this.at = at + n;
    if (code !== undefined) this.fixstrDigits(t.attempt);
    this.fixstrDigits(done);
    // the record: a str 32 whose length is known at the end
    const lengthAt = this.at + 1;
    buf[this.at] = 0xdb;
    this.at += 5;
    buf[this.at++] = 0x5b; // [
    this.listed(t.at, false);
    this.listed(t.attempt, true);
    this.listed(t.partition, true);
    this.listed(t.offset, true);
    this.listed(t.enqueuedAt, true);
    this.listed(done, true);
    this.listed(t.attempt, true);
    buf[this.at++] = 0x5d; // ]
    buf[this.at++] = 0x0a;
    this.namesList(workerId, name, key, repeated);
    buf[this.at++] = 0x0a;
    this.dataText(data, dataWrap);
    this.reserve(1);
    this.buf[this.at++] = 0x0a;
    this.rawText(result);
    this.buf.writeUInt32BE(this.at - lengthAt - 4, lengthAt);
    // one op in the list, or three values in the open op
    const depth = this.counts.length;
    if (depth > 0) this.counts[depth - 1] += code === undefined ? 3 : 1;
    return this;
  }

  /**
   * The op {@link completedTry} writes, with the record's values apart: `[code, id, attempt,
   * done, run, who, data, result]` (see `APPLY_SCRIPT`'s AC op).
   */
  completedTryApart(code: string, t: TryFields, done: number, data: string, result: string): this {
    return this.completedTryInParts(code, t, done, data, result, false);
  }

  /**
   * {@link completedTry} (or without `code` {@link completedTryEntry}) a value at a time: names
   * that need JSON escapes, or an id that is not ASCII.
   */
  private completedTryInParts(
    code: string | undefined,
    t: TryFields,
    done: number,
    data: string | Uint8Array,
    result: string,
    joined = true,
    dataWrap?: readonly [string, string],
  ): this {
    if (code !== undefined) this.open().str(code).str(t.id).num(t.attempt);
    else this.str(t.id);
    this.num(done);
    if (joined) this.openJoined();
    this.numberList(t.at, t.attempt, t.partition, t.offset, t.enqueuedAt, done, t.attempt).stringList(t.workerId, t.name, t.key);
    if (joined) {
      // a value of the joined string: no header, so its bytes may be written as they come
      this.counted();
      this.dataText(data, dataWrap);
    } else {
      this.str(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
    }
    this.str(result);
    if (joined) this.closeJoined();
    return code !== undefined ? this.close() : this;
  }

  /** The bytes written so far (a view of the writer's Buffer: take it once, at the end). */
  bytes(): Buffer {
    return this.buf.subarray(this.start, this.at);
  }

  /**
   * The bytes written so far, in the writer's own Buffer, which it gives up: it goes on with
   * `next` (at least {@link WRITER_CAPACITY} bytes, no longer used elsewhere). Saves copying the
   * bytes out into a fresh Buffer, whose allocation cost more than the copy. The Buffer has the
   * headroom asked for at {@link reset} before the bytes and `tailroom` bytes after them.
   */
  detach(next: Buffer, tailroom = 0): Buffer {
    this.reserve(tailroom);
    const bytes = this.buf.subarray(this.start, this.at);
    this.buf = next;
    this.start = 0;
    this.at = 0;
    return bytes;
  }

  /** One more value in the innermost open array, or in the open joined string (after a `\n`). */
  private counted(): void {
    if (this.joinedValues >= 0) {
      if (this.joinedValues++ > 0) {
        this.reserve(1);
        this.buf[this.at++] = 0x0a;
      }
      return;
    }
    const depth = this.counts.length;
    if (depth > 0) this.counts[depth - 1] += 1;
  }

  /** The size of the header of a string of `bytes` bytes: none within a joined string. */
  private headerSize(bytes: number): number {
    return this.joinedValues >= 0 ? 0 : headerBytes(bytes);
  }

  /** Writes a string header for `bytes` bytes at `at` (room reserved); returns where the bytes go. */
  private header(at: number, bytes: number): number {
    if (this.joinedValues >= 0) return at;
    const buf = this.buf;
    if (bytes < 32) {
      buf[at++] = 0xa0 | bytes;
    } else if (bytes < 0x100) {
      buf[at++] = 0xd9;
      buf[at++] = bytes;
    } else if (bytes < 0x10000) {
      buf[at++] = 0xda;
      buf.writeUInt16BE(bytes, at);
      at += 2;
    } else {
      buf[at++] = 0xdb;
      buf.writeUInt32BE(bytes, at);
      at += 4;
    }
    return at;
  }

  /** `"text"` for plain ASCII text (room reserved by the caller). */
  private quoted(text: string): void {
    const buf = this.buf;
    buf[this.at++] = 0x22;
    for (let i = 0; i < text.length; i++) buf[this.at++] = text.charCodeAt(i);
    buf[this.at++] = 0x22;
  }

  private listed(n: number, comma: boolean): void {
    if (comma) this.buf[this.at++] = 0x2c;
    this.digits(isPlain(n) ? n : 0);
  }

  /** The digits of a non-negative safe integer (room reserved by the caller). */
  private digits(n: number): void {
    if (n >= 1e12 && n < 1e13) {
      // An epoch-ms timestamp (2001 to 2286): an op has several, mostly of one or two seconds
      // (when it started and finished, when it was enqueued). The ten digits of the last two
      // seconds written are kept and copied, then the three of the milliseconds.
      const second = Math.floor(n / 1000);
      let digits: Uint8Array;
      if (second === this.seconds[0]) digits = this.secondDigits[0]!;
      else if (second === this.seconds[1]) digits = this.secondDigits[1]!;
      else digits = this.keepSecond(second);
      const buf = this.buf;
      let at = this.at;
      for (let i = 0; i < 10; i++) buf[at++] = digits[i]!;
      const ms = n - second * 1000;
      const pair = (ms % 100) * 2;
      buf[at++] = 0x30 + ((ms / 100) | 0);
      buf[at++] = DIGIT_PAIRS[pair]!;
      buf[at++] = DIGIT_PAIRS[pair + 1]!;
      this.at = at;
      return;
    }
    if (n >= 1e8) {
      // The high part, then the low eight digits zero-padded; String(n) allocated a string each.
      const high = Math.floor(n / 1e8);
      this.digits(high);
      this.padded8(n - high * 1e8);
      return;
    }
    const buf = this.buf;
    let count = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) count++;
    let end = this.at + count;
    let m = n;
    // two digits per step from a table
    while (m >= 10) {
      const pair = (m % 100) * 2;
      m = (m / 100) | 0;
      buf[--end] = DIGIT_PAIRS[pair + 1]!;
      buf[--end] = DIGIT_PAIRS[pair]!;
    }
    if (end > this.at) buf[--end] = 0x30 + m;
    this.at += count;
  }

  /** Keeps the ten digits of a second (below 1e10) in place of the older of the two kept. */
  private keepSecond(second: number): Uint8Array {
    const digits = this.secondDigits[1];
    this.secondDigits[1] = this.secondDigits[0]!;
    this.secondDigits[0] = digits;
    this.seconds[1] = this.seconds[0]!;
    this.seconds[0] = second;
    writePaddedDigits(digits, 10, second, 10);
    return digits;
  }

  /** Eight digits, zero-padded, of a number below 1e8 (room reserved by the caller). */
  private padded8(n: number): void {
    writePaddedDigits(this.buf, this.at + 8, n, 8);
    this.at += 8;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

/** What {@link OpListWriter.completedTry} writes of a try: its numbers and names (see `run-field.ts`). */
export interface TryFields {
  id: string;
  attempt: number;
  /** When the try started, epoch ms. */
  at: number;
  partition: number;
  offset: number;
  enqueuedAt: number;
  workerId: string;
  name: string;
  key: string | null;
}

/**
 * Strings shorter than this are written by a JS loop (when plain ASCII): Buffer#write costs more
 * than the loop up to about this length (a job id, a short key, small data).
 */
const JS_WRITE_MAX = 64;

/** The size of a writer's Buffer (it grows for a larger list). */
export const WRITER_CAPACITY = 256 * 1024;
/** A writer's buffer grown past this is let go by {@link OpListWriter.reset}. */
export const KEPT_CAPACITY = 1024 * 1024;

/** "00" to "99" as bytes. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** The last `count` (even) digits of `n`, zero-padded, into `target` up to (not including) `end`. */
function writePaddedDigits(target: Uint8Array, end: number, n: number, count: number): void {
  let m = n;
  for (let i = 0; i < count; i += 2) {
    const pair = (m % 100) * 2;
    m = Math.floor(m / 100);
    target[--end] = DIGIT_PAIRS[pair + 1]!;
    target[--end] = DIGIT_PAIRS[pair]!;
  }
}

/** Size of a MessagePack string header for `bytes` bytes. */
function headerBytes(bytes: number): number {
  return bytes < 32 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
}

/** Text JSON writes as it is between quotes: printable ASCII without `"` and `\`. */
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
