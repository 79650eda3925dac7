import { assertPositiveMs, baseClientConfig, ResolvedConnection } from './connection';
import { ConfigurationError } from './errors';

/** How the enqueuer's Kafka producer batches and how long it tries. */
export interface ProducerOptions {
  /**
   * How long a job may wait for the broker's acknowledgement, retries included. A broker outage
   * shorter than this loses nothing: librdkafka keeps retrying and the jobs are written in order
   * once it is back. When a job is still not acknowledged after this long, partita gives up on
   * every job the producer still holds (and every job waiting to be handed to it), so that no later
   * job of a key can be written after one that failed: a sync `add` rejects with an
   * `EnqueueTimeoutError`, an async job is reported by id (`deliveryFailed` event, `flush()`/`close()`
   * reject with a `DeliveryError` listing every id). A job given up on may still have been written
   * (it was in flight); the next `add` gets a fresh producer. `close()` waits at most about this long.
   * @defaultValue 120000
   */
  deliveryTimeoutMs?: number;
  /**
   * How long librdkafka waits to fill a batch before sending it (`linger.ms`). Every sync dispatch
   * waits this long on top of the broker round trip; under load, batches fill while earlier
   * requests are in flight anyway, so a small value costs little throughput (measured on the
   * local broker: sync add ≈1,000/s at 0 ms, ≈500/s at 1 ms, ≈150/s at 5 ms; bulk unchanged).
   * @defaultValue 1
   */
  lingerMs?: number;
  /**
   * Jobs held in the process while waiting to be sent (`queue.buffering.max.messages`). When it is
   * full, `add` waits for room instead of failing, so a burst never loses jobs.
   * @defaultValue 100000
   */
  maxQueuedMessages?: number;
  /**
   * Compression of message batches (`compression.codec`).
   * @defaultValue 'lz4'
   */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

/** {@link ProducerOptions} with every default filled in. */
export interface ResolvedProducerOptions {
  deliveryTimeoutMs: number;
  lingerMs: number;
  maxQueuedMessages: number;
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

/** How long a job may wait for the broker's acknowledgement before it fails (ms). */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
/** librdkafka's `linger.ms`: how long messages wait to fill a batch. */
export const DEFAULT_LINGER_MS = 1;
/** How many messages the producer holds before `add` waits for room. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 100_000;

/** Validates {@link ProducerOptions} and fills in defaults. */
export function resolveProducerOptions(options: ProducerOptions = {}): ResolvedProducerOptions {
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  assertPositiveMs(deliveryTimeoutMs, 'deliveryTimeoutMs');
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  if (typeof lingerMs !== 'number' || !Number.isFinite(lingerMs) || lingerMs < 0 || lingerMs > 900_000) {
    throw new ConfigurationError('lingerMs', `lingerMs must be a number of milliseconds between 0 and 900000, got ${String(lingerMs)}`);
  }
  if (deliveryTimeoutMs <= lingerMs) {
    // librdkafka refuses a message timeout that does not leave room for lingering.
    throw new ConfigurationError('deliveryTimeoutMs', `deliveryTimeoutMs (${deliveryTimeoutMs}) must be greater than lingerMs (${lingerMs})`);
  }
  const maxQueuedMessages = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
  if (!Number.isInteger(maxQueuedMessages) || maxQueuedMessages < 1) {
    throw new ConfigurationError('maxQueuedMessages', `maxQueuedMessages must be an integer >= 1, got ${String(maxQueuedMessages)}`);
  }
  const compression = options.compression ?? 'lz4';
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(compression)) {
    throw new ConfigurationError('compression', `compression must be one of none, gzip, snappy, lz4, zstd, got ${String(compression)}`);
  }
  return { deliveryTimeoutMs, lingerMs, maxQueuedMessages, compression };
}

/**
 * A connection has up to two librdkafka producers ("channels"), because librdkafka's delivery reports
 * are all-or-nothing per producer and cost more than the rest of producing a message (measured:
 * about 3.4 µs of CPU per message without them, 10 µs with a report and a per-message reference):
 * - `fast`: async jobs. Only failures are reported (with the message's value, to name the job).
 * - `acked`: sync jobs and anything that needs its partition and offset back. Every message is
 *   reported.
 */
export type ProducerChannel = 'fast' | 'acked';

/** librdkafka producer properties for a connection, producer options and channel. */
export function producerConfig(
  connection: ResolvedConnection,
  options: ResolvedProducerOptions,
  channel: ProducerChannel = 'acked',
): Record<string, string | number | boolean> {
  const reports: Record<string, boolean> = channel === 'fast' ? { 'delivery.report.only.error': true, dr_msg_cb: true } : { dr_cb: true };
  return {
    // Exactly once per partition and in order, even when librdkafka retries a batch.
    'enable.idempotence': true,
    // A produce error that would leave a gap in a partition stops the producer instead (a fatal
    // error: librdkafka fails what it holds and partita replaces the producer).
    'enable.gapless.guarantee': true,
    acks: 'all',
    // The Java client's default partitioner: a key goes where any Java or librdkafka client puts it.
    partitioner: 'murmur2_random',
    'linger.ms': options.lingerMs,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': options.maxQueuedMessages,
    'compression.codec': options.compression,
    // Never time out inside librdkafka: a timed-out message leaves a gap that later messages of
    // its partition are written across. partita enforces deliveryTimeoutMs itself, by giving up on
    // the whole producer (see SharedProducer in producer.ts).
    'message.timeout.ms': 0,
    ...reports,
    ...baseClientConfig(connection),
  };
}
