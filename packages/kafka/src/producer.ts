import { AdminClient, CODES, DeliveryReport, LibrdKafkaError, MessageHeader, Producer } from '@confluentinc/kafka-javascript';
import { peekEnvelopeId } from '@partita/job/wire';
import { ConnectionOptions, ResolvedConnection, resolveConnection } from './connection';
import { DeliveryError, EnqueuerClosedError, EnqueueTimeoutError, TopicNotFoundError } from './errors';
import { FastLedger } from './fast-channel-ledger';
import { NativeChannel } from './native-channel';
import { ProducerChannel, ProducerOptions, ResolvedProducerOptions, resolveProducerOptions } from './producer-options';
import { TopicAdmin } from './topic-admin';

export { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_LINGER_MS, DEFAULT_MAX_QUEUED_MESSAGES, producerConfig, resolveProducerOptions } from './producer-options';
export type { ProducerChannel, ProducerOptions, ResolvedProducerOptions } from './producer-options';

/** A message for {@link ProducerHandle.produce}. */
export interface OutgoingMessage {
  topic: string;
  /** An explicit partition; undefined lets the `murmur2_random` partitioner pick it from the key. */
  partition?: number;
  key?: string | Buffer | null;
  value: Buffer | null;
  /** Headers by name, or as a list of `[name, value]` pairs (in order; a name may repeat). */
  headers?: Record<string, string | Buffer> | ReadonlyArray<readonly [string, string | Buffer]>;
  /** Names the message in errors (partita passes the job id). */
  id?: string;
}

/** Where the broker wrote a message. */
export interface DeliveryResult {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * Hears of an async job that could not be delivered: `jobId` (undefined for a message without one)
 * and why (an `EnqueueTimeoutError` or a `DeliveryError`).
 */
export type DeliveryFailureListener = (jobId: string | undefined, error: Error) => void;

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
   * Counts the times the producer failed jobs it held or was about to take (delivery timeout, fatal
   * error, no connection, a queue full for the delivery timeout). A caller that prepared a message
   * before a change must not produce it afterwards: it was added before jobs that failed, and would
   * be written after them.
   */
  readonly generation: number;
  /**
   * Waits until every message of this handle is acknowledged or failed; rejects with
   * `EnqueueTimeoutError` after `timeoutMs`, or with a `DeliveryError` naming every async message
   * that failed since the last flush (`jobIds`).
   * Async messages are waited for with everything the process produced async before the call
   * (their channel reports failures only), while later messages wait in line for a few ms.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes, then releases this reference. Idempotent. */
  close(): Promise<void>;
  /**
   * Calls `listener` once for every async message of this handle (and, since the fast channel does
   * not know whose message failed, of other handles with async messages outstanding at the time)
   * that could not be delivered, as soon as that is known. Returns a function that removes it.
   */
  onDeliveryFailed(listener: DeliveryFailureListener): () => void;
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
    const busy = [...registry.values()].filter((shared) => shared.hasUnsettled());
    if (busy.length === 0) return;
    // Async work here keeps the process alive; beforeExit fires again once it is done.
    void Promise.all(busy.map((shared) => shared.flushEverything().catch(() => undefined)));
  });
}

/**
 * How long async messages keep going through the acked channel after a message that needed an
 * acknowledgement. Changing channels waits until the channel in use has drained (see
 * {@link SharedProducer}), so traffic that mixes sync and async jobs stays on one channel.
 */
const ACKED_HOLD_MS = 1_000;

/** One message on its way through librdkafka. On the acked channel it travels as the message's opaque. */
interface Ticket {
  readonly message: OutgoingMessage;
  readonly owner: Handle;
  readonly channel: ProducerChannel;
  /** Fast channel: the message's place in that channel's order (see `SharedProducer.fastSettled`); 0 otherwise. */
  readonly seq: number;
  /** Settles the promise of a sync produce from the delivery report. */
  ack?: { resolve(result: DeliveryResult): void; reject(error: Error): void; timer: NodeJS.Timeout };
  /** Set while the ticket waits in the backlog: settles once librdkafka took the message (or refused it). */
  taken?: { promise: Promise<void>; resolve(): void; reject(error: Error): void };
  /** Acked channel: when librdkafka took the message (for the delivery timeout). */
  producedAt?: number;
}

/**
 * A place in the backlog where the fast channel is flushed: every fast message submitted before it
 * is then acknowledged or reported failed. `Handle.flush` waits on one.
 */
interface Barrier {
  readonly barrier: true;
  /** The last fast-channel seq submitted before the barrier. */
  readonly seq: number;
  readonly timeoutMs: number;
  started: boolean;
  readonly settled: Promise<boolean>;
  resolve(settled: boolean): void;
}

type BacklogEntry = Ticket | Barrier;

const { ERR__QUEUE_FULL, ERR__MSG_TIMED_OUT } = CODES.ERRORS;

/** How long a partition count stays in use after the broker could not be asked for a fresh one. */
const STALE_COUNT_TRUST_MS = 30_000;

/** How often the delivery timeout is checked and the fast channel's ledger pruned. */
const WATCH_INTERVAL_MS = 500;

/** Fast-channel messages still unsettled after this long are settled by a barrier (see `watch`). */
const SETTLE_AFTER_MS = 2_000;

/**
 * The process-wide producer of one connection. Hands messages to librdkafka in call order through
 * one of two channels (see {@link ProducerChannel}): async messages through the fast channel, whose
 * librdkafka producer reports failures only, and messages that wait for the broker's
 * acknowledgement through the acked channel, whose delivery reports settle their promises.
 *
 * Order across channels: messages go to one channel at a time. A message for the other channel, and every
 * message after it, waits in the backlog until the channel in use has drained, so two jobs of one
 * key never overtake each other. The fast channel knows no per-message success, so a flush puts a
 * barrier in the backlog: the fast channel is flushed with everything after the barrier held back.
 */
class SharedProducer {
  private refs = 0;
  private readonly channels: Record<ProducerChannel, NativeChannel>;
  /** The channel librdkafka messages currently go to. */
  private active: ProducerChannel = 'fast';
  /** The channel of the last submitted message. */
  private tailChannel: ProducerChannel = 'fast';
  private ackedUntil = 0;
  private topicAdmin: TopicAdmin | undefined;
  /** Messages (and barriers) waiting their turn, oldest first; while it is not empty new messages queue behind it. */
  private backlog: BacklogEntry[] = [];
  private backlogHead = 0;
  private draining = false;
  private lastError: LibrdKafkaError | undefined;
  private closing = false;
  private readonly handles = new Set<Handle>();
  /** The seq of the last message submitted to the fast channel. */
  private fastSubmitted = 0;
  /** The seq of the last fast-channel message handed to librdkafka (or refused by it). */
  private fastProduced = 0;
  /** Every fast-channel message up to this seq is acknowledged or reported failed. */
  fastSettled = 0;
  /** Failure reports of the fast channel received so far. */
  private fastReports = 0;
  private readonly ledger = new FastLedger();
  /** Acked-channel messages librdkafka holds, oldest first (a Set keeps insertion order). */
  private readonly ackedOutstanding = new Set<Ticket>();
  private probing = false;
  /** See {@link ProducerHandle.generation}. */
  generation = 0;
  private readonly watchdog: NodeJS.Timeout;
  /** The last partition count seen per topic; trusted until `trustUntil` after a failed refresh. */
  private readonly knownCounts = new Map<string, { count: number; trustUntil: number }>();

  constructor(
    readonly connection: ResolvedConnection,
    readonly options: ResolvedProducerOptions,
    private readonly onClosed: () => void,
  ) {
    const onError = (error: LibrdKafkaError) => {
      // Kept to explain timeouts ("Connection refused" says more than "Message timed out").
      this.lastError = error;
    };
    this.channels = {
      fast: new NativeChannel('fast', connection, options, {
        onReport: this.onFastReport,
        onError,
        onRetired: (reason) => {
          // The admin client rides on the fast channel's producer.
          this.topicAdmin = undefined;
          if (reason === 'fatal') this.onFatal('fast');
        },
      }),
      acked: new NativeChannel('acked', connection, options, {
        onReport: this.onAckedReport,
        onError,
        onRetired: (reason) => reason === 'fatal' && this.onFatal('acked'),
      }),
    };
    this.watchdog = setInterval(this.watch, WATCH_INTERVAL_MS);
    this.watchdog.unref();
  }

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
    clearInterval(this.watchdog);
    this.onClosed();
    this.topicAdmin = undefined;
    await Promise.all([this.channels.fast.close(), this.channels.acked.close()]);
  }

  /** Whether any handle still has messages that are not acknowledged or failed. */
  hasUnsettled(): boolean {
    if (this.fastSubmitted > this.fastSettled) return true;
    for (const handle of this.handles) if (handle.pending > 0) return true;
    return false;
  }

  async flushEverything(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.handles].map((handle) => handle.flush(timeoutMs)));
  }

  /** Connects the fast channel (which also carries admin requests); rejects with `BrokerUnavailableError`. */
  async connect(): Promise<void> {
    if (this.closing) throw new EnqueuerClosedError('the producer is closed');
    await this.channels.fast.connect();
  }

  async admin(): Promise<TopicAdmin> {
    if (this.closing) throw new EnqueuerClosedError('the producer is closed');
    const native = await this.channels.fast.connect();
    if (!this.topicAdmin) {
      // Reuses the producer's connections instead of opening a second client.
      this.topicAdmin = new TopicAdmin(AdminClient.createFrom(native), this.connection.connectTimeoutMs, false, this.connection.brokers);
    }
    return this.topicAdmin;
  }

  cachedPartitionCount(topic: string): number | undefined {
    const fresh = this.topicAdmin?.cachedPartitionCount(topic);
    if (fresh !== undefined) return fresh;
    const known = this.knownCounts.get(topic);
    return known !== undefined && Date.now() < known.trustUntil ? known.count : undefined;
  }

  /**
   * The topic's partition count. When the broker cannot be asked (an outage), the last count seen
   * is used for a while rather than failing the job: a topic's partitions are never removed, and
   * a job waits in the producer for the broker anyway.
   */
  async partitionCount(topic: string): Promise<number> {
    try {
      const count = await (await this.admin()).partitionCount(topic);
      this.knownCounts.set(topic, { count, trustUntil: 0 });
      return count;
    } catch (error) {
      const known = this.knownCounts.get(topic);
      if (known === undefined || error instanceof TopicNotFoundError || error instanceof EnqueuerClosedError) throw error;
      // Ask again after a while, not on every job: each request waits connectTimeoutMs.
      known.trustUntil = Date.now() + STALE_COUNT_TRUST_MS;
      return known.count;
    }
  }

  /**
   * Hands a message to librdkafka, or queues it in the backlog (then `ticket.taken` is set: await
   * it). Throws a `DeliveryError` when librdkafka refuses the message outright (e.g. too large).
   */
  submit(message: OutgoingMessage, owner: Handle, wantsAck: boolean): Ticket {
    if (this.closing) throw new EnqueuerClosedError('the producer is closed');
    const channel = this.channelFor(wantsAck);
    this.tailChannel = channel;
    const ticket: Ticket = { message, owner, channel, seq: channel === 'fast' ? ++this.fastSubmitted : 0 };
    if (channel === 'fast') owner.lastFastSeq = ticket.seq;
    else owner.pending += 1;
    const native = this.channels[channel].connected;
    if (native === undefined || channel !== this.active || this.backlogHead < this.backlog.length) {
      this.toBacklog(ticket);
      return ticket;
    }
    try {
      this.produceNative(native, ticket);
    } catch (error) {
      if ((error as LibrdKafkaError).code !== ERR__QUEUE_FULL) {
        if (channel === 'acked') owner.settleOne();
        throw this.produceError(error, message);
      }
      this.toBacklog(ticket);
    }
    return ticket;
  }

  /**
   * Resolves once every fast-channel message submitted so far is acknowledged or reported failed;
   * false when that took longer than `timeoutMs`.
   */
  fastBarrier(timeoutMs: number): Promise<boolean> {
    const last = this.backlog.length > this.backlogHead ? this.backlog[this.backlog.length - 1] : undefined;
    if (last !== undefined && 'barrier' in last && !last.started && last.seq === this.fastSubmitted) return last.settled;
    let resolve!: (settled: boolean) => void;
    const settled = new Promise<boolean>((r) => (resolve = r));
    this.backlog.push({ barrier: true, seq: this.fastSubmitted, timeoutMs, started: false, settled, resolve });
    void this.drain();
    return settled;
  }

  /** Sends what lingers in the acked channel's batches now. */
  kickAcked(): void {
    this.channels.acked.kick();
  }

  private channelFor(wantsAck: boolean): ProducerChannel {
    if (wantsAck) {
      this.ackedUntil = Date.now() + ACKED_HOLD_MS;
      return 'acked';
    }
    return this.tailChannel === 'acked' && Date.now() < this.ackedUntil ? 'acked' : 'fast';
  }

  private toBacklog(ticket: Ticket): void {
    let settle!: Pick<NonNullable<Ticket['taken']>, 'resolve' | 'reject'>;
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    ticket.taken = { promise, ...settle };
    this.backlog.push(ticket);
    void this.drain();
  }

  private produceNative(native: Producer, ticket: Ticket): void {
    const { message } = ticket;
    let headers: MessageHeader[] | undefined;
    if (message.headers) {
      // The binding takes one single-key object per header.
      headers = [];
      if (isHeaderList(message.headers)) for (const [name, value] of message.headers) headers.push({ [name]: value });
      else for (const name in message.headers) headers.push({ [name]: message.headers[name] });
    }
    if (ticket.channel === 'fast') {
      this.fastProduced = ticket.seq;
      // No opaque: the binding would hold a reference for a report that never comes on success.
      native.produce(message.topic, message.partition ?? null, message.value, message.key ?? null, null, undefined, headers);
      this.ledger.push(message.id ?? message.value);
    } else {
      native.produce(message.topic, message.partition ?? null, message.value, message.key ?? null, null, ticket, headers);
      ticket.producedAt = Date.now();
      this.ackedOutstanding.add(ticket);
    }
  }

  /**
   * Works through the backlog in order: barriers, channel changes, and messages as room frees up.
   * Giving up (see {@link giveUp}) may empty the backlog while this awaits: after every await the
   * entry is looked up again.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let delay = 1;
    let lastProgress = Date.now();
    const drainTimeoutMs = this.options.deliveryTimeoutMs + 5_000;
    try {
      while (this.backlogHead < this.backlog.length) {
        const entry = this.backlog[this.backlogHead];
        if ('barrier' in entry) {
          entry.started = true;
          const settled = await this.settleFastChannel(entry.timeoutMs);
          if (settled) this.fastSettled = Math.max(this.fastSettled, entry.seq);
          if (this.backlog[this.backlogHead] === entry) this.shiftBacklog();
          entry.resolve(settled);
          continue;
        }
        if (entry.channel !== this.active) {
          // Waits until every message of the old channel is written, reported failed or given up on
          // (within the delivery timeout), so none can land after what follows.
          if (this.active === 'fast') {
            const produced = this.fastProduced;
            if (await this.settleFastChannel(drainTimeoutMs)) this.fastSettled = Math.max(this.fastSettled, produced);
          } else {
            await this.channels.acked.flush(drainTimeoutMs);
          }
          if (this.backlog[this.backlogHead] !== entry) continue;
          this.active = entry.channel;
        }
        let native = this.channels[entry.channel].connected;
        if (!native) {
          try {
            native = await this.channels[entry.channel].connect();
          } catch (error) {
            this.failBacklog(error as Error);
            return;
          }
          if (this.backlog[this.backlogHead] !== entry) continue;
        }
        try {
          this.produceNative(native, entry);
          this.shiftBacklog();
          entry.taken?.resolve();
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
            // Deliveries free room in librdkafka's queue; give them time to arrive.
            await sleep(delay);
            delay = Math.min(delay * 2, 50);
            continue;
          }
          this.shiftBacklog();
          this.failTicket(entry, this.produceError(error, entry.message));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Flushes the fast channel, then lets its failure reports reach JS: the binding hands them over in
   * slices of 100 per event-loop turn after librdkafka served them, so this waits until a turn
   * brings none. True when the flush finished within `timeoutMs`.
   */
  private async settleFastChannel(timeoutMs: number): Promise<boolean> {
    // Everything before this point has been handed to librdkafka.
    const accepted = this.ledger.accepted;
    const flushed = await this.channels.fast.flush(timeoutMs);
    if (flushed) this.ledger.settle(accepted);
    let seen: number;
    do {
      seen = this.fastReports;
      await nextTurn();
      await nextTurn();
    } while (seen !== this.fastReports);
    return flushed;
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

  /** Fails everything waiting: librdkafka cannot be reached. Barriers resolve, as nothing before them is outstanding. */
  private failBacklog(error: Error): void {
    const failed = this.backlog.slice(this.backlogHead);
    this.backlog = [];
    this.backlogHead = 0;
    // Jobs failed: a call still preparing its jobs (waiting for a partition count) was made after
    // these and must not be written after them.
    if (failed.some((entry) => !('barrier' in entry))) this.generation += 1;
    for (const entry of failed) {
      if ('barrier' in entry) entry.resolve(true);
      else this.failTicket(entry, error);
    }
  }

  private failTicket(ticket: Ticket, error: Error): void {
    if (ticket.channel === 'acked') ticket.owner.settleOne();
    ticket.taken?.reject(error);
    if (ticket.ack) {
      clearTimeout(ticket.ack.timer);
      ticket.ack.reject(error);
    }
  }

  /**
   * Every WATCH_INTERVAL_MS: gives up when a message has waited longer than the delivery timeout,
   * and prunes the fast channel's ledger (seen idle: all of it; grown large: a barrier settles it).
   */
  private readonly watch = (): void => {
    const now = Date.now();
    const limit = this.options.deliveryTimeoutMs;
    const oldestAcked = this.ackedOutstanding.values().next().value;
    if (oldestAcked && now - oldestAcked.producedAt! > limit) {
      this.giveUp();
      return;
    }
    if (this.ledger.unsettled === 0) return;
    this.ledger.mark(now);
    if (now - this.ledger.oldestProducedBy(now) > limit) {
      this.giveUp();
      return;
    }
    if (!this.probing) {
      this.probing = true;
      const accepted = this.ledger.accepted;
      void this.channels.fast.isIdle().then((idle) => {
        this.probing = false;
        if (idle) this.ledger.settle(accepted);
      });
    }
    // Under steady load the channel is never seen idle: a barrier (a pause of about one round trip)
    // settles what is older than SETTLE_AFTER_MS, so that giving up names few jobs that were in
    // fact written, and the ledger stays small.
    if (now - this.ledger.oldestProducedBy(now) > SETTLE_AFTER_MS && !this.barrierQueued()) void this.fastBarrier(limit + 5_000);
  };

  private barrierQueued(): boolean {
    for (let i = this.backlogHead; i < this.backlog.length; i++) if ('barrier' in this.backlog[i]) return true;
    return false;
  }

  /**
   * The delivery timeout passed for a message librdkafka still holds: gives up on everything not
   * yet acknowledged, so that no later message of its partition (or of any other) can be written
   * after it. Both producers are dropped at once (nothing they held is sent afterwards), every
   * message they held is reported failed by id (it may have been written if it was in flight), and
   * every message waiting in the backlog fails too. The next message opens fresh producers.
   */
  private giveUp(): void {
    const limit = this.options.deliveryTimeoutMs;
    const why = `was not acknowledged by Kafka at ${this.connection.brokers} within ${limit} ms, so the producer gave up on it and on every job it still held (a job that was in flight may still have been written)${this.lastErrorText()}`;
    this.generation += 1;
    this.channels.fast.abandon();
    this.channels.acked.abandon();

    const fastIds = this.ledger.takeAll();
    const owners = [...this.handles].filter((handle) => handle.lastFastSeq > this.fastSettled);
    for (const id of fastIds) {
      const failure = new EnqueueTimeoutError(id, limit, `${id === undefined ? 'a message' : `job ${id}`} ${why}`);
      for (const handle of owners) handle.recordAsyncFailure(failure, id);
      if (owners.length === 0) process.emitWarning(`partita: ${failure.message}`, { code: 'PARTITA_ASYNC_DELIVERY_FAILED' });
    }
    this.fastSettled = Math.max(this.fastSettled, this.fastProduced);

    const tickets = [...this.ackedOutstanding];
    this.ackedOutstanding.clear();
    for (const ticket of tickets) {
      const id = ticket.message.id;
      const failure = new EnqueueTimeoutError(id, limit, `${id === undefined ? 'a message' : `job ${id}`} for topic ${ticket.message.topic} ${why}`);
      ticket.owner.settleOne();
      if (ticket.ack) {
        clearTimeout(ticket.ack.timer);
        ticket.ack.reject(failure);
      } else {
        ticket.owner.recordAsyncFailure(failure, id);
      }
    }
    this.failBacklog(new EnqueueTimeoutError(undefined, limit, `the job was not produced: jobs handed to the producer before it ${why}`));
  }

  /**
   * A channel's producer hit a fatal error: librdkafka fails what it queued (reported by id) and the
   * channel is replaced. What waits in the backlog was submitted before that was reported, so it fails
   * too rather than being written after a failed job of its key.
   */
  private onFatal(channel: ProducerChannel): void {
    this.generation += 1;
    this.failBacklog(
      new DeliveryError(
        undefined,
        -1,
        `the job was not produced: the ${channel} producer of Kafka at ${this.connection.brokers} hit a fatal error${this.lastErrorText()}`,
      ),
    );
  }

  private readonly onAckedReport = (error: LibrdKafkaError | null | undefined, report: DeliveryReport): void => {
    const ticket = report.opaque as Ticket | undefined;
    // Not outstanding: given up on already (and reported then).
    if (!ticket || !this.ackedOutstanding.delete(ticket)) return;
    ticket.owner.settleOne();
    if (ticket.ack) clearTimeout(ticket.ack.timer);
    if (error) {
      const failure = this.deliveryError(error, ticket.message.topic, ticket.message.id);
      if (ticket.ack) ticket.ack.reject(failure);
      else ticket.owner.recordAsyncFailure(failure, ticket.message.id);
      return;
    }
    ticket.ack?.resolve({ topic: report.topic, partition: report.partition, offset: report.offset });
  };

  /** The fast channel reports failures only; the message's value names the job. */
  private readonly onFastReport = (error: LibrdKafkaError | null | undefined, report: DeliveryReport): void => {
    this.fastReports += 1;
    if (!error) return;
    const id = peekEnvelopeId(report.value);
    if (id !== undefined && this.ledger.unsettled > 0) this.ledger.reported.add(id);
    const failure = this.deliveryError(error, report.topic, id);
    // Which handle produced it is not known: every handle with fast messages outstanding hears of it.
    let told = false;
    for (const handle of this.handles) {
      if (handle.lastFastSeq > this.fastSettled) {
        handle.recordAsyncFailure(failure, id);
        told = true;
      }
    }
    if (!told) process.emitWarning(`partita: ${failure.message}`, { code: 'PARTITA_ASYNC_DELIVERY_FAILED' });
  };

  private lastErrorText(): string {
    return this.lastError ? ` (last broker error: ${this.lastError.message})` : '';
  }

  private deliveryError(error: LibrdKafkaError, topic: string, id: string | undefined): Error {
    const what = id ? `job ${id}` : 'message';
    if (error.code === ERR__MSG_TIMED_OUT) {
      return new EnqueueTimeoutError(
        id,
        this.options.deliveryTimeoutMs,
        `${what} for topic ${topic} was not acknowledged by Kafka at ${this.connection.brokers} within ${this.options.deliveryTimeoutMs} ms${this.lastErrorText()}`,
        { cause: error },
      );
    }
    return new DeliveryError(id, error.code, `Kafka did not accept ${what} for topic ${topic}: ${error.message}`, { cause: error });
  }

  private produceError(error: unknown, message: OutgoingMessage): Error {
    const code = (error as LibrdKafkaError)?.code;
    if (typeof code !== 'number') return error as Error;
    const what = message.id ? `job ${message.id}` : 'message';
    return new DeliveryError(message.id, code, `could not produce ${what} to topic ${message.topic}: ${(error as Error).message}`, { cause: error });
  }
}

function isHeaderList(headers: NonNullable<OutgoingMessage['headers']>): headers is ReadonlyArray<readonly [string, string | Buffer]> {
  return Array.isArray(headers);
}

/** One reference to a {@link SharedProducer}; counts its own in-flight messages for `flush`. */
class Handle implements ProducerHandle {
  /** Acked-channel messages of this handle produced (or backlogged) and not yet acknowledged or failed. */
  pending = 0;
  /** The seq of this handle's last fast-channel message. */
  lastFastSeq = 0;
  private idleWaiters: Array<() => void> = [];
  /** The first few async failures, for the error's message and cause. */
  private asyncFailures: Error[] = [];
  private asyncFailureCount = 0;
  /** The id of every async failure since the last flush (ids are short strings: all are kept). */
  private failedIds: string[] = [];
  private readonly failureListeners = new Set<DeliveryFailureListener>();
  private closed: Promise<void> | undefined;

  constructor(private readonly shared: SharedProducer) {}

  get brokers(): string {
    return this.shared.connection.brokers;
  }

  get options(): Readonly<ResolvedProducerOptions> {
    return this.shared.options;
  }

  get generation(): number {
    return this.shared.generation;
  }

  async connect(): Promise<void> {
    this.assertOpen();
    await this.shared.connect();
  }

  produce(message: OutgoingMessage, options: { awaitAck: true }): Promise<DeliveryResult>;
  produce(message: OutgoingMessage, options?: ProduceOptions): Promise<DeliveryResult | undefined>;
  async produce(message: OutgoingMessage, options: ProduceOptions = {}): Promise<DeliveryResult | undefined> {
    const [result] = await this.produceAll([message], options.awaitAck === true);
    return result;
  }

  async produceAll(messages: OutgoingMessage[], awaitAck: boolean[] | boolean): Promise<Array<DeliveryResult | undefined>> {
    this.assertOpen();
    const acks: Array<Promise<DeliveryResult> | undefined> = [];
    const backlogged: Array<Promise<void>> = [];
    try {
      for (let i = 0; i < messages.length; i++) {
        const wantsAck = typeof awaitAck === 'boolean' ? awaitAck : awaitAck[i] === true;
        const ticket = this.shared.submit(messages[i], this, wantsAck);
        // Delivery reports arrive on a later turn of the event loop, so attaching after
        // submitting cannot miss one.
        acks.push(wantsAck ? this.expectAck(ticket) : undefined);
        if (ticket.taken) backlogged.push(ticket.taken.promise);
      }
      // Resolves once librdkafka holds every message (at once unless they wait in the backlog).
      if (backlogged.length > 0) await Promise.all(backlogged);
    } catch (error) {
      // The caller gets this error; the acks of messages already produced must not turn into
      // unhandled rejections.
      for (const ack of acks) ack?.catch(() => undefined);
      for (const taken of backlogged) taken.catch(() => undefined);
      throw error;
    }
    // An undefined entry is a message whose ack nobody waits for; Promise.all passes it through as is,
    // which spares a resolved promise per message on the fire-and-forget path.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    return Promise.all(acks);
  }

  async partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return this.shared.partitionCount(topic);
  }

  cachedPartitionCount(topic: string): number | undefined {
    return this.shared.cachedPartitionCount(topic);
  }

  async admin(): Promise<TopicAdmin> {
    this.assertOpen();
    return this.shared.admin();
  }

  /**
   * Waits for this handle's acked messages one by one, and for its fast-channel messages with a
   * barrier (which waits for the other handles' earlier fast messages too).
   */
  async flush(timeoutMs: number = this.shared.options.deliveryTimeoutMs + 5_000): Promise<void> {
    const waits: Array<Promise<boolean>> = [];
    if (this.lastFastSeq > this.shared.fastSettled) waits.push(this.shared.fastBarrier(timeoutMs));
    if (this.pending > 0) {
      // Sends lingering batches now instead of after linger.ms; the wait below is what counts.
      this.shared.kickAcked();
      waits.push(this.waitIdle(timeoutMs));
    }
    const settled = await Promise.all(waits);
    if (settled.includes(false)) {
      throw new EnqueueTimeoutError(undefined, timeoutMs, `jobs were still not acknowledged by Kafka at ${this.brokers} after ${timeoutMs} ms`);
    }
    if (this.asyncFailureCount > 0) {
      const [first] = this.asyncFailures;
      const count = this.asyncFailureCount;
      const jobIds = this.failedIds;
      this.asyncFailures = [];
      this.asyncFailureCount = 0;
      this.failedIds = [];
      const named =
        jobIds.length === 0
          ? ''
          : ` (${jobIds.slice(0, FAILED_IDS_IN_MESSAGE).join(', ')}${jobIds.length > FAILED_IDS_IN_MESSAGE ? `, and ${jobIds.length - FAILED_IDS_IN_MESSAGE} more: see error.jobIds` : ''})`;
      throw new DeliveryError(
        jobIds[0],
        (first as DeliveryError | undefined)?.code ?? -1,
        `${count} job(s) dispatched async were not delivered${named}; the first: ${first?.message}`,
        { cause: first, jobIds },
      );
    }
  }

  /** Calls `listener` with the id of every async job of this handle that could not be delivered. */
  onDeliveryFailed(listener: DeliveryFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
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

  /** Called once per acked-channel message when it is acknowledged or failed. */
  settleOne(): void {
    this.pending -= 1;
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  recordAsyncFailure(error: Error, jobId: string | undefined): void {
    this.asyncFailureCount += 1;
    // Keep a few errors for the report; a dead broker can fail a hundred thousand jobs at once.
    if (this.asyncFailures.length < 10) this.asyncFailures.push(error);
    if (jobId !== undefined) this.failedIds.push(jobId);
    if (this.asyncFailureCount === 1) {
      // Never silent: the caller's add() already returned, so tell the process.
      process.emitWarning(`partita: ${error.message}`, { code: 'PARTITA_ASYNC_DELIVERY_FAILED' });
    }
    for (const listener of this.failureListeners) {
      try {
        listener(jobId, error);
      } catch (thrown) {
        // A listener's bug must not stop the others from hearing of the failure.
        process.emitWarning(`partita: a deliveryFailed listener threw: ${(thrown as Error)?.message ?? String(thrown)}`, { code: 'PARTITA_LISTENER_THREW' });
      }
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

/** How many failed job ids a DeliveryError's message names (error.jobIds has all of them). */
const FAILED_IDS_IN_MESSAGE = 5;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
