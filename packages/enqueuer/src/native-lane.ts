import { DeliveryReport, LibrdKafkaError, Producer } from '@confluentinc/kafka-javascript';
import { ResolvedConnection } from './connection';
import { BrokerUnavailableError, ConfigurationError, EnqueuerClosedError } from './errors';
import { ProducerLane, producerConfig, ResolvedProducerOptions } from './producer-options';

/** What a {@link NativeLane} tells its owner. */
export interface NativeLaneEvents {
  /** A delivery report (every message on the acked lane, failures only on the fast lane). */
  onReport(error: LibrdKafkaError | null | undefined, report: DeliveryReport): void;
  /** A client error; kept to explain timeouts. */
  onError(error: LibrdKafkaError): void;
  /** The lane's producer was replaced after a fatal error: whatever cached it must drop it. */
  onRetired(): void;
}

/**
 * One librdkafka producer of a connection: connects lazily (the first caller connects, a failed
 * connect lets the next call try again), is replaced after a fatal error, and flushes on close.
 */
export class NativeLane {
  private native: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  /** Producers torn down after a fatal error, still failing or delivering what they held. */
  private retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(
    readonly kind: ProducerLane,
    private readonly connection: ResolvedConnection,
    private readonly options: ResolvedProducerOptions,
    private readonly events: NativeLaneEvents,
  ) {}

  /** The connected producer, if any; no I/O. */
  get connected(): Producer | undefined {
    return this.native;
  }

  /** The connected producer; the first caller connects it. */
  connect(): Promise<Producer> {
    if (this.closed) return Promise.reject(new EnqueuerClosedError('the producer is closed'));
    if (this.native) return Promise.resolve(this.native);
    if (!this.connecting) {
      const attempt = this.open();
      this.connecting = attempt;
      attempt.then(
        (native) => {
          this.connecting = undefined;
          // Closed while connecting: nobody will ever close this one.
          if (this.closed) void disconnect(native, 0);
          else this.native = native;
        },
        () => {
          // Let the next call try again: the broker may be back by then.
          this.connecting = undefined;
        },
      );
    }
    return this.connecting;
  }

  /**
   * Waits until everything produced so far is acknowledged or failed (librdkafka's flush), also
   * on producers retired after a fatal error. Resolves false on timeout. Nothing connected: true.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const retiring = [...this.retiring];
    const native = this.native;
    let flushed = true;
    if (native) {
      flushed = await new Promise<boolean>((resolve) => {
        try {
          native.flush(timeoutMs, (error) => resolve(!error));
        } catch {
          // Disconnected under us (fatal error): the retiring producer is awaited below.
          resolve(true);
        }
      });
    }
    if (retiring.length > 0) await Promise.all(retiring);
    return flushed;
  }

  /** Sends what lingers in librdkafka's batches now, without waiting for the result. */
  kick(): void {
    try {
      this.native?.flush(0, () => undefined);
    } catch {
      // Disconnected under us: nothing to send.
    }
  }

  /** Disconnects, giving librdkafka `deliveryTimeoutMs` to deliver or fail what it holds. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.connecting) await this.connecting.catch(() => undefined);
    const native = this.native;
    this.native = undefined;
    if (native) await disconnect(native, this.options.deliveryTimeoutMs);
    if (this.retiring.size > 0) await Promise.all([...this.retiring]);
  }

  private retire(native: Producer): void {
    if (this.native !== native) return;
    this.native = undefined;
    this.events.onRetired();
    // Give librdkafka time to report (fail) what it still holds before tearing it down.
    const done = disconnect(native, this.options.deliveryTimeoutMs);
    this.retiring.add(done);
    void done.then(() => this.retiring.delete(done));
  }

  private open(): Promise<Producer> {
    const timeoutMs = this.connection.connectTimeoutMs;
    const brokers = this.connection.brokers;
    return new Promise<Producer>((resolve, reject) => {
      let native: Producer;
      try {
        native = new Producer(producerConfig(this.connection, this.options, this.kind));
      } catch (error) {
        reject(new ConfigurationError('connection.kafka', `librdkafka refused the producer configuration: ${(error as Error).message}`, { cause: error }));
        return;
      }
      native.on('delivery-report', this.events.onReport);
      native.on('event.error', (error) => {
        this.events.onError(error);
        // A fatal error (e.g. the idempotent producer lost its sequence) leaves this producer
        // unusable: librdkafka fails its queued messages; the next job gets a fresh producer.
        if (error.isFatal) this.retire(native);
      });
      let settled = false;
      const fail = (cause: unknown) => {
        settled = true;
        const detail = cause instanceof Error ? cause.message : 'no answer';
        reject(new BrokerUnavailableError(brokers, `could not connect to Kafka at ${brokers} within ${timeoutMs} ms: ${detail}`, { cause }));
      };
      // librdkafka bounds the metadata request below by `timeout`; this timer only guards
      // against a connect callback that never comes.
      const guard = setTimeout(() => {
        if (settled) return;
        fail(undefined);
        void disconnect(native, 0);
      }, timeoutMs + 2_000);
      guard.unref();
      native.connect({ allTopics: false, timeout: timeoutMs }, (error) => {
        clearTimeout(guard);
        if (settled) {
          if (!error) void disconnect(native, 0);
          return;
        }
        if (error) {
          // A failed connect already tore the native client down.
          fail(error);
          return;
        }
        settled = true;
        // Delivery reports are served on librdkafka's background thread and reach JS as soon
        // as they arrive: low latency for sync dispatch and no poll timer to tune.
        native.setPollInBackground(true);
        resolve(native);
      });
    });
  }
}

function disconnect(native: Producer, flushTimeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      native.disconnect(flushTimeoutMs, () => resolve());
    } catch {
      // Already disconnected (e.g. after a failed connect).
      resolve();
    }
  });
}
