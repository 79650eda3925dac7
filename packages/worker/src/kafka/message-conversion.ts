import type { Message } from '@confluentinc/kafka-javascript';
import type { InboundMessage } from '../core/inbound-message';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** librdkafka's message → the core's message: key and header values as UTF-8 strings. */
export function toInboundMessage(m: Message): InboundMessage {
  let headers = NO_HEADERS;
  if (m.headers && m.headers.length > 0) {
    const h: Record<string, string> = {};
    for (const header of m.headers) {
      for (const name of Object.keys(header)) {
        const value = header[name];
        h[name] = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
      }
    }
    headers = h;
  }
  const rawKey = m.key as Buffer | string | null | undefined;
  const key = rawKey === null || rawKey === undefined ? null : typeof rawKey === 'string' ? rawKey : rawKey.toString('utf8');
  return { topic: m.topic, partition: m.partition, offset: m.offset, key, headers, value: m.value ?? null, timestamp: m.timestamp };
}
