import { StateConfigError } from '../errors';
import { JobState } from '../states';

/** The default key prefix. */
export const DEFAULT_PREFIX = 'partita';

/**
 * The Redis keys of one queue. Every key carries the queue name as a hash tag (`{queue}`), so all
 * of a queue's keys live in one Redis Cluster slot and one Lua script may touch them together.
 *
 * - `<prefix>:{<queue>}:j:<id>`: the job's hash;
 * - `<prefix>:{<queue>}:c`: the compact records, by job id, of jobs that started and completed in
 *   one write batch with no earlier record (see `compact-record.ts`): one hash for all of them;
 * - `<prefix>:{<queue>}:cw`: the completion records, by job id, of first tries that completed
 *   while their enqueuer's hash said `waiting`: laid over that hash, which is left as it was
 *   (see `compact-record.ts`);
 * - `<prefix>:{<queue>}:l:<id>`: the job's log lines (a list);
 * - `<prefix>:{<queue>}:logged`: the ids of the jobs that have log lines (a set);
 * - `<prefix>:{<queue>}:s:<state>`: a sorted set of job ids per state (score: the time the job
 *   entered the state, its finish time for finished states);
 * - `<prefix>:{<queue>}:events`: the queue's event stream.
 */
export class QueueKeys {
  /** `<prefix>:{<queue>}`: what every key of the queue starts with (passed to the Lua scripts). */
  readonly base: string;
  readonly events: string;
  /** The hash of compact job records (see `compact-record.ts`). */
  readonly compact: string;
  /** The hash of completion records laid over waiting jobs' hashes (see `compact-record.ts`). */
  readonly completions: string;

  constructor(
    readonly prefix: string,
    readonly queue: string,
  ) {
    validatePrefix(prefix);
    validateQueueName(queue);
    this.base = `${prefix}:{${queue}}`;
    this.events = `${this.base}:events`;
    this.compact = `${this.base}:c`;
    this.completions = `${this.base}:cw`;
  }

  job(id: string): string {
    return `${this.base}:j:${id}`;
  }

  logs(id: string): string {
    return `${this.base}:l:${id}`;
  }

  state(state: JobState): string {
    return `${this.base}:s:${state}`;
  }

  /** A SCAN pattern matching every key of the queue (tests and diagnostics only). */
  pattern(): string {
    return `${escapeGlob(this.base)}:*`;
  }
}

export function validatePrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix === '' || /[{}\s]/.test(prefix)) {
    throw new StateConfigError('prefix', `prefix must be a non-empty string without braces or spaces, got ${JSON.stringify(prefix)}`);
  }
}

export function validateQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || queue === '' || /[{}]/.test(queue)) {
    throw new StateConfigError('queue', `a queue name must be a non-empty string without braces, got ${JSON.stringify(queue)}`);
  }
}

export function validateJobId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '') {
    throw new StateConfigError('jobId', `a job id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
