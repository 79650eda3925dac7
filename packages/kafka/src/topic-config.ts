import net from 'node:net';
import { TopicConfigUnavailableError } from './errors';
import type { ResolvedConnection } from './connection';

/** Values of the asked configuration keys of each topic; a topic that does not exist is absent. */
export type TopicConfigs = Map<string, Map<string, string | null>>;

const API_DESCRIBE_CONFIGS = 32;
/** Version 1: answered by every broker from Kafka 1.1 to 4.x (4.0 dropped version 0). */
const API_VERSION = 1;
const RESOURCE_TOPIC = 2;
const ERR_UNKNOWN_TOPIC_OR_PARTITION = 3;
/** A response larger than this is not a DescribeConfigs answer to a few keys: the connection is dropped. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Reads configuration values (e.g. `max.message.bytes`) of topics with one DescribeConfigs request
 * to the first bootstrap broker that answers. Rejects with {@link TopicConfigUnavailableError}.
 */
export async function describeTopicConfigs(connection: ResolvedConnection, topics: string[], keys: string[]): Promise<TopicConfigs> {
  const protocol = String(connection.kafka['security.protocol'] ?? 'plaintext').toLowerCase();
  if (protocol !== 'plaintext') {
    throw new TopicConfigUnavailableError(`reading topic configuration needs a PLAINTEXT listener; security.protocol is ${protocol}`);
  }
  const request = encodeRequest(1, connection.clientId, topics, keys);
  const failures: string[] = [];
  for (const broker of connection.brokers.split(',')) {
    const address = parseAddress(broker.trim());
    if (!address) {
      failures.push(`${broker}: not host:port`);
      continue;
    }
    try {
      const response = await exchange(address, request, connection.connectTimeoutMs);
      return decodeResponse(response, 1);
    } catch (error) {
      failures.push(`${broker}: ${(error as Error).message}`);
    }
  }
  throw new TopicConfigUnavailableError(`could not read the configuration of ${topics.join(', ')} (${failures.join('; ')})`);
}

function parseAddress(broker: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(broker.replace(/^[a-z]+:\/\//i, ''));
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1], port } : undefined;
}

/** Sends one request and resolves with the body of its response (after the correlation id). */
function exchange(address: { host: string; port: number }, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address);
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error: Error | undefined, body?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(body!);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error('the broker closed the connection (does it speak DescribeConfigs v1 over PLAINTEXT?)')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const size = all.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) return done(new Error(`implausible response size ${size}`));
      if (all.length >= 4 + size) done(undefined, all.subarray(4, 4 + size));
    });
  });
}

function encodeRequest(correlationId: number, clientId: string, topics: string[], keys: string[]): Buffer {
  const w = new Writer();
  w.int16(API_DESCRIBE_CONFIGS);
  w.int16(API_VERSION);
  w.int32(correlationId);
  w.string(clientId);
  w.int32(topics.length);
  for (const topic of topics) {
    w.int8(RESOURCE_TOPIC);
    w.string(topic);
    w.int32(keys.length);
    for (const key of keys) w.string(key);
  }
  w.int8(0); // include_synonyms: false
  return w.framed();
}

function decodeResponse(body: Buffer, correlationId: number): TopicConfigs {
  const r = new Reader(body);
  if (r.int32() !== correlationId) throw new Error('response to another request');
  r.int32(); // throttle_time_ms
  const configs: TopicConfigs = new Map();
  const results = r.int32();
  for (let i = 0; i < results; i++) {
    const errorCode = r.int16();
    const errorMessage = r.nullableString();
    r.int8(); // resource_type
    const name = r.nullableString() ?? '';
    const entries = new Map<string, string | null>();
    const count = r.int32();
    for (let j = 0; j < count; j++) {
      const key = r.nullableString() ?? '';
      const value = r.nullableString();
      r.int8(); // read_only
      r.int8(); // config_source
      r.int8(); // is_sensitive
      const synonyms = r.int32();
      for (let k = 0; k < synonyms; k++) {
        r.nullableString();
        r.nullableString();
        r.int8();
      }
      entries.set(key, value);
    }
    if (errorCode === ERR_UNKNOWN_TOPIC_OR_PARTITION) continue;
    if (errorCode !== 0) throw new Error(`describing topic ${name} failed with error ${errorCode}${errorMessage ? `: ${errorMessage}` : ''}`);
    configs.set(name, entries);
  }
  return configs;
}

class Writer {
  private readonly parts: Buffer[] = [];

  int8(n: number): void {
    const b = Buffer.alloc(1);
    b.writeInt8(n);
    this.parts.push(b);
  }

  int16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
  }

  int32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
  }

  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.int16(bytes.length);
    this.parts.push(bytes);
  }

  /** The request with its size prefix. */
  framed(): Buffer {
    const body = Buffer.concat(this.parts);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}

class Reader {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.at++);
  }

  int16(): number {
    this.need(2);
    const n = this.buf.readInt16BE(this.at);
    this.at += 2;
    return n;
  }

  int32(): number {
    this.need(4);
    const n = this.buf.readInt32BE(this.at);
    this.at += 4;
    return n;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    this.need(length);
    const s = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new Error('truncated DescribeConfigs response');
  }
}
