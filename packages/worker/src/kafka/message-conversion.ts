import type { Message, MessageHeader } from '@confluentinc/kafka-javascript';
import type { InboundMessage } from '../core/inbound-message';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function decodeHeaders(raw: MessageHeader[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (const header of raw) {
    for (const name of Object.keys(header)) {
      const value = header[name];
      h[name] = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    }
  }
  return h;
}

/**
 * A received message. Its headers are decoded on first use: the default partitioner reads only the
 * key, and most jobs never need their headers, so the hot path skips that work.
 */
class KafkaInboundMessage implements InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestamp?: number;
  private rawHeaders: MessageHeader[] | undefined;
  private decoded: Readonly<Record<string, string>> | undefined;

  constructor(m: Message) {
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    const rawKey = m.key as Buffer | string | null | undefined;
    this.key = rawKey === null || rawKey === undefined ? null : typeof rawKey === 'string' ? rawKey : rawKey.toString();
    this.value = m.value ?? null;
    this.timestamp = m.timestamp;
    this.rawHeaders = m.headers && m.headers.length > 0 ? m.headers : undefined;
  }

  get headers(): Readonly<Record<string, string>> {
    if (this.decoded === undefined) {
      this.decoded = this.rawHeaders ? decodeHeaders(this.rawHeaders) : NO_HEADERS;
      this.rawHeaders = undefined;
    }
    return this.decoded;
  }
}

/** librdkafka's message → the core's message: key and header values as UTF-8 strings. */
export function toInboundMessage(m: Message): InboundMessage {
  return new KafkaInboundMessage(m);
}
