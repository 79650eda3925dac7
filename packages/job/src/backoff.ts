import { describeOption } from './describe-value';
import { JobValidationError } from './errors';

/** How long to wait before the next attempt of a failed job. */
export interface BackoffOptions {
  /** `fixed`: always `delay`; `exponential`: `delay * 2^(attempt-1)`, at most {@link MAX_DELAY_MS}. */
  type: 'fixed' | 'exponential';
  /** Base delay in milliseconds, at most {@link MAX_DELAY_MS}. */
  delay: number;
  /**
   * Fraction (0..1) of the computed delay that is randomised away, to spread retries.
   * @defaultValue 0
   */
  jitter?: number;
}

/** A number is a fixed delay in milliseconds. */
export type Backoff = number | BackoffOptions;

/**
 * The longest wait between tries: 2^31-1 ms (about 24.8 days), the most `setTimeout` can wait.
 * Node fires a longer timer after 1 ms instead, which would turn a long backoff into a hot loop.
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** What is wrong with a backoff: the field at fault and why; undefined when it is well-formed. */
export interface BackoffProblem {
  field: string;
  message: string;
}

/**
 * Checks a backoff without allocating when it is valid (the worker checks every job's). With
 * `allowUnknownKeys`, keys of a backoff object other than type/delay/jitter are ignored: a job
 * written by a newer partita may carry options this one does not know.
 */
export function backoffProblem(backoff: unknown, field = 'backoff', allowUnknownKeys = false): BackoffProblem | undefined {
  if (typeof backoff === 'number') {
    if (!(backoff >= 0 && backoff <= MAX_DELAY_MS)) {
      return { field, message: `${field} must be a non-negative number of milliseconds, at most ${MAX_DELAY_MS} (about 24.8 days), got ${backoff}` };
    }
    return undefined;
  }
  if (typeof backoff !== 'object' || backoff === null || Array.isArray(backoff)) {
    return {
      field,
      message: `${field} must be a number or { type, delay, jitter? }, got ${backoff === null ? 'null' : Array.isArray(backoff) ? 'an array' : typeof backoff}`,
    };
  }
  const b = backoff as Record<string, unknown>;
  if (!allowUnknownKeys) {
    for (const key in b) {
      if (key !== 'type' && key !== 'delay' && key !== 'jitter') {
        const unknownKeys = Object.keys(b).filter((k) => k !== 'type' && k !== 'delay' && k !== 'jitter');
        return { field, message: `${field} has unknown option(s) ${unknownKeys.join(', ')}; allowed: type, delay, jitter` };
      }
    }
  }
  if (b.type !== 'fixed' && b.type !== 'exponential') {
    return { field: `${field}.type`, message: `${field}.type must be 'fixed' or 'exponential', got ${String(b.type)}` };
  }
  const delay = b.delay;
  if (typeof delay !== 'number' || !(delay >= 0 && delay <= MAX_DELAY_MS)) {
    return {
      field: `${field}.delay`,
      message: `${field}.delay must be a non-negative number of milliseconds, at most ${MAX_DELAY_MS} (about 24.8 days), got ${String(delay)}`,
    };
  }
  const jitter = b.jitter;
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))) {
    return { field: `${field}.jitter`, message: `${field}.jitter must be a number between 0 and 1, got ${describeOption(jitter)}` };
  }
  return undefined;
}

/** Rejects a backoff that is not a number of milliseconds or a well-formed {@link BackoffOptions}. */
export function validateBackoff(backoff: unknown, field = 'backoff'): asserts backoff is Backoff {
  const problem = backoffProblem(backoff, field);
  if (problem) throw new JobValidationError(problem.field, problem.message);
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed;
 * never more than {@link MAX_DELAY_MS}, however large the exponential growth.
 * `random` is injectable so that tests are deterministic.
 */
export function backoffDelay(backoff: Backoff | undefined, attempt: number, random: () => number = Math.random): number {
  if (backoff === undefined) return 0;
  if (typeof backoff === 'number') return clampDelay(backoff);
  // Past 2^64 every positive delay is far over the cap; the bound keeps 0 * 2^n from being NaN.
  const base = backoff.type === 'fixed' ? backoff.delay : backoff.delay * 2 ** Math.min(64, Math.max(0, attempt - 1));
  const jitter = backoff.jitter ?? 0;
  return clampDelay(Math.round(Math.min(base, MAX_DELAY_MS) * (1 - jitter * random())));
}

/** A delay `setTimeout` waits for as asked: 0 to {@link MAX_DELAY_MS} (NaN counts as 0). */
export function clampDelay(ms: number): number {
  return ms >= 0 ? Math.min(ms, MAX_DELAY_MS) : 0;
}
