import { ChainableCommander, Redis } from 'ioredis';
import { decodeJobHash } from './codec';
import { jobHashOf, readRecords } from './compact-record';
import { closeConnection, openConnection, RedisTarget, resolveRedisTarget, whenReady } from './connection';
import { StateConfigError, StateStoreClosedError, StateUnavailableError } from './errors';
import { FinishWatcher, WaitOptions } from './finish-watcher';
import { JobRecord, JobRecordSource } from './job-record';
import { QueueKeys, validateJobId } from './keys';
import { APPLY_SCRIPT, CLEAN_SCRIPT, RELEASE_SCRIPT, RESERVE_SCRIPT } from './lua';
import { DataOp, encodeOps, StateOp } from './ops';
import { PendingData } from './pending-data';
import { firstWarningFor, persistenceWarning, readPersistence } from './persistence-check';
import { applyCommand, COMMAND_HEADROOM, COMMAND_TAILROOM, isNoScript } from './apply-command';
import { KEPT_CAPACITY, WRITER_CAPACITY } from './op-list-writer';
import { endJoin } from './try-join';
import { ResolvedStateOptions, resolveStateOptions, StateStoreOptions } from './options';
import { retentionArgs } from './retention';
import { isJobState, JOB_STATES, JobState } from './states';
import { TypedEmitter } from '@partita/job/emitter';
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

interface ScriptCommands {
  partitaApply(eventsKey: string, ...args: string[]): Promise<unknown>;
  partitaReserve(eventsKey: string, ...args: string[]): Promise<number[]>;
  partitaRelease(eventsKey: string, ...args: string[]): Promise<number>;
  partitaClean(eventsKey: string, ...args: string[]): Promise<string[]>;
}
/** The apply script as the writer connection sends it: its op list goes as bytes. */
interface ApplyScript {
  partitaApply(eventsKey: string, ...args: Array<string | Buffer>): Promise<unknown>;
}

/**
 * partita's job-state store in Redis. Workers record state through `attachStateRecorder` (writes
 * are batched and never block or fail the worker), enqueuers through `reserveJobIds` and
 * `recordWaiting`, and anyone reads it: `getJob`, `getJobs`, `getJobCounts`, `waitUntilFinished`.
 *
 * Create it with {@link createStateStore}; close it with `close()`.
 */
export class StateStore extends TypedEmitter<StateStoreEvents> implements JobRecordSource {
  readonly prefix: string;
  readonly options: ResolvedStateOptions;
  private readonly target: RedisTarget;
  private readonly client: Redis & ScriptCommands;
  private readonly writer: Redis;
  private readonly buffer: WriteBuffer<EncodedChunk>;
  /** Ops recorded since the last seal (see {@link seal}). */
  private pending: StateOp[] = [];
  private sealTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly watcher: FinishWatcher;
  private readonly queueKeys = new Map<string, QueueKeys>();
  /** Queues whose recent jobs had no record when a worker took them: send the data with `active`. */
  private readonly inlineData = new Set<string>();
  private readonly createdAt = Date.now();
  private writerWasReady = false;
  private clientWasReady = false;
  /** Buffers of chunks Redis applied, for the encoder to write into again (see `encodeOps`). */
  private readonly spareBuffers: ArrayBuffer[] = [];
  private readonly nextWriterBuffer = (): Buffer => {
    const spare = this.spareBuffers.pop();
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(WRITER_CAPACITY);
  };
  private lastDropWarning = 0;
  private closing: Promise<void> | undefined;

  constructor(options: StateStoreOptions = {}) {
    super();
    this.options = resolveStateOptions(options);
    this.prefix = this.options.prefix;
    this.target = resolveRedisTarget(this.options.redis);
    this.client = this.open('client', 'partita:state') as Redis & ScriptCommands;
    this.writer = this.open('writer', 'partita:state:writer');
    this.writer.on('ready', () => (this.writerWasReady = true));
    this.client.on('ready', () => {
      if (this.clientWasReady) return;
      this.clientWasReady = true;
      void this.checkPersistence();
    });
    this.buffer = new WriteBuffer<EncodedChunk>((batch) => this.sendBatch(batch), {
      weigh: (chunk) => chunk.count,
      maxBuffered: this.options.maxBufferedWrites,
      maxBatch: this.options.maxBatchSize,
      maxInFlight: 2,
      // Until the first connection, a batch waits for it (up to connectTimeoutMs); after, a batch
      // goes only while connected, so that an outage never holds writes in flight.
      isReady: () => this.writer.status === 'ready' || (!this.writerWasReady && this.writer.status !== 'end'),
      // Ops are batched into chunks before they reach the buffer (see seal()).
      flushIntervalMs: 0,
      retryMinMs: this.options.retryMinMs,
      retryMaxMs: this.options.retryMaxMs,
    });
    this.writer.on('ready', () => this.buffer.kick());
    this.buffer.on('degraded', (error) => this.onDegraded(error));
    this.buffer.on('recovered', (info) => this.onRecovered(info));
    this.buffer.on('dropped', (count) => this.onDropped(count));
    this.watcher = new FinishWatcher({
      client: this.client,
      openBlocking: (name) => this.openBlocking(name),
      keys: (queue) => this.keys(queue),
      pollIntervalMs: this.options.pollIntervalMs,
      blockMs: 5000,
      idleMs: 10_000,
      onError: () => undefined, // the poll covers for the stream; the writer reports outages
    });
  }

  /** Writes dropped since the store was created (buffer full while Redis was down or slow). */
  get droppedWrites(): number {
    return this.buffer.dropped;
  }

  /** Writes waiting to be sent or in flight. */
  get bufferedWrites(): number {
    return this.buffer.size + this.pending.length;
  }

  /** True while writes fail (between `degraded` and `recovered`). */
  get degraded(): boolean {
    return this.buffer.degraded;
  }

  /** The Redis keys of a queue. */
  keys(queue: string): QueueKeys {
    let keys = this.queueKeys.get(queue);
    if (!keys) {
      keys = new QueueKeys(this.prefix, queue);
      this.queueKeys.set(queue, keys);
    }
    return keys;
  }

  /** Resolves once both connections are ready; rejects after `timeoutMs`. */
  async waitUntilReady(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    this.assertOpen();
    await Promise.all([whenReady(this.client, timeoutMs), whenReady(this.writer, timeoutMs)]);
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Buffers one state change; it is written with the next batch. Never throws, never blocks:
   * with Redis away the write waits in a bounded buffer (then the oldest writes are dropped).
   */
  record(op: StateOp): void {
    this.enqueue(op);
  }

  /** A try's completion may join its start while that waits here (see `try-join.ts`). */
  readonly joinsTries = true;

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
   * Reserves job ids before their jobs are produced, atomically (one Lua script): for each id,
   * `true` when it is new (or its job finished: it may run again) and is now reserved, `false`
   * when a job with this id is known and not finished (BullMQ semantics: adding it again is a
   * no-op). An id twice in `ids` is new once. A reservation expires after `reservationTtlMs`
   * unless `recordWaiting` (or a worker) records the job; `releaseJobIds` drops it at once.
   *
   * Rejects with a {@link StateUnavailableError} when Redis does not answer in `readTimeoutMs`.
   */
  async reserveJobIds(queue: string, ids: string[]): Promise<boolean[]> {
    const keys = this.keys(queue);
    ids.forEach((id) => validateJobId(id));
    if (ids.length === 0) return [];
    this.assertOpen();
    // Once connected, a lost connection fails the call at once: ioredis would hold it through two
    // reconnect attempts (up to seconds), and the enqueuer can produce nothing without the answer.
    if (this.clientWasReady && this.client.status !== 'ready') {
      throw new StateUnavailableError(`Redis state store unavailable: the connection to Redis is lost (${this.client.status}), reconnecting`);
    }
    const result = await this.read(() =>
      this.client.partitaReserve(keys.events, keys.base, String(Date.now()), String(this.options.reservationTtlMs), ...ids),
    );
    return result.map((r) => Number(r) === 1);
  }

  /** Drops reservations of `reserveJobIds` whose jobs were not produced. Resolves with how many. */
  async releaseJobIds(queue: string, ids: string[]): Promise<number> {
    const keys = this.keys(queue);
    if (ids.length === 0) return 0;
    return Number(await this.read(() => this.client.partitaRelease(keys.events, keys.base, ...ids)));
  }

  /**
   * Sends what is buffered now; resolves true once it is written, false when `timeoutMs` passed
   * first (Redis down). Never rejects.
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    this.seal();
    return this.buffer.flush(timeoutMs);
  }

  // ---- reads --------------------------------------------------------------------------------

  /** The job with this id, or undefined when the store does not know it (never recorded, or removed). */
  async getJob<TData = unknown, TResult = unknown>(queue: string, id: string): Promise<JobRecord<TData, TResult> | undefined> {
    const [job] = await this.readJobs<TData, TResult>(queue, [id]);
    return job;
  }

  /** The job's state now, `unknown` when the store does not know it. */
  async getState(queue: string, id: string): Promise<JobState | 'unknown'> {
    const keys = this.keys(queue);
    const [compact, completion, state] = await this.read(() =>
      exec(readRecords(this.client.pipeline(), keys, id).hget(keys.job(id), 'state')),
    );
    const hash = jobHashOf(typeof state === 'string' ? { state } : {}, compact as string | null, completion as string | null);
    return isJobState(hash.state) ? hash.state : 'unknown';
  }

  /**
   * Jobs in the given states, BullMQ style: per state, the range `start..end` (inclusive, -1 for
   * the last) ordered by the time they entered it, newest first unless `asc`; the states' lists
   * are concatenated.
   */
  async getJobs<TData = unknown, TResult = unknown>(
    queue: string,
    states: JobState | JobState[] = [...JOB_STATES],
    start = 0,
    end = -1,
    asc = false,
  ): Promise<Array<JobRecord<TData, TResult>>> {
    const keys = this.keys(queue);
    const list = checkStates(Array.isArray(states) ? states : [states]);
    const ids = await this.read(async () => {
      const pipeline = this.client.pipeline();
      for (const state of list) {
        if (asc) pipeline.zrange(keys.state(state), start, end);
        else pipeline.zrevrange(keys.state(state), start, end);
      }
      const lists = (await exec(pipeline)) as string[][];
      return [...new Set(lists.flat())];
    });
    return this.readJobs<TData, TResult>(queue, ids);
  }

  /** The records of the jobs the store knows of `ids`, in order (unknown ones left out). */
  private async readJobs<TData, TResult>(queue: string, ids: string[]): Promise<Array<JobRecord<TData, TResult>>> {
    if (ids.length === 0) return [];
    const keys = this.keys(queue);
    const rows = await this.read(() => {
      const pipeline = this.client.pipeline();
      for (const id of ids) readRecords(pipeline, keys, id).hgetall(keys.job(id)).lrange(keys.logs(id), 0, -1);
      return exec(pipeline);
    });
    const jobs: Array<JobRecord<TData, TResult>> = [];
    ids.forEach((id, i) => {
      const [compact, completion, own, logs] = rows.slice(4 * i, 4 * i + 4) as [string | null, string | null, Record<string, string>, string[]];
      const hash = jobHashOf(own, compact, completion);
      const record = decodeJobHash<TData, TResult>(queue, id, hash, logs);
      if (record) jobs.push(new JobRecord(record, this));
    });
    return jobs;
  }

  /**
   * How many jobs are in each of the given states (all states when none is given). Finished
   * states count the jobs retention keeps, not every job that ever finished.
   */
  async getJobCounts<S extends JobState = JobState>(queue: string, ...states: S[]): Promise<Record<S, number>> {
    const keys = this.keys(queue);
    const list = checkStates(states.length > 0 ? states : (JOB_STATES as S[]));
    return this.read(async () => {
      const pipeline = this.client.pipeline();
      for (const state of list) pipeline.zcard(keys.state(state));
      const results = (await pipeline.exec()) ?? [];
      const counts = {} as Record<S, number>;
      list.forEach((state, i) => {
        const [error, value] = results[i] ?? [new Error('no reply'), 0];
        if (error) throw error;
        counts[state] = Number(value);
      });
      return counts;
    });
  }

  /**
   * Removes jobs of `state` that entered it more than `graceMs` ago (finish time for finished
   * states; enqueue, start or retry time otherwise), at most `limit` (0: all), as BullMQ's
   * `clean`. Resolves with the removed ids.
   */
  async clean(queue: string, graceMs: number, limit = 0, state: JobState = 'completed'): Promise<string[]> {
    const keys = this.keys(queue);
    checkStates([state]);
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new StateConfigError('graceMs', `graceMs must be a number >= 0, got ${graceMs}`);
    if (!Number.isInteger(limit) || limit < 0) throw new StateConfigError('limit', `limit must be an integer >= 0 (0: no limit), got ${limit}`);
    const maxScore = String(Date.now() - graceMs);
    const removed: string[] = [];
    for (;;) {
      const chunk = limit === 0 ? 1000 : Math.min(1000, limit - removed.length);
      if (chunk <= 0) break;
      const ids = await this.read(() => this.client.partitaClean(keys.events, keys.base, state, maxScore, String(chunk)));
      removed.push(...ids);
      if (ids.length < chunk) break;
    }
    return removed;
  }

  /**
   * Resolves with the job's result once it completed, rejects with a `JobFailedError` once it
   * failed or went to the dead letter topic (see `JobRecord.waitUntilFinished`). A job the store
   * does not know yet is waited for: it may not have been recorded yet.
   */
  waitUntilFinished<TResult = unknown>(queue: string, id: string, options: WaitOptions = {}): Promise<TResult> {
    this.keys(queue);
    if (this.closing) return Promise.reject(new StateStoreClosedError('the state store was closed'));
    return this.watcher.wait(queue, id, options) as Promise<TResult>;
  }

  /**
   * Writes what is buffered (for up to `timeoutMs`), then closes the connections. Writes still
   * buffered after that are dropped (and counted). Safe to call more than once.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      this.seal();
      await this.buffer.flush(timeoutMs);
      this.buffer.close();
      await this.watcher.close();
      await Promise.all([closeConnection(this.client), closeConnection(this.writer)]);
    })();
    return this.closing;
  }

  // ---- internals ----------------------------------------------------------------------------

  private open(role: 'client' | 'writer', name: string): Redis {
    const redis = openConnection(this.target, role, this.options, name);
    redis.on('error', () => undefined); // outages are reported by the write buffer and by rejected reads
    redis.defineCommand('partitaApply', { numberOfKeys: 1, lua: APPLY_SCRIPT });
    redis.defineCommand('partitaReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
    redis.defineCommand('partitaRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('partitaClean', { numberOfKeys: 1, lua: CLEAN_SCRIPT });
    return redis;
  }

  private openBlocking(name: string): Redis {
    const redis = openConnection(this.target, 'blocking', this.options, name);
    redis.on('error', () => undefined);
    return redis;
  }

  private assertOpen(): void {
    if (this.closing) throw new StateStoreClosedError('the state store was closed');
  }

  /**
   * Warns (once per process and Redis) when Redis keeps nothing over a restart: job state would be
   * lost silently. One CONFIG GET (or INFO) at the first connection; never fails the store.
   */
  private async checkPersistence(): Promise<void> {
    const logger = this.options.logger;
    if (!logger) return;
    const where = describeTarget(this.target);
    const warning = persistenceWarning(await readPersistence(this.client), where);
    if (warning !== undefined && firstWarningFor(where)) logger.warn(warning);
  }

  /** Runs a read; connection failures become a {@link StateUnavailableError}. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (error) {
      if (isReplyError(error)) throw error;
      throw new StateUnavailableError(`Redis state store unavailable: ${(error as Error).message}`, { cause: error });
    }
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
   * Not a pipeline: it copied each chunk's bytes once more, into one buffer for all the calls.
   */
  private async sendBatch(chunks: EncodedChunk[]): Promise<SendResult<EncodedChunk>> {
    const grace = this.writerWasReady ? 0 : Math.max(0, this.options.connectTimeoutMs - (Date.now() - this.createdAt));
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
      const result = results[i]!;
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
      if (command === undefined) return (this.writer as unknown as ApplyScript).partitaApply(keys.events, ...head, chunk.bytes, last);
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
   * Redis is doing: under load a send takes tens of ms, and ops kept that long as objects (with
   * the job data they point to) were copied and promoted by the garbage collector, which cost
   * about 10% of a worker's throughput. Bytes cost it nothing. `everything` false lets running
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
    this.emit('degraded', error);
  }

  private onRecovered(info: { downMs: number; dropped: number }): void {
    this.options.logger?.warn(
      `[partita:state] Redis state writes recovered after ${(info.downMs / 1000).toFixed(1)} s; ${info.dropped} state write(s) were dropped meanwhile`,
    );
    this.emit('recovered', info);
  }

  private onDropped(count: number): void {
    const now = Date.now();
    if (now - this.lastDropWarning >= DROP_WARNING_INTERVAL_MS) {
      this.lastDropWarning = now;
      this.options.logger?.warn(`[partita:state] state write buffer full: dropping the oldest writes (${this.buffer.dropped} dropped so far)`);
    }
    this.emit('dropped', count);
  }
}

/** Creates a {@link StateStore}; it connects in the background (see `waitUntilReady`). */
export function createStateStore(options: StateStoreOptions = {}): StateStore {
  return new StateStore(options);
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

/** Runs a pipeline; rejects with the first command's error, else resolves with the replies in order. */
async function exec(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}

function checkStates<S extends string>(states: S[]): S[] {
  for (const state of states) {
    if (!isJobState(state)) throw new StateConfigError('state', `unknown job state ${JSON.stringify(state)}; states: ${JOB_STATES.join(', ')}`);
  }
  return states;
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Where a store's Redis is, for a log line: host and port, never credentials. */
function describeTarget(target: RedisTarget): string {
  if (target.url !== undefined) {
    try {
      const url = new URL(target.url);
      return `${url.hostname}:${url.port || '6379'}${url.pathname.length > 1 ? url.pathname : ''}`;
    } catch {
      return 'the configured URL';
    }
  }
  const o = target.options;
  return o.path ?? `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
