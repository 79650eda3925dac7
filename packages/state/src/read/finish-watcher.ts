import { Redis } from 'ioredis';
import { decodeValue } from '../codec';
import { jobHashOf, readRecords } from './compact-record';
import { JobFailedError, StateStoreClosedError, WaitAbortedError, WaitTimeoutError } from '../errors';
import { parseStreamEntry, QueueEvent } from './events-stream';
import { QueueKeys } from '../redis/keys';
import { StreamEntry, StreamReader } from './stream-reader';

/** Options of `waitUntilFinished`. */
export interface WaitOptions {
  /**
   * Rejects with a `WaitTimeoutError` when the job has not finished after this many ms.
   * @defaultValue undefined (waits as long as it takes)
   */
  timeoutMs?: number;
  /** Rejects with a `WaitAbortedError` when aborted. */
  signal?: AbortSignal;
}

export interface FinishWatcherDeps {
  /** For the state checks (HMGET). */
  client: Redis;
  /** Opens a connection for a stream reader (closed by it). */
  openBlocking(name: string): Redis;
  keys(queue: string): QueueKeys;
  /** How often waited-on jobs are checked in their hashes, in case an event was missed. */
  pollIntervalMs: number;
  blockMs: number;
  /** A reader stops this long after its last waiter left. */
  idleMs: number;
  onError(error: Error): void;
}

interface Waiter {
  readonly id: string;
  settle(outcome: Outcome): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** The job-hash fields the poll reads to settle a waiter. */
const WATCHED_FIELDS = ['state', 'returnvalue', 'failedReason', 'attemptsMade'] as const;

/** What is needed to watch one queue: its event reader and who waits on which job. */
class QueueWatch {
  readonly waiters = new Map<string, Set<Waiter>>();
  poll: NodeJS.Timeout | undefined;
  idle: NodeJS.Timeout | undefined;
  reader!: StreamReader;
  constructor(readonly queue: string) {}

  get size(): number {
    return this.waiters.size;
  }
}

/**
 * `waitUntilFinished` across processes: one event-stream reader per watched queue wakes the
 * waiters of a finished job; a poll of the waited jobs' hashes every `pollIntervalMs` catches
 * anything the stream did not deliver (events disabled, trimmed, a lost connection). The state
 * is checked once the reader's position is fixed, so a job finishing meanwhile is seen by one
 * or the other.
 */
export class FinishWatcher {
  private readonly watches = new Map<string, QueueWatch>();
  private closed = false;

  constructor(private readonly deps: FinishWatcherDeps) {}

  wait(queue: string, id: string, options: WaitOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new StateStoreClosedError('the state store was closed'));
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(new WaitAbortedError(`waiting for job ${id} was aborted`));
    const watch = this.watch(queue);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.settle({ ok: false, error: new WaitAbortedError(`waiting for job ${id} was aborted`) });
      const waiter: Waiter = {
        id,
        settle: (outcome) => {
          if (!this.remove(queue, watch, waiter)) return;
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
      };
      let set = watch.waiters.get(id);
      if (!set) watch.waiters.set(id, (set = new Set()));
      set.add(waiter);
      if (watch.idle) clearTimeout(watch.idle);
      watch.idle = undefined;
      watch.poll ??= setInterval(() => void this.check(queue, watch, [...watch.waiters.keys()]), this.deps.pollIntervalMs);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.settle({ ok: false, error: new WaitTimeoutError(queue, id, timeoutMs) }), timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      void watch.reader.ready.then(() => this.check(queue, watch, [id]));
    });
  }

  /** Rejects every waiter and stops the readers. */
  async close(): Promise<void> {
    this.closed = true;
    const watches = [...this.watches.values()];
    this.watches.clear();
    for (const watch of watches) {
      for (const set of [...watch.waiters.values()]) {
        for (const waiter of [...set]) waiter.settle({ ok: false, error: new StateStoreClosedError('the state store was closed') });
      }
      if (watch.poll) clearInterval(watch.poll);
      if (watch.idle) clearTimeout(watch.idle);
    }
    await Promise.all(watches.map((w) => w.reader.stop()));
  }

  private watch(queue: string): QueueWatch {
    const watch = this.watches.get(queue);
    if (watch) return watch;
    const keys = this.deps.keys(queue);
    const created = new QueueWatch(queue);
    created.reader = new StreamReader(this.deps.openBlocking(`partita:state:waiter:${queue}`), {
      key: keys.events,
      startId: '$',
      blockMs: this.deps.blockMs,
      count: 1000,
      onEntries: (entries) => this.onEntries(created, entries),
      onError: (error) => this.deps.onError(error),
    });
    this.watches.set(queue, created);
    created.reader.start();
    return created;
  }

  private remove(queue: string, watch: QueueWatch, waiter: Waiter): boolean {
    const set = watch.waiters.get(waiter.id);
    if (!set || !set.delete(waiter)) return false;
    if (set.size === 0) watch.waiters.delete(waiter.id);
    if (watch.size === 0) {
      if (watch.poll) clearInterval(watch.poll);
      watch.poll = undefined;
      if (!this.closed && !watch.idle) {
        watch.idle = setTimeout(() => {
          if (watch.size > 0 || this.watches.get(queue) !== watch) return;
          this.watches.delete(queue);
          void watch.reader.stop();
        }, this.deps.idleMs);
        watch.idle.unref();
      }
    }
    return true;
  }

  private onEntries(watch: QueueWatch, entries: StreamEntry[]): void {
    if (watch.size === 0) return;
    for (const [eventId, fields] of entries) {
      for (const event of parseStreamEntry(eventId, fields)) this.onEvent(watch, event);
    }
  }

  private onEvent(watch: QueueWatch, event: QueueEvent): void {
    const set = watch.waiters.get(event.args.jobId);
    if (!set) return;
    let outcome: Outcome | undefined;
    if (event.name === 'completed') outcome = { ok: true, value: event.args.returnvalue };
    else if (event.name === 'failed') {
      const { jobId, failedReason, attemptsMade, deadLetterTopic } = event.args;
      outcome = { ok: false, error: new JobFailedError(watch.queue, jobId, deadLetterTopic ? 'dead' : 'failed', failedReason, attemptsMade) };
    }
    if (outcome) for (const waiter of [...set]) waiter.settle(outcome);
  }

  /** Reads the states of `ids` and settles the waiters of finished ones. */
  private async check(queue: string, watch: QueueWatch, ids: string[]): Promise<void> {
    if (ids.length === 0 || this.closed) return;
    const keys = this.deps.keys(queue);
    try {
      const pipeline = this.deps.client.pipeline();
      for (const id of ids) readRecords(pipeline, keys, id).hmget(keys.job(id), ...WATCHED_FIELDS);
      const results = (await pipeline.exec()) ?? [];
      ids.forEach((id, i) => {
        const [compactError, compactValue] = results[3 * i] ?? [];
        const [completionError, completionValue] = results[3 * i + 1] ?? [];
        const [error, value] = results[3 * i + 2] ?? [];
        if (error || compactError || completionError || !Array.isArray(value)) return;
        const own: Record<string, string> = {};
        WATCHED_FIELDS.forEach((name, f) => {
          const field = (value as Array<string | null>)[f];
          if (typeof field === 'string') own[name] = field;
        });
        const { state, returnvalue, failedReason, attemptsMade } = jobHashOf(own, compactValue as string | null, completionValue as string | null);
        const set = watch.waiters.get(id);
        if (!set) return;
        let outcome: Outcome | undefined;
        if (state === 'completed') outcome = { ok: true, value: decodeValue(returnvalue) };
        else if (state === 'failed' || state === 'dead') {
          outcome = { ok: false, error: new JobFailedError(queue, id, state, failedReason ?? '', Number(attemptsMade ?? 0)) };
        }
        if (outcome) for (const waiter of [...set]) waiter.settle(outcome);
      });
    } catch (error) {
      this.deps.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
