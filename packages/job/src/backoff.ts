import { JobValidationError } from './errors';

/** How long to wait before the next attempt of a failed job. */
export interface BackoffOptions {
  /** `fixed`: always `delay`; `exponential`: `delay * 2^(attempt-1)`. */
  type: 'fixed' | 'exponential';
  /** Base delay in milliseconds. */
  delay: number;
  /**
   * Fraction (0..1) of the computed delay that is randomised away, to spread retries.
   * @defaultValue 0
   */
  jitter?: number;
}

/** A number is a fixed delay in milliseconds. */
export type Backoff = number | BackoffOptions;

/** Rejects a backoff that is not a non-negative number or a well-formed {@link BackoffOptions}. */
export function validateBackoff(backoff: unknown, field = 'backoff'): asserts backoff is Backoff {
  if (typeof backoff === 'number') {
    if (!Number.isFinite(backoff) || backoff < 0) {
      throw new JobValidationError(field, `${field} must be a non-negative number of milliseconds, got ${backoff}`);
    }
    return;
  }
  if (typeof backoff !== 'object' || backoff === null) {
    throw new JobValidationError(field, `${field} must be a number or { type, delay, jitter? }, got ${typeof backoff}`);
  }
  const { type, delay, jitter, ...rest } = backoff as Record<string, unknown>;
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) {
    throw new JobValidationError(field, `${field} has unknown option(s) ${unknownKeys.join(', ')}; allowed: type, delay, jitter`);
  }
  if (type !== 'fixed' && type !== 'exponential') {
    throw new JobValidationError(`${field}.type`, `${field}.type must be 'fixed' or 'exponential', got ${String(type)}`);
  }
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    throw new JobValidationError(`${field}.delay`, `${field}.delay must be a non-negative number of milliseconds`);
  }
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))) {
    throw new JobValidationError(`${field}.jitter`, `${field}.jitter must be a number between 0 and 1`);
  }
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
 * `random` is injectable so that tests are deterministic.
 */
export function backoffDelay(backoff: Backoff | undefined, attempt: number, random: () => number = Math.random): number {
  if (backoff === undefined) return 0;
  if (typeof backoff === 'number') return backoff;
  const base = backoff.type === 'fixed' ? backoff.delay : backoff.delay * 2 ** Math.max(0, attempt - 1);
  const jitter = backoff.jitter ?? 0;
  return Math.round(base * (1 - jitter * random()));
}
