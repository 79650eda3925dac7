import { CODES, KafkaConsumer, LibrdKafkaError, Message, TopicPartition as RdTopicPartition } from '@confluentinc/kafka-javascript';
import type { ResolvedWorkerConfig } from '../config';
import type { InboundMessage } from '../core/inbound-message';
import type { AssignmentControl, ConsumerControl, TopicPartitionOffset } from '../engine/contracts';
import { KafkaClientError, KafkaConnectError } from '../errors';
import { kafkaError } from './client-error';
import type { TopicPartition } from '../events';
import { toInboundMessage } from './message-conversion';

/** What the shell reports to its owner. */
export interface ConsumerShellHandlers {
  /**
   * The group assigned partitions (called inside the rebalance callback, see engine/rebalance.ts);
   * `control` takes them, reads their committed offsets and later releases them.
   */
  onAssigned(partitions: TopicPartition[], control: AssignmentControl): void;
  /** The group revokes partitions; resolves once they were released through `control`. */
  onRevoked(partitions: TopicPartition[], control: AssignmentControl): Promise<void>;
  onMessages(messages: InboundMessage[]): void;
  /** Called after each poll, a good moment to store moved commit points. */
  afterPoll(): void;
  onError(error: Error): void;
  /** Every broker connection is down (reported once until they are back). */
  onBrokerDown(error: Error): void;
  /** A broker answers again after `onBrokerDown`; `downMs` is how long none did. */
  onBrokerUp(downMs: number): void;
}

/** Cooperative-rebalance methods the client has but its type declarations lack. */
type CooperativeConsumer = KafkaConsumer & {
  incrementalAssign(assignment: RdTopicPartition[]): void;
  incrementalUnassign(assignment: RdTopicPartition[]): void;
  assignmentLost(): boolean;
  commitCb(offsets: RdTopicPartition[], cb: (err: LibrdKafkaError | null) => void): void;
};

/** How long reading committed offsets of new partitions may take. */
const COMMITTED_TIMEOUT_MS = 10000;

/** How long a poll waits for the first message; short, so the loop stays responsive. */
const POLL_TIMEOUT_MS = 100;

/** While the brokers are down, how often to ask one for metadata to notice that they are back. */
const BROKER_PROBE_MS = 1000;

/**
 * librdkafka's error for "no broker can be reached now" (it reconnects by itself). The binding
 * passes client events on with code -1, so its text ("Local: All broker connections are down")
 * is what tells it apart.
 */
function isAllBrokersDown(error: LibrdKafkaError): boolean {
  return error.code === CODES.ERRORS.ERR__ALL_BROKERS_DOWN || /all broker connections are down/i.test(`${error.message} ${error.stack ?? ''}`);
}

/**
 * The thin Kafka shell: owns the librdkafka consumer (callback API), the poll loop, pause/resume,
 * offsets, and the rebalance callback, which hands assignments and revocations to the engine's
 * rebalance handling (engine/rebalance.ts) with this shell as its {@link AssignmentControl}. The
 * poll loop never waits on a job.
 */
export class ConsumerShell implements ConsumerControl, AssignmentControl {
  private readonly consumer: CooperativeConsumer;
  private polling = false;
  private closing = false;
  private loopStopped: Promise<void> = Promise.resolve();
  private revocations: Promise<void> = Promise.resolve();
  private connecting?: Promise<void>;
  private disconnecting?: Promise<void>;
  /** When the brokers went down (epoch ms), while they are; the probe that looks for them. */
  private brokersDownSince?: number;
  private brokerProbe?: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly config: ResolvedWorkerConfig,
    private readonly handlers: ConsumerShellHandlers,
  ) {
    this.consumer = <CooperativeConsumer>new KafkaConsumer(
      {
        'bootstrap.servers': config.brokers,
        'client.id': config.clientId,
        'group.id': config.groupId,
        'partition.assignment.strategy': 'cooperative-sticky',
        'enable.auto.commit': true,
        'auto.commit.interval.ms': config.commitIntervalMs,
        'enable.auto.offset.store': false,
        // Keep librdkafka's prefetch small: our own buffer does the buffering (bounded memory).
        'queued.max.messages.kbytes': 8192,
        // A small prefetch fills up often, and librdkafka then postpones that partition's next fetch
        // by this much (default 1 s), which would leave the worker idle.
        'fetch.queue.backoff.ms': 10,
        ...config.kafka,
        rebalance_cb: (err: LibrdKafkaError, assignment: RdTopicPartition[]) => this.onRebalance(err, assignment),
      },
      // Jobs enqueued before the group's first start must run, so a new group starts at the beginning.
      // (A topic property: in the global config the binding's topic config would override it.)
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('event.error', (error: LibrdKafkaError) => {
      try {
        if (error.isFatal) this.handlers.onError(kafkaError(error));
        else if (isAllBrokersDown(error)) this.brokersDown(error);
      } catch {
        // A throw here would surface in librdkafka's callback dispatch; handlers report their own errors.
      }
    });
  }

  /** Connects, subscribes and starts the poll loop; does nothing once `stop()` was called. */
  async start(connectTimeoutMs = 30000): Promise<void> {
    if (this.closing) return;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.consumer.connect({ timeout: connectTimeoutMs }, (err) => (err ? reject(new KafkaConnectError(this.config.brokers, kafkaError(err))) : resolve()));
    });
    await this.connecting;
    // Stopped while connecting: stop() disconnects; nothing to subscribe.
    if (this.closing) return;
    this.consumer.setDefaultConsumeTimeout(POLL_TIMEOUT_MS);
    // Return a batch as soon as librdkafka's queue is empty instead of waiting for it to fill up.
    (this.consumer as CooperativeConsumer & { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
    this.consumer.subscribe(this.config.queues);
    this.polling = true;
    this.loopStopped = new Promise((resolve) => this.poll(resolve));
  }

  /**
   * Stops polling and leaves the group (after the owner drained and committed). The owner bounds
   * the wait: a close that librdkafka cannot finish (a rebalance waiting on a dead member) goes on
   * in the background; the process exits anyway.
   */
  async stop(): Promise<void> {
    this.closing = true;
    this.polling = false;
    this.stopBrokerProbe();
    await this.loopStopped;
    await this.revocations;
    // A connect in flight: wait for it, then close what it opened.
    await this.connecting?.catch(() => undefined);
    if (!this.consumer.isConnected()) return;
    this.disconnecting ??= new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
    await this.disconnecting;
  }

  pause(partitions: TopicPartition[]): void {
    this.guard(() => this.consumer.pause(partitions));
  }

  resume(partitions: TopicPartition[]): void {
    this.guard(() => this.consumer.resume(partitions));
  }

  storeOffsets(offsets: TopicPartitionOffset[]): void {
    this.guard(() => this.consumer.offsetsStore(offsets));
  }

  /** Commits without blocking the thread: during an outage a commit may wait long, and timers must still fire. */
  commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer.isConnected()) return Promise.reject(new Error('consumer is disconnected'));
    return new Promise((resolve, reject) => {
      this.consumer.commitCb(offsets, (err: LibrdKafkaError | null) => (err ? reject(kafkaError(err)) : resolve()));
    });
  }

  commitBlocking(offsets: TopicPartitionOffset[]): void {
    if (this.consumer.isConnected()) this.consumer.commitSync(offsets);
  }

  private poll(done: () => void): void {
    if (!this.polling) {
      done();
      return;
    }
    this.consumer.consume(this.config.batchSize, (err, messages) => {
      // A failed poll (e.g. broker away) retries after a pause instead of spinning.
      const retryLater = !!err && err.code !== CODES.ERRORS.ERR__TIMED_OUT;
      // Asks for the next batch before handling this one: the binding fetches it on a libuv thread
      // while this thread runs the jobs. Still one consume at a time, so batches stay in order.
      const fetchAhead = this.polling && !retryLater;
      if (fetchAhead) this.poll(done);
      if (err && err.code !== CODES.ERRORS.ERR__TIMED_OUT && err.code !== CODES.ERRORS.ERR__PARTITION_EOF) {
        if (!this.closing) this.handlers.onError(kafkaError(err));
      }
      try {
        if (messages && messages.length > 0) this.handlers.onMessages(messages.map((m: Message) => toInboundMessage(m)));
        this.handlers.afterPoll();
      } catch (error) {
        this.handlers.onError(error as Error);
      }
      if (fetchAhead) return;
      if (retryLater) setTimeout(() => this.poll(done), POLL_TIMEOUT_MS);
      // Stopped: this batch was handed over above, now the loop ends.
      else done();
    });
  }

  private onRebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    try {
      this.rebalance(err, assignment);
    } catch (error) {
      // An exception escaping into librdkafka's callback dispatch ends the process while the consumer
      // may be closing on a libuv thread, and the exit then waits for that close for ever.
      this.guard(() => this.handlers.onError(error as Error));
    }
  }

  private rebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.handlers.onAssigned(assignment, this);
      return;
    }
    if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      // librdkafka waits for the release; meanwhile the loop keeps polling and running jobs drain.
      const revocation = this.handlers.onRevoked(assignment, this).catch((error: Error) => this.handlers.onError(error));
      this.revocations = this.revocations.then(() => revocation);
      return;
    }
    this.handlers.onError(kafkaError(err));
  }

  take(partitions: TopicPartition[]): void {
    this.guard(() => this.consumer.incrementalAssign(partitions));
  }

  release(partitions: TopicPartition[]): void {
    this.guard(() => this.consumer.incrementalUnassign(partitions));
  }

  assignmentLost(): boolean {
    return this.guardValue(() => this.consumer.assignmentLost(), false);
  }

  /** Every broker is down: report it once, then probe for their return. */
  private brokersDown(error: LibrdKafkaError): void {
    if (this.brokersDownSince !== undefined || this.closing) return;
    this.brokersDownSince = Date.now();
    this.handlers.onBrokerDown(kafkaError(error));
    this.brokerProbe = setInterval(() => this.probeBrokers(), BROKER_PROBE_MS);
    this.brokerProbe.unref();
  }

  /** A metadata request succeeds only when a broker answers: that is the sign they are back. */
  private probeBrokers(): void {
    if (this.probing || this.brokersDownSince === undefined) return;
    this.probing = true;
    try {
      this.consumer.getMetadata({ topic: this.config.queues[0], timeout: BROKER_PROBE_MS }, (err) => {
        this.probing = false;
        if (err || this.brokersDownSince === undefined || this.closing) return;
        const downMs = Date.now() - this.brokersDownSince;
        this.stopBrokerProbe();
        this.handlers.onBrokerUp(downMs);
      });
    } catch {
      // Disconnected meanwhile (closing): the probe ends with the consumer.
      this.probing = false;
    }
  }

  private stopBrokerProbe(): void {
    if (this.brokerProbe) clearInterval(this.brokerProbe);
    this.brokerProbe = undefined;
    this.brokersDownSince = undefined;
  }

  /** Reads the group's committed offsets and metadata of new partitions (what a previous owner finished). */
  fetchCommitted(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const unknown = () => partitions.map((tp) => ({ ...tp, offset: -1 }));
    return new Promise((resolve) => {
      try {
        this.consumer.committed(partitions, COMMITTED_TIMEOUT_MS, (err, committed) => {
          if (err) {
            // Without the metadata, finished jobs above the commit point may run again: at-least-once holds.
            this.handlers.onError(new KafkaClientError(err.code, `could not read committed offsets: ${err.message}`));
            resolve(unknown());
            return;
          }
          resolve(committed.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: tp.offset ?? -1, metadata: tp.metadata ?? undefined })));
        });
      } catch (error) {
        this.handlers.onError(error as Error);
        resolve(unknown());
      }
    });
  }

  private guard(action: () => unknown): void {
    this.guardValue(action, undefined);
  }

  private guardValue<T>(action: () => T, fallback: T): T {
    try {
      return action();
    } catch (error) {
      // Calls on a consumer that is closing or was kicked out of the group fail; that is not news.
      if (!this.closing && this.consumer.isConnected()) this.handlers.onError(error as Error);
      return fallback;
    }
  }
}
