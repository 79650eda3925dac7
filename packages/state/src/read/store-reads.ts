import { ChainableCommander } from 'ioredis';
import { decodeJobHash } from '../codec';
import { StateStoreClosedError } from '../errors';
import type { ResolvedStateOptions } from '../options';
import type { QueueKeys } from '../redis/keys';
import type { StoreConnections } from '../redis/store-connections';
import { checkStates, isJobState, JOB_STATES, JobState } from '../states';
import { jobHashOf, readRecords } from './compact-record';
import { FinishWatcher, WaitOptions } from './finish-watcher';
import { JobRecord, JobRecordSource } from './job-record';

/**
 * The read side of a {@link StateStore}: jobs, states, counts, and waiting for a job to finish.
 * Every read goes through the store's `client` connection; a lost Redis fails it with a
 * `StateUnavailableError`.
 */
export class StoreReads {
  private readonly watcher: FinishWatcher;

  constructor(
    private readonly connections: StoreConnections,
    private readonly keys: (queue: string) => QueueKeys,
    /** What the records read call back into (`JobRecord.waitUntilFinished`, `getState`). */
    private readonly source: JobRecordSource,
    options: ResolvedStateOptions,
  ) {
    this.watcher = new FinishWatcher({
      client: connections.client,
      openBlocking: (name) => connections.openBlocking(name),
      keys,
      pollIntervalMs: options.pollIntervalMs,
      blockMs: 5000,
      idleMs: 10_000,
      onError: () => undefined, // the poll covers for the stream; the writer reports outages
    });
  }

  async getJob<TData, TResult>(queue: string, id: string): Promise<JobRecord<TData, TResult> | undefined> {
    const [job] = await this.readJobs<TData, TResult>(queue, [id]);
    return job;
  }

  async getState(queue: string, id: string): Promise<JobState | 'unknown'> {
    const keys = this.keys(queue);
    const client = this.connections.client;
    const [compact, completion, state] = await this.connections.call(() => exec(readRecords(client.pipeline(), keys, id).hget(keys.job(id), 'state')));
    const hash = jobHashOf(typeof state === 'string' ? { state } : {}, compact as string | null, completion as string | null);
    return isJobState(hash.state) ? hash.state : 'unknown';
  }

  async getJobs<TData, TResult>(
    queue: string,
    states: JobState | JobState[],
    start: number,
    end: number,
    asc: boolean,
  ): Promise<Array<JobRecord<TData, TResult>>> {
    const keys = this.keys(queue);
    const list = checkStates(Array.isArray(states) ? states : [states]);
    const ids = await this.connections.call(async () => {
      const pipeline = this.connections.client.pipeline();
      for (const state of list) {
        if (asc) pipeline.zrange(keys.state(state), start, end);
        else pipeline.zrevrange(keys.state(state), start, end);
      }
      const lists = (await exec(pipeline)) as string[][];
      return [...new Set(lists.flat())];
    });
    return this.readJobs<TData, TResult>(queue, ids);
  }

  async getJobCounts<S extends JobState>(queue: string, states: S[]): Promise<Record<S, number>> {
    const keys = this.keys(queue);
    const list = checkStates(states.length > 0 ? states : (JOB_STATES as S[]));
    return this.connections.call(async () => {
      const pipeline = this.connections.client.pipeline();
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

  waitUntilFinished(queue: string, id: string, options: WaitOptions, closing: boolean): Promise<unknown> {
    this.keys(queue);
    if (closing) return Promise.reject(new StateStoreClosedError('the state store was closed'));
    return this.watcher.wait(queue, id, options);
  }

  close(): Promise<void> {
    return this.watcher.close();
  }

  /** The records of the jobs the store knows of `ids`, in order (unknown ones left out). */
  private async readJobs<TData, TResult>(queue: string, ids: string[]): Promise<Array<JobRecord<TData, TResult>>> {
    if (ids.length === 0) return [];
    const keys = this.keys(queue);
    const rows = await this.connections.call(() => {
      const pipeline = this.connections.client.pipeline();
      for (const id of ids) readRecords(pipeline, keys, id).hgetall(keys.job(id)).lrange(keys.logs(id), 0, -1);
      return exec(pipeline);
    });
    const jobs: Array<JobRecord<TData, TResult>> = [];
    ids.forEach((id, i) => {
      const [compact, completion, own, logs] = rows.slice(4 * i, 4 * i + 4) as [string | null, string | null, Record<string, string>, string[]];
      const hash = jobHashOf(own, compact, completion);
      const record = decodeJobHash<TData, TResult>(queue, id, hash, logs);
      if (record) jobs.push(new JobRecord(record, this.source));
    });
    return jobs;
  }
}

/** Runs a pipeline; rejects with the first command's error, else resolves with the replies in order. */
async function exec(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}
