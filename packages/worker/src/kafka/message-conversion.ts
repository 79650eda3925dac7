import type { Message, MessageHeader } from '@confluentinc/kafka-javascript';
import type { InboundMessage, RawHeader } from '../core/inbound-message';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_RAW_HEADERS: ReadonlyArray<RawHeader> = Object.freeze([]);

/**
 * The binding hands each header over as a one-key object `{ [name]: Buffer }`. It sets that key
 * with an ordinary assignment, so a header named `__proto__` becomes the object's prototype instead
 * of a key: recognised by an object without own keys whose prototype is the value.
 */
function forEachHeader(raw: MessageHeader[], visit: (name: string, value: string | Buffer) => void): void {
  for (const header of raw) {
    let named = false;
    for (const name of Object.keys(header)) {
      named = true;
      visit(name, header[name]);
    }
    if (!named) {
      const proto: unknown = Object.getPrototypeOf(header);
      if (Buffer.isBuffer(proto)) visit('__proto__', proto);
    }
  }
}

function decodeHeaders(raw: MessageHeader[]): Record<string, string> {
  const h: Record<string, string> = {};
  forEachHeader(raw, (name, value) => {
    const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    // A defined own property, so a header named `__proto__` stays a header.
    if (name === '__proto__') Object.defineProperty(h, name, { value: text, enumerable: true, writable: true, configurable: true });
    else h[name] = text;
  });
  return h;
}

function listHeaders(raw: MessageHeader[]): RawHeader[] {
  const list: RawHeader[] = [];
  forEachHeader(raw, (name, value) => list.push({ name, value: Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8') }));
  return list;
}

/**
 * A received message. Its headers are decoded on first use: the default partitioner reads only the
 * key, and most jobs never need their headers, so the hot path skips that work. The client's header
 * array is kept as it came (one reference), for copies that must keep every byte.
 */
class KafkaInboundMessage implements InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestamp?: number;
  private readonly received: MessageHeader[] | undefined;
  private decoded: Readonly<Record<string, string>> | undefined;

  constructor(m: Message) {
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    const rawKey = m.key;
    this.key = rawKey === null || rawKey === undefined ? null : typeof rawKey === 'string' ? rawKey : rawKey.toString();
    this.value = m.value ?? null;
    this.timestamp = m.timestamp;
    this.received = m.headers && m.headers.length > 0 ? m.headers : undefined;
  }

  get headers(): Readonly<Record<string, string>> {
    if (this.decoded === undefined) this.decoded = this.received ? decodeHeaders(this.received) : NO_HEADERS;
    return this.decoded;
  }

  /** Not cached: read once, when the message is copied to its dead letter topic. */
  get rawHeaders(): ReadonlyArray<RawHeader> {
    return this.received ? listHeaders(this.received) : NO_RAW_HEADERS;
  }
}

/** librdkafka's message → the core's message: key and header values as UTF-8 strings, header bytes kept. */
export function toInboundMessage(m: Message): InboundMessage {
  return new KafkaInboundMessage(m);
}
