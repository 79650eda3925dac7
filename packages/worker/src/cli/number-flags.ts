import { InvalidArgumentError } from 'commander';

/**
 * The largest delay a Node timer takes; a larger one fires after 1 ms, so `--stats-interval 3e9`
 * would log a line every millisecond.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Digits only: `Number()` alone would take '', ' ', '0x10', '1e3' and '-0'. */
const WHOLE_NUMBER = /^\d+$/;

function parseWholeNumber(value: string, min: number, max: number): number {
  const n = WHOLE_NUMBER.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** A commander parser for a count or a duration that must be at least 1. */
export function parsePositiveInt(value: string): number {
  return parseWholeNumber(value, 1, MAX_TIMER_MS);
}

/** A commander parser for a count or a duration where 0 is meaningful (e.g. "never"). */
export function parseNonNegativeInt(value: string): number {
  return parseWholeNumber(value, 0, MAX_TIMER_MS);
}
