import { StateConfigError } from '../errors';

/**
 * Which finished jobs to keep, as BullMQ's `removeOnComplete` / `removeOnFail`:
 * - `true`: remove the job as soon as it finishes;
 * - `false`: keep every finished job (memory grows without bound: use with care);
 * - a number `n`: keep the `n` most recently finished jobs;
 * - `{ age, count }`: keep jobs that finished less than `age` **seconds** ago, and at most `count`
 *   of them (either may be left out).
 */
export type KeepJobs = boolean | number | { age?: number; count?: number };

/** A {@link KeepJobs} in the form the Lua scripts take. */
export interface RetentionRule {
  /** Jobs kept at most; `Infinity` for no bound; 0 removes jobs as they finish. */
  count: number;
  /** Jobs older than this many milliseconds (by finish time) are removed; `Infinity` for no bound. */
  maxAgeMs: number;
}

/** The default of `removeOnComplete`: the 1,000 most recently completed jobs of each queue. */
export const DEFAULT_REMOVE_ON_COMPLETE: KeepJobs = { count: 1000 };
/** The default of `removeOnFail`: the 5,000 most recently failed and 5,000 dead jobs of each queue. */
export const DEFAULT_REMOVE_ON_FAIL: KeepJobs = { count: 5000 };

/** Parses a {@link KeepJobs}; throws a {@link StateConfigError} naming `option` when it is invalid. */
export function parseRetention(value: KeepJobs | undefined, fallback: KeepJobs, option: string): RetentionRule {
  const keep = value === undefined ? fallback : value;
  if (keep === true) return { count: 0, maxAgeMs: Infinity };
  if (keep === false) return { count: Infinity, maxAgeMs: Infinity };
  if (typeof keep === 'number') return { count: checkCount(keep, option), maxAgeMs: Infinity };
  if (typeof keep !== 'object' || keep === null || Array.isArray(keep)) {
    throw new StateConfigError(option, `${option} must be true, false, a count or { age, count }, got ${JSON.stringify(keep)}`);
  }
  for (const name of Object.keys(keep)) {
    if (name !== 'age' && name !== 'count') {
      throw new StateConfigError(option, `unknown field '${name}' in ${option}; allowed: age (seconds), count`);
    }
  }
  const count = keep.count === undefined ? Infinity : checkCount(keep.count, `${option}.count`);
  let maxAgeMs = Infinity;
  if (keep.age !== undefined) {
    if (typeof keep.age !== 'number' || !Number.isFinite(keep.age) || keep.age <= 0) {
      throw new StateConfigError(option, `${option}.age must be a number of seconds > 0, got ${JSON.stringify(keep.age)}`);
    }
    maxAgeMs = Math.round(keep.age * 1000);
  }
  return { count, maxAgeMs };
}

function checkCount(count: unknown, option: string): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new StateConfigError(option, `${option} must be an integer >= 0 (jobs to keep), got ${JSON.stringify(count)}`);
  }
  return count;
}

/** The rule as Lua script arguments: `[count, maxAgeMs]`, -1 meaning no bound. */
export function retentionArgs(rule: RetentionRule): [number, number] {
  return [Number.isFinite(rule.count) ? rule.count : -1, Number.isFinite(rule.maxAgeMs) ? rule.maxAgeMs : -1];
}
