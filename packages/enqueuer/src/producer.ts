import { AdminClient, CODES, DeliveryReport, LibrdKafkaError, MessageHeader, Producer } from '@confluentinc/kafka-javascript';
import { assertPositiveMs, baseClientConfig, ConnectionOptions, ResolvedConnection, resolveConnection } from './connection';
import { BrokerUnavailableError, ConfigurationError, DeliveryError, EnqueuerClosedError, EnqueueTimeoutError } from './errors';
import { TopicAdmin } from './topic-admin';

/** How the enqueuer's Kafka producer batches and how long it tries. */
export interface ProducerOptions {
  /**
   * How long a job may wait for the broker's acknowledgement, retries included (librdkafka's
   * `message.timeout.ms`). Sync dispatch fails with an `EnqueueTimeoutError` after this; an async job
   * that is not acknowledged by then is reported as failed. `close()` waits at most this long.
   * @defaultValue 30000
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

/** A message for {@link ProducerHandle.produce}. */
export interface OutgoingMessage {
  topic: string;
  /** An explicit partition; undefined lets the `murmur2_random` partitioner pick it from the key. */
  partition?: number;
  key?: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Names the message in errors (partita passes the job id). */
  id?: string;
}

/** Where the broker wrote a message. */
export interface DeliveryResult {
  topic: string;
  partition: number;
  offset: number;
}

/** Options of one {@link ProducerHandle.produce} call. */
export interface ProduceOptions {
  /**
   * `true`: resolve once the broker acknowledged the message, with its partition and offset.
   * `false`: resolve once librdkafka holds the message; failures surface in `flush()`/`close()`.
   * @defaultValue false
   */
  awaitAck?: boolean;
}

/**
 * One user's reference to the process-wide producer of a connection. `close()` flushes the jobs
 * this handle produced and releases the reference; the producer disconnects with its last handle.
 * The worker uses it to write dead letters (`awaitAck: true`).
 */
export interface ProducerHandle {
  /** The bootstrap servers this producer talks to. */
  readonly brokers: string;
  readonly options: Readonly<ResolvedProducerOptions>;
  /** Connects now rather than on the first produce; rejects with `BrokerUnavailableError`. */
  connect(): Promise<void>;
  produce(message: OutgoingMessage, options: { awaitAck: true }): Promise<DeliveryResult>;
  produce(message: OutgoingMessage, options?: ProduceOptions): Promise<DeliveryResult | undefined>;
  /**
   * Produces messages in order; all of them are handed to librdkafka before any acknowledgement
   * is awaited. `awaitAck[i]` says whether result `i` waits for the broker.
   */
  produceAll(messages: OutgoingMessage[], awaitAck: boolean[] | boolean): Promise<Array<DeliveryResult | undefined>>;
  /** The topic's partition count (cached); rejects with `TopicNotFoundError` for a missing topic. */
  partitionCount(topic: string): Promise<number>;
  /** The cached partition count, when it is fresh; no I/O. */
  cachedPartitionCount(topic: string): number | undefined;
  /** Admin operations over this producer's connection. */
  admin(): Promise<TopicAdmin>;
  /**
   * Waits until every message of this handle is acknowledged or failed; rejects with
   * `EnqueueTimeoutError` after `timeoutMs`, or with `DeliveryError` when async messages failed.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes, then releases this reference. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
export const DEFAULT_LINGER_MS = 1;
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

/** librdkafka producer properties for a connection and producer options. */
export function producerConfig(connection: ResolvedConnection, options: ResolvedProducerOptions): Record<string, string | number | boolean> {
  return {
    // Exactly once per partition and in order, even when librdkafka retries a batch.
    'enable.idempotence': true,
    acks: 'all',
    // The Java client's default partitioner: a key goes where any Java or librdkafka client puts it.
    partitioner: 'murmur2_random',
    'linger.ms': options.lingerMs,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': options.maxQueuedMessages,
    'compression.codec': options.compression,
    'message.timeout.ms': Math.round(options.deliveryTimeoutMs),
    dr_cb: true,
    ...baseClientConfig(connection),
  };
}

/** Obtains a handle on the process-wide producer for `connection` (created on first use). */
export function getProducer(connection?: ConnectionOptions, options?: ProducerOptions): ProducerHandle {
  const resolved = resolveConnection(connection);
  const producerOptions = resolveProducerOptions(options);
  const key = JSON.stringify([resolved, producerOptions]);
  let shared = registry.get(key);
  if (!shared) {
    shared = new SharedProducer(resolved, producerOptions, () => registry.delete(key));
    registry.set(key, shared);
    installBeforeExitHook();
  }
  return shared.acquire();
}

/** Flushes every producer of the process, e.g. before `process.exit()`. */
export async function flushAllProducers(timeoutMs?: number): Promise<void> {
  await Promise.all([...registry.values()].map((shared) => shared.flushEverything(timeoutMs)));
}

const registry = new Map<string, SharedProducer>();

let beforeExitInstalled = false;

/**
 * A safety net: if the event loop empties while jobs are still held in the process, flush them.
 * In practice an open librdkafka client keeps the loop alive (its delivery-report handle is
 * referenced), so a process only exits after `close()`; this hook covers a producer whose
 * connection went away with jobs still queued.
 */
function installBeforeExitHook(): void {
  if (beforeExitInstalled) return;
  beforeExitInstalled = true;
  process.on('beforeExit', () => {
    const busy = [...registry.values()].filter((shared) => shared.pendingCount() > 0);
    if (busy.length === 0) return;
    // Async work here keeps the process alive; beforeExit fires again once it is done.
    void Promise.all(busy.map((shared) => shared.flushEverything().catch(() => undefined)));
  });
}

/** One message on its way through librdkafka. Travels as the message's opaque. */
interface Ticket {
  readonly message: OutgoingMessage;
  readonly owner: Handle;
  /** Settles the promise of a sync produce from the delivery report. */
  ack?: { resolve(result: DeliveryResult): void; reject(error: Error): void; timer: NodeJS.Timeout };
  /** Set while the ticket waits in the backlog: settles once librdkafka took the message (or refused it). */
  taken?: { promise: Promise<void>; resolve(): void; reject(error: Error): void };
}

const { ERR__QUEUE_FULL, ERR__MSG_TIMED_OUT } = CODES.ERRORS;

/**
 * The process-wide producer of one connection: connects lazily, hands messages to librdkafka in
 * call order, turns delivery reports into promise results, and disconnects with its last handle.
 */
class SharedProducer {
  private refs = 0;
  private native: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private topicAdmin: TopicAdmin | undefined;
  /**
   * Messages waiting for room in librdkafka's queue, oldest first. While it is not empty new
   * messages queue behind it, so that jobs of one key never overtake each other.
   */
  private backlog: Ticket[] = [];
  private backlogHead = 0;
  private draining = false;
  private lastError: LibrdKafkaError | undefined;
  private closing = false;
  private readonly handles = new Set<Handle>();

  constructor(
    readonly connection: ResolvedConnection,
    readonly options: ResolvedProducerOptions,
    private readonly onClosed: () => void,
  ) {}

  acquire(): Handle {
    this.refs += 1;
    const handle = new Handle(this);
    this.handles.add(handle);
    return handle;
  }

  async release(handle: Handle): Promise<void> {
    this.handles.delete(handle);
    this.refs -= 1;
    if (this.refs > 0) return;
    this.closing = true;
    this.onClosed();
    if (this.connecting) await this.connecting.catch(() => undefined);
    const native = this.native;
    this.native = undefined;
    this.topicAdmin = undefined;
    if (native) await disconnect(native, this.options.deliveryTimeoutMs);
  }

  pendingCount(): number {
    let pending = 0;
    for (const handle of this.handles) pending += handle.pending;
    return pending;
  }

  async flushEverything(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.handles].map((handle) => handle.flush(timeoutMs)));
  }

  /** The connected librdkafka producer; the first caller connects it. */
  connect(): Promise<Producer> {
    if (this.closing) return Promise.reject(new EnqueuerClosedError('the producer is closed'));
    if (this.native) return Promise.resolve(this.native);
    if (!this.connecting) {
      const attempt = this.openNative();
      this.connecting = attempt;
      attempt.then(
        (native) => {
          this.connecting = undefined;
          // The last handle was released while connecting: nobody will ever close this one.
          if (this.closing) void disconnect(native, 0);
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

  connectedNative(): Producer | undefined {
    return this.native;
  }

  private retire(native: Producer): void {
    if (this.native !== native) return;
    this.native = undefined;
    this.topicAdmin = undefined;
    // Give librdkafka time to report (fail) what it still holds before tearing it down.
    void disconnect(native, this.options.deliveryTimeoutMs);
  }

  async admin(): Promise<TopicAdmin> {
    const native = await this.connect();
    if (!this.topicAdmin) {
      // Reuses the producer's connections instead of opening a second client.
      this.topicAdmin = new TopicAdmin(AdminClient.createFrom(native), this.connection.connectTimeoutMs, false, this.connection.brokers);
    }
    return this.topicAdmin;
  }

  cachedPartitionCount(topic: string): number | undefined {
    return this.topicAdmin?.cachedPartitionCount(topic);
  }

  /**
   * Hands a message to librdkafka, or queues it behind earlier ones when librdkafka's queue is
   * full (then `ticket.taken` is set: await it). Counts the message as pending on its owner.
   * Throws a `DeliveryError` when librdkafka refuses the message outright (e.g. too large).
   */
  submit(native: Producer, ticket: Ticket): void {
    if (this.backlog.length > this.backlogHead) {
      this.toBacklog(ticket);
      return;
    }
    try {
      this.produceNative(native, ticket);
    } catch (error) {
      if ((error as LibrdKafkaError).code !== ERR__QUEUE_FULL) throw this.produceError(error, ticket.message);
      this.toBacklog(ticket);
      void this.drainBacklog();
      return;
    }
    ticket.owner.pending += 1;
  }

  private toBacklog(ticket: Ticket): void {
    let settle!: Pick<NonNullable<Ticket['taken']>, 'resolve' | 'reject'>;
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    ticket.taken = { promise, ...settle };
    ticket.owner.pending += 1;
    this.backlog.push(ticket);
  }

  private produceNative(native: Producer, ticket: Ticket): void {
    const { message } = ticket;
    let headers: MessageHeader[] | undefined;
    if (message.headers) {
      // The binding takes one single-key object per header.
      headers = [];
      for (const name in message.headers) headers.push({ [name]: message.headers[name]! });
    }
    native.produce(message.topic, message.partition ?? null, message.value, message.key ?? null, null, ticket, headers);
  }

  /** Moves backlogged messages into librdkafka as room frees up, in order. */
  private async drainBacklog(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let delay = 1;
    let lastProgress = Date.now();
    try {
      while (this.backlogHead < this.backlog.length) {
        const ticket = this.backlog[this.backlogHead]!;
        // Looked up each time: a fatal error may have replaced the producer meanwhile.
        let native = this.native;
        if (!native) {
          try {
            native = await this.connect();
          } catch (error) {
            this.failBacklog(error as Error);
            return;
          }
        }
        try {
          this.produceNative(native, ticket);
          this.shiftBacklog();
          ticket.taken?.resolve();
          delay = 1;
          lastProgress = Date.now();
        } catch (error) {
          if ((error as LibrdKafkaError).code === ERR__QUEUE_FULL) {
            if (Date.now() - lastProgress > this.options.deliveryTimeoutMs) {
              this.failBacklog(
                new EnqueueTimeoutError(
                  undefined,
                  this.options.deliveryTimeoutMs,
                  `the producer queue stayed full for ${this.options.deliveryTimeoutMs} ms (is Kafka at ${this.connection.brokers} reachable?)${this.lastErrorText()}`,
                ),
              );
              return;
            }
            // Delivery reports free room in librdkafka's queue; give them time to arrive.
            await sleep(delay);
            delay = Math.min(delay * 2, 50);
            continue;
          }
          this.shiftBacklog();
          ticket.owner.settleOne();
          const failure = this.produceError(error, ticket.message);
          ticket.taken?.reject(failure);
          ticket.ack?.reject(failure);
          if (ticket.ack) clearTimeout(ticket.ack.timer);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private shiftBacklog(): void {
    this.backlogHead += 1;
    // Compact now and then instead of Array#shift, which is O(n) per call.
    if (this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    } else if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog = this.backlog.slice(this.backlogHead);
      this.backlogHead = 0;
    }
  }

  private failBacklog(error: Error): void {
    const failed = this.backlog.slice(this.backlogHead);
    this.backlog = [];
    this.backlogHead = 0;
    for (const ticket of failed) {
      ticket.owner.settleOne();
      ticket.taken?.reject(error);
      if (ticket.ack) {
        clearTimeout(ticket.ack.timer);
        ticket.ack.reject(error);
      }
    }
  }

  private readonly onDeliveryReport = (error: LibrdKafkaError | null | undefined, report: DeliveryReport): void => {
    const ticket = report.opaque as Ticket | undefined;
    if (!ticket) return;
    ticket.owner.settleOne();
    if (ticket.ack) clearTimeout(ticket.ack.timer);
    if (error) {
      const failure = this.deliveryError(error, ticket.message);
      if (ticket.ack) ticket.ack.reject(failure);
      else ticket.owner.recordAsyncFailure(failure);
      return;
    }
    ticket.ack?.resolve({ topic: report.topic, partition: report.partition, offset: report.offset });
  };

  private openNative(): Promise<Producer> {
    const timeoutMs = this.connection.connectTimeoutMs;
    const brokers = this.connection.brokers;
    return new Promise<Producer>((resolve, reject) => {
      let native: Producer;
      try {
        native = new Producer(producerConfig(this.connection, this.options));
      } catch (error) {
        reject(new ConfigurationError('connection.kafka', `librdkafka refused the producer configuration: ${(error as Error).message}`, { cause: error }));
        return;
      }
      native.on('delivery-report', this.onDeliveryReport);
      native.on('event.error', (error) => {
        // Kept to explain timeouts ("Connection refused" says more than "Message timed out").
        this.lastError = error;
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

  private lastErrorText(): string {
    return this.lastError ? ` (last broker error: ${this.lastError.message})` : '';
  }

  private deliveryError(error: LibrdKafkaError, message: OutgoingMessage): Error {
    const what = message.id ? `job ${message.id}` : 'message';
    if (error.code === ERR__MSG_TIMED_OUT) {
      return new EnqueueTimeoutError(
        message.id,
        this.options.deliveryTimeoutMs,
        `${what} for topic ${message.topic} was not acknowledged by Kafka at ${this.connection.brokers} within ${this.options.deliveryTimeoutMs} ms${this.lastErrorText()}`,
        { cause: error },
      );
    }
    return new DeliveryError(message.id, error.code, `Kafka did not accept ${what} for topic ${message.topic}: ${error.message}`, { cause: error });
  }

  private produceError(error: unknown, message: OutgoingMessage): Error {
    const code = (error as LibrdKafkaError)?.code;
    if (typeof code !== 'number') return error as Error;
    const what = message.id ? `job ${message.id}` : 'message';
    return new DeliveryError(message.id, code, `could not produce ${what} to topic ${message.topic}: ${(error as Error).message}`, { cause: error });
  }
}

/** One reference to a {@link SharedProducer}; counts its own in-flight messages for `flush`. */
class Handle implements ProducerHandle {
  /** Messages of this handle produced (or backlogged) and not yet acknowledged or failed. */
  pending = 0;
  private idleWaiters: Array<() => void> = [];
  private asyncFailures: Error[] = [];
  private asyncFailureCount = 0;
  private closed: Promise<void> | undefined;

  constructor(private readonly shared: SharedProducer) {}

  get brokers(): string {
    return this.shared.connection.brokers;
  }

  get options(): Readonly<ResolvedProducerOptions> {
    return this.shared.options;
  }

  async connect(): Promise<void> {
    this.assertOpen();
    await this.shared.connect();
  }

  produce(message: OutgoingMessage, options: { awaitAck: true }): Promise<DeliveryResult>;
  produce(message: OutgoingMessage, options?: ProduceOptions): Promise<DeliveryResult | undefined>;
  async produce(message: OutgoingMessage, options: ProduceOptions = {}): Promise<DeliveryResult | undefined> {
    this.assertOpen();
    const native = this.shared.connectedNative() ?? (await this.shared.connect());
    const ticket: Ticket = { message, owner: this };
    this.shared.submit(native, ticket);
    // Delivery reports arrive on a later turn of the event loop: attaching now cannot miss one.
    const ack = options.awaitAck ? this.expectAck(ticket) : undefined;
    if (ticket.taken) {
      try {
        await ticket.taken.promise;
      } catch (error) {
        ack?.catch(() => undefined);
        throw error;
      }
    }
    return ack;
  }

  async produceAll(messages: OutgoingMessage[], awaitAck: boolean[] | boolean): Promise<Array<DeliveryResult | undefined>> {
    this.assertOpen();
    const native = this.shared.connectedNative() ?? (await this.shared.connect());
    const acks: Array<Promise<DeliveryResult> | undefined> = [];
    const backlogged: Array<Promise<void>> = [];
    try {
      for (let i = 0; i < messages.length; i++) {
        const ticket: Ticket = { message: messages[i]!, owner: this };
        this.shared.submit(native, ticket);
        // Delivery reports arrive on a later turn of the event loop, so attaching after
        // submitting cannot miss one.
        const wantsAck = typeof awaitAck === 'boolean' ? awaitAck : awaitAck[i] === true;
        acks.push(wantsAck ? this.expectAck(ticket) : undefined);
        if (ticket.taken) backlogged.push(ticket.taken.promise);
      }
      // Resolves once librdkafka holds every message (at once unless its queue was full).
      if (backlogged.length > 0) await Promise.all(backlogged);
    } catch (error) {
      // The caller gets this error; the acks of messages already produced must not turn into
      // unhandled rejections.
      for (const ack of acks) ack?.catch(() => undefined);
      for (const taken of backlogged) taken.catch(() => undefined);
      throw error;
    }
    return Promise.all(acks);
  }

  async partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return (await this.shared.admin()).partitionCount(topic);
  }

  cachedPartitionCount(topic: string): number | undefined {
    return this.shared.cachedPartitionCount(topic);
  }

  async admin(): Promise<TopicAdmin> {
    this.assertOpen();
    return this.shared.admin();
  }

  async flush(timeoutMs: number = this.shared.options.deliveryTimeoutMs + 5_000): Promise<void> {
    if (this.pending > 0) {
      try {
        // Sends lingering batches now instead of after linger.ms; the wait below is what counts.
        this.shared.connectedNative()?.flush(timeoutMs, () => undefined);
      } catch {
        // Disconnected under us (fatal error): the delivery reports still settle the wait.
      }
      const idle = await this.waitIdle(timeoutMs);
      if (!idle) {
        throw new EnqueueTimeoutError(
          undefined,
          timeoutMs,
          `${this.pending} job(s) were still not acknowledged by Kafka at ${this.brokers} after ${timeoutMs} ms`,
        );
      }
    }
    if (this.asyncFailureCount > 0) {
      const [first] = this.asyncFailures;
      const count = this.asyncFailureCount;
      this.asyncFailures = [];
      this.asyncFailureCount = 0;
      throw new DeliveryError(
        (first as DeliveryError | EnqueueTimeoutError | undefined)?.jobId,
        (first as DeliveryError | undefined)?.code ?? -1,
        `${count} job(s) dispatched async were not delivered; the first: ${first?.message}`,
        { cause: first },
      );
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = (async () => {
        try {
          await this.flush();
        } finally {
          await this.shared.release(this);
        }
      })();
    }
    return this.closed;
  }

  /** Called once per message when it is acknowledged or failed. */
  settleOne(): void {
    this.pending -= 1;
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  recordAsyncFailure(error: Error): void {
    this.asyncFailureCount += 1;
    // Keep a few for the report; a dead broker can fail a hundred thousand jobs at once.
    if (this.asyncFailures.length < 10) this.asyncFailures.push(error);
    if (this.asyncFailureCount === 1) {
      // Never silent: the caller's add() already returned, so tell the process.
      process.emitWarning(`partita: ${error.message}`, { code: 'PARTITA_ASYNC_DELIVERY_FAILED' });
    }
  }

  private expectAck(ticket: Ticket): Promise<DeliveryResult> {
    return new Promise<DeliveryResult>((resolve, reject) => {
      const limit = this.shared.options.deliveryTimeoutMs + 5_000;
      // librdkafka reports every message within message.timeout.ms; this guard only protects
      // against a report that never reaches JS (e.g. the client was torn down under us).
      const timer = setTimeout(() => {
        reject(
          new EnqueueTimeoutError(
            ticket.message.id,
            limit,
            `no delivery report for ${ticket.message.id ? `job ${ticket.message.id}` : 'a message'} within ${limit} ms`,
          ),
        );
      }, limit);
      timer.unref();
      ticket.ack = { resolve, reject, timer };
    });
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new EnqueuerClosedError('this producer handle was closed; create a new queue/enqueuer');
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
