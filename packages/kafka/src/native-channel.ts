import { DeliveryReport, LibrdKafkaError, Producer } from '@confluentinc/kafka-javascript';
import { ResolvedConnection } from './connection';
import { BrokerUnavailableError, ConfigurationError, EnqueuerClosedError } from './errors';
import { ProducerChannel, producerConfig, ResolvedProducerOptions } from './producer-options';

/** What a {@link NativeChannel} tells its owner. */
export interface NativeChannelEvents {
  /** A delivery report (every message on the acked channel, failures only on the fast channel). */
  readonly onReport: (error: LibrdKafkaError | null | undefined, report: DeliveryReport) => void;
  /** A client error; kept to explain timeouts. */
  readonly onError: (error: LibrdKafkaError) => void;
  /**
   * The channel's producer was dropped, after a fatal error or by {@link NativeChannel.abandon}: whatever
   * cached it must drop it.
   */
  readonly onRetired: (reason: 'fatal' | 'abandoned') => void;
}

/**
 * One librdkafka producer of a connection: connects lazily (the first caller connects, a failed
 * connect lets the next call try again), is replaced after a fatal error or when its owner gives up
 * on it ({@link NativeChannel.abandon}), and flushes on close.
 */
export class NativeChannel {
  private native: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  /** Producers torn down after a fatal error, still failing or delivering what they held. */
  private retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(
    readonly kind: ProducerChannel,
    private readonly connection: ResolvedConnection,
    private readonly options: ResolvedProducerOptions,
    private readonly events: NativeChannelEvents,
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
   * on producers retired after a fatal error. Resolves false on timeout. Nothing connected, or the
   * producer abandoned meanwhile (its messages were given up on): true.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const retiring = [...this.retiring];
    const native = this.native;
    let flushed = true;
    if (native) {
      // In slices: the binding holds a lock for the whole of a flush that abandon() must take to
      // tear the producer down, so a long flush would delay giving up.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const slice = Math.max(0, Math.min(FLUSH_SLICE_MS, deadline - Date.now()));
        const done = await flushOnce(native, slice);
        if (done || this.native !== native) break;
        if (Date.now() >= deadline) {
          flushed = false;
          break;
        }
      }
    }
    if (retiring.length > 0) await Promise.all(retiring);
    return flushed;
  }

  /**
   * True when librdkafka holds nothing of the current producer at this moment (every message
   * produced before the call is acknowledged or reported failed); false otherwise. Sends what
   * lingers in batches now, as a side effect.
   */
  async isIdle(): Promise<boolean> {
    const native = this.native;
    return native ? flushOnce(native, 0) : true;
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

  /**
   * Drops the current producer at once: librdkafka stops sending and forgets what it holds, without
   * reporting it (the caller gives up on those messages itself). The next connect() opens a fresh
   * producer once this one is gone, so nothing it held can be written after what follows.
   */
  abandon(): void {
    const native = this.native;
    if (!native) return;
    this.native = undefined;
    this.events.onRetired('abandoned');
    this.track(disconnect(native, 0));
  }

  private retire(native: Producer): void {
    if (this.native !== native) return;
    this.native = undefined;
    this.events.onRetired('fatal');
    // Give librdkafka time to report what it still holds (a fatal error fails the queued messages,
    // in-flight ones get their results) before tearing it down.
    this.track(disconnect(native, this.options.deliveryTimeoutMs));
  }

  private track(done: Promise<void>): void {
    this.retiring.add(done);
    void done.then(() => this.retiring.delete(done));
  }

  private async open(): Promise<Producer> {
    // A producer being torn down may still be sending: a new one must not overtake it.
    while (this.retiring.size > 0) await Promise.all([...this.retiring]);
    return this.openNow();
  }

  private openNow(): Promise<Producer> {
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

/** librdkafka flush slices, so that abandon() never waits long for the binding's lock. */
const FLUSH_SLICE_MS = 200;

function flushOnce(native: Producer, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    try {
      native.flush(timeoutMs, (error) => resolve(!error));
    } catch {
      // Disconnected under us: what it held is the retiring or abandoning code's business.
      resolve(true);
    }
  });
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
