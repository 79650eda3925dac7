import { TypedEmitter } from '@partita/job/emitter';
import type { ResolvedStateOptions } from '../options';
import { applyCommand, COMMAND_HEADROOM, COMMAND_TAILROOM, isNoScript } from '../redis/apply-command';
import { whenReady } from '../redis/connection';
import { QueueKeys, validateJobId } from '../redis/keys';
import { KEPT_CAPACITY, WRITER_CAPACITY } from '../redis/op-list-writer';
import { APPLY_SCRIPT } from '../redis/scripts';
import { isReplyError, StoreConnections } from '../redis/store-connections';
import { DataOp, encodeOps, StateOp } from './ops';
import { PendingData } from './pending-data';
import { retentionArgs } from './retention';
import { endJoin } from './try-join';
import { SendResult, WriteBuffer } from './write-buffer';

/** A job as an enqueuer records it after producing it (see {@link StateStore.recordWaiting}). */
export interface WaitingJob {
  id: string;
  name: string;
  data?: unknown;
  /** The options it was enqueued with (stored as given, superjson-encoded). */
  opts?: Record<string, unknown>;
  /** Its Kafka message key. */
  key?: string | null;
  /** Known for sync dispatch, or when the enqueuer chose the partition. */
  partition?: number;
  /** Known for sync dispatch. */
  offset?: number;
  /**
   * Enqueue time, epoch ms.
   * @defaultValue `Date.now()`
   */
  timestamp?: number;
}

/** What a {@link StateStore} emits about its writes (Redis down or slow). */
export interface StateStoreEvents {
  /** Writes started failing: they are buffered (bounded) and retried with backoff. */
  degraded: [error: Error];
  /** Writes succeed again after failures; `dropped` writes were lost meanwhile. */
  recovered: [info: { downMs: number; dropped: number }];
  /** The write buffer was full and `count` of the oldest writes were dropped. */
  dropped: [count: number];
}

/** Ops of one queue encoded for one apply-script call: what the write buffer holds (and retries as it is). */
interface EncodedChunk {
  queue: string;
  /** In a Buffer of their own, with the room of a command around them (see `applyCommand`). */
  bytes: Buffer;
  /** Ops it holds: its weight in the write buffer. */
  count: number;
  inlineData: boolean;
  /** Its `active` ops that carry data to record (see `learnInlineData`). */
  started: number;
  /** Without inline data: the data of its started jobs, sent for those the script created. */
  dataOf: PendingData | undefined;
}

/** Chunk buffers kept for reuse (two sends of a few chunks in flight, and some to spare). */
const MAX_SPARE_BUFFERS = 16;
/** Ops per Lua script call. */
const OPS_PER_CALL = 500;
/** Lines between two "writes dropped" warnings while degraded, in ms. */
const DROP_WARNING_INTERVAL_MS = 10_000;
/** Redis errors that say "try again later" rather than "this batch is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MOVED|ASK)\b/;

/**
 * The write side of a {@link StateStore}: recorded ops wait in a list, are encoded into chunks
 * (one apply-script call each) every `flushIntervalMs`, and go through the bounded, retrying
 * {@link WriteBuffer} on the store's `writer` connection. Never throws into the recorder and never
 * waits on Redis.
 */
export class StoreWrites {
  private readonly writer: StoreConnections['writer'];
  private readonly buffer: WriteBuffer<EncodedChunk>;
  /** Ops recorded since the last seal (see {@link seal}). */
  private pending: StateOp[] = [];
  private sealTimer: ReturnType<typeof setTimeout> | undefined;
  /** Queues whose recent jobs had no record when a worker took them: send the data with `active`. */
  private readonly inlineData = new Set<string>();
  private readonly createdAt = Date.now();
  /** Buffers of chunks Redis applied, for the encoder to write into again (see `encodeOps`). */
  private readonly spareBuffers: ArrayBuffer[] = [];
  private readonly nextWriterBuffer = (): Buffer => {
    const spare = this.spareBuffers.pop();
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(WRITER_CAPACITY);
  };
  private lastDropWarning = 0;

  constructor(
    private readonly connections: StoreConnections,
    private readonly keys: (queue: string) => QueueKeys,
    private readonly options: ResolvedStateOptions,
    /** Where `degraded`, `recovered` and `dropped` go (the store). */
    private readonly events: TypedEmitter<StateStoreEvents>,
  ) {
    this.writer = connections.writer;
    this.buffer = new WriteBuffer<EncodedChunk>((batch) => this.sendBatch(batch), {
      weigh: (chunk) => chunk.count,
      maxBuffered: this.options.maxBufferedWrites,
      maxBatch: this.options.maxBatchSize,
      maxInFlight: 2,
      // Until the first connection, a batch waits for it (up to connectTimeoutMs); after, a batch
      // goes only while connected, so that an outage never holds writes in flight.
      isReady: () => this.writer.status === 'ready' || (!this.connections.writerWasReady && this.writer.status !== 'end'),
      // Ops are batched into chunks before they reach the buffer (see seal()).
      flushIntervalMs: 0,
      retryMinMs: this.options.retryMinMs,
      retryMaxMs: this.options.retryMaxMs,
    });
    this.writer.on('ready', () => this.buffer.kick());
    this.buffer.on('degraded', (error) => this.onDegraded(error));
    this.buffer.on('recovered', (info) => this.onRecovered(info));
    this.buffer.on('dropped', (count) => this.onDropped(count));
  }

  /** Writes dropped so far (buffer full while Redis was down or slow, or refused by Redis). */
  get dropped(): number {
    return this.buffer.dropped;
  }

  /** Writes waiting to be sent or in flight. */
  get buffered(): number {
    return this.buffer.size + this.pending.length;
  }

  /** True while writes fail (between `degraded` and `recovered`). */
  get degraded(): boolean {
    return this.buffer.degraded;
  }

  /**
   * Buffers one state change; it is written with the next batch. Never throws, never blocks:
   * with Redis away the write waits in a bounded buffer (then the oldest writes are dropped).
   */
  record(op: StateOp): void {
    this.enqueue(op);
  }

  /**
   * Records enqueued jobs as `waiting` (call it after producing them). Buffered like `record`:
   * returns at once, never throws for Redis reasons. A job a worker already took keeps its state;
   * the enqueuer's fields (data, options, partition, offset) are added to it.
   */
  recordWaiting(queue: string, jobs: WaitingJob[]): void {
    this.keys(queue); // validates the queue name
    const now = Date.now();
    for (const job of jobs) {
      validateJobId(job.id);
      this.enqueue({
        kind: 'waiting',
        queue,
        id: job.id,
        name: job.name,
        data: job.data,
        opts: job.opts,
        key: job.key,
        partition: job.partition,
        offset: job.offset,
        timestamp: job.timestamp ?? now,
      });
    }
  }

  /**
   * Sends what is buffered now; resolves true once it is written, false when `timeoutMs` passed
   * first (Redis down). Never rejects.
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    this.seal();
    return this.buffer.flush(timeoutMs);
  }

  /** Writes what is buffered (for up to `timeoutMs`), then stops; later writes are dropped. */
  async close(timeoutMs: number): Promise<void> {
    this.seal();
    await this.buffer.flush(timeoutMs);
    this.buffer.close();
  }

  /** The apply script's leading arguments (see `APPLY_SCRIPT`). */
  private applyHead(base: string, now: number): string[] {
    const o = this.options;
    return [
      base,
      String(o.events ? o.eventsMaxLen : 0),
      ...retentionArgs(o.completed).map(String),
      ...retentionArgs(o.failed).map(String),
      String(o.keepLogs),
      String(o.stackTraceLimit),
      String(o.removedJobTtlMs),
      String(now),
    ];
  }

  /**
   * The write buffer's sender: one script call per chunk, all sent at once (ioredis writes each
   * to the socket without waiting for the others' replies); a failed chunk is retried as it is.
   * Not a pipeline: that would copy each chunk's bytes once more, into one buffer for all the calls.
   */
  private async sendBatch(chunks: EncodedChunk[]): Promise<SendResult<EncodedChunk>> {
    const grace = this.connections.writerWasReady ? 0 : Math.max(0, this.options.connectTimeoutMs - (Date.now() - this.createdAt));
    await whenReady(this.writer, Math.max(this.options.writeTimeoutMs, grace));
    const now = Date.now();
    const results = await Promise.allSettled(
      chunks.map((chunk) => {
        const keys = this.keys(chunk.queue);
        return this.apply(chunk, keys, now);
      }),
    );
    const failed: EncodedChunk[] = [];
    let error: Error | undefined;
    chunks.forEach((chunk, i) => {
      const result = results[i];
      if (result.status === 'fulfilled') {
        this.reuseBuffer(chunk);
        // Applied. Jobs no one had recorded get their data (encoded only for them).
        // With the data inline, the script answers how many jobs it created; else which.
        const reply = result.value;
        const created = Array.isArray(reply) ? (reply as string[]) : [];
        const createdCount = typeof reply === 'number' ? reply : created.length;
        this.learnInlineData(chunk.queue, chunk.started, createdCount);
        if (created.length > 0 && chunk.dataOf) this.sendData(chunk.dataOf.dataOps(created));
        return;
      }
      const replyError = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      if (isReplyError(replyError) && !TRANSIENT_REPLY.test(replyError.message)) {
        // The batch itself is refused (a bug, not an outage): retrying cannot help.
        this.options.logger?.warn(`[partita:state] Redis refused ${chunk.count} state write(s), dropped: ${replyError.message}`);
        this.buffer.dropped += chunk.count;
        this.reuseBuffer(chunk);
        return;
      }
      // Retried from a copy: the failed command's bytes may still wait in the socket's queue (a
      // timeout), and the next try writes its head again in place.
      failed.push({ ...chunk, bytes: copyWithRoom(chunk.bytes) });
      error = replyError;
    });
    return { failed, error };
  }

  /** One apply-script call for a chunk: its command written around its bytes when there is room. */
  private async apply(chunk: EncodedChunk, keys: QueueKeys, now: number): Promise<unknown> {
    const head = this.applyHead(keys.base, now);
    const last = chunk.inlineData ? '1' : '0';
    for (let tries = 1; ; tries++) {
      const command = applyCommand(keys.events, head, chunk.bytes, last);
      if (command === undefined) return this.writer.partitaApply(keys.events, ...head, chunk.bytes, last);
      try {
        return await this.writer.sendCommand(command);
      } catch (error) {
        // Redis lost the script (a restart): load it, then send the chunk once more
        if (!isNoScript(error) || tries > 1) throw error;
        await this.writer.script('LOAD', APPLY_SCRIPT);
      }
    }
  }

  /**
   * Keeps the buffer of a chunk that is done with (applied, or refused for good) for the encoder:
   * `encodeOps` returned its bytes in the writer's own Buffer.
   */
  private reuseBuffer(chunk: EncodedChunk): void {
    const memory = chunk.bytes.buffer;
    if (memory.byteLength < WRITER_CAPACITY || memory.byteLength > KEPT_CAPACITY) return;
    if (this.spareBuffers.length < MAX_SPARE_BUFFERS && memory instanceof ArrayBuffer) this.spareBuffers.push(memory);
  }

  /** Buffers an op until the next seal (see {@link seal}). */
  private enqueue(op: StateOp): void {
    this.pending.push(op);
    if (this.pending.length >= OPS_PER_CALL) this.seal(false);
    else this.scheduleSeal();
  }

  private scheduleSeal(): void {
    this.sealTimer ??= setTimeout(() => this.seal(false), this.options.flushIntervalMs);
  }

  /**
   * Encodes the ops recorded so far into chunks (one apply-script call each) and hands them to
   * the write buffer. Done every `flushIntervalMs` (or every `OPS_PER_CALL` ops), whatever
   * Redis is doing: under load a send takes a while, and ops kept that long as objects (with
   * the job data they point to) get copied and promoted by the garbage collector, at a cost to
   * the worker; bytes cost it nothing. `everything` false lets running
   * starts wait for one more seal (see {@link keepBackRunningStarts}).
   */
  private seal(everything = true): void {
    if (this.sealTimer) {
      clearTimeout(this.sealTimer);
      this.sealTimer = undefined;
    }
    if (this.pending.length === 0) return;
    let ops = this.pending;
    this.pending = [];
    if (!everything) ops = this.keepBackRunningStarts(ops);
    for (const [queue, group] of groupByQueue(ops)) {
      const inlineData = this.inlineData.has(queue);
      for (let i = 0; i < group.length; i += OPS_PER_CALL) {
        const part = group.slice(i, i + OPS_PER_CALL);
        let started = 0;
        for (const op of part) {
          if (op.kind !== 'active') continue;
          // encoded: no completion joins it any more
          endJoin(op);
          if (op.withData) started++;
        }
        const dataOf = !inlineData && started > 0 ? PendingData.of(queue, part) : undefined;
        const bytes = encodeOps(part, { inlineData, nextBuffer: this.nextWriterBuffer, headroom: COMMAND_HEADROOM, tailroom: COMMAND_TAILROOM });
        this.buffer.push({ queue, bytes, count: part.length, inlineData, started, dataOf });
      }
    }
  }

  /**
   * Returns the ops to seal now, and puts back in `pending` (for the next seal, which it schedules)
   * the starts of tries still running, recorded since the last seal with nothing else of their job
   * after them: most complete by the next seal and are written as one change with their start.
   * Else about one job in five was written twice (start, then completion), at twice the cost in
   * Redis. A start is kept back once at most.
   */
  private keepBackRunningStarts(ops: StateOp[]): StateOp[] {
    const now: StateOp[] = [];
    const keptBack: StateOp[] = [];
    for (const op of ops) {
      if (op.kind === 'active' && op.joinable === true && !op.heldBack) {
        op.heldBack = true;
        keptBack.push(op);
      } else {
        now.push(op);
      }
    }
    if (keptBack.length > 0) {
      this.pending = keptBack;
      this.scheduleSeal();
    }
    return now;
  }

  /**
   * Sends the data with the `active` ops of a queue when most of its jobs had no record (their
   * enqueuers do not record state), and apart, only for those, when most had one.
   */
  private learnInlineData(queue: string, started: number, created: number): void {
    if (started === 0) return;
    if (created * 2 > started) this.inlineData.add(queue);
    else this.inlineData.delete(queue);
  }

  /**
   * Queues the data of the jobs the apply script reported as created by a worker, sealed at once
   * so that a `flush()` waiting on this send also waits for them.
   */
  private sendData(ops: readonly DataOp[]): void {
    for (const op of ops) this.enqueue(op);
    this.seal();
  }

  private onDegraded(error: Error): void {
    this.options.logger?.warn(
      `[partita:state] Redis state writes failing (${error.message}); jobs go on, state writes are buffered ` +
        `(up to ${this.options.maxBufferedWrites}, then the oldest are dropped) and retried`,
    );
    this.events.emit('degraded', error);
  }

  private onRecovered(info: { downMs: number; dropped: number }): void {
    this.options.logger?.warn(
      `[partita:state] Redis state writes recovered after ${(info.downMs / 1000).toFixed(1)} s; ${info.dropped} state write(s) were dropped meanwhile`,
    );
    this.events.emit('recovered', info);
  }

  private onDropped(count: number): void {
    const now = Date.now();
    if (now - this.lastDropWarning >= DROP_WARNING_INTERVAL_MS) {
      this.lastDropWarning = now;
      this.options.logger?.warn(`[partita:state] state write buffer full: dropping the oldest writes (${this.buffer.dropped} dropped so far)`);
    }
    this.events.emit('dropped', count);
  }
}

/** A copy of encoded bytes in a Buffer of their own, with the room a command needs around them. */
function copyWithRoom(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(COMMAND_HEADROOM + bytes.length + COMMAND_TAILROOM);
  bytes.copy(copy, COMMAND_HEADROOM);
  return copy.subarray(COMMAND_HEADROOM, COMMAND_HEADROOM + bytes.length);
}

/** The ops of each queue, in order (one queue, the usual case, without a copy). */
function groupByQueue(ops: StateOp[]): Map<string, StateOp[]> {
  const first = ops[0]?.queue;
  if (first !== undefined && ops.every((op) => op.queue === first)) return new Map([[first, ops]]);
  const groups = new Map<string, StateOp[]>();
  for (const op of ops) {
    const group = groups.get(op.queue);
    if (group) group.push(op);
    else groups.set(op.queue, [op]);
  }
  return groups;
}
