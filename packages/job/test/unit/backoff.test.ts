import { JobValidationError } from '../../src';
import { backoffDelay, clampDelay, MAX_DELAY_MS, validateBackoff } from '../../src/subpaths/options';

describe('validateBackoff', () => {
  it.each([0, 250, { type: 'fixed', delay: 0 }, { type: 'exponential', delay: 100, jitter: 1 }, { type: 'exponential', delay: 1, jitter: 0 }])(
    'accepts %j',
    (backoff) => expect(() => validateBackoff(backoff)).not.toThrow(),
  );

  it.each([
    [-1, 'backoff'],
    [Infinity, 'backoff'],
    [NaN, 'backoff'],
    ['100', 'backoff'],
    [null, 'backoff'],
    [{ type: 'linear', delay: 1 }, 'backoff.type'],
    [{ type: 'fixed', delay: -1 }, 'backoff.delay'],
    [{ type: 'fixed', delay: '1' }, 'backoff.delay'],
    [{ type: 'fixed', delay: 1, jitter: -0.1 }, 'backoff.jitter'],
    [{ type: 'fixed', delay: 1, jitter: '0.5' }, 'backoff.jitter'],
    [{ type: 'fixed', delay: 1, factor: 3 }, 'backoff'],
  ])('rejects %j on field %s', (backoff, field) => {
    let error: unknown;
    try {
      validateBackoff(backoff);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobValidationError);
    expect((error as JobValidationError).field).toBe(field);
  });
});

describe('backoffDelay', () => {
  const noJitter = () => 0;

  it('is 0 without a backoff and the number itself for a number', () => {
    expect(backoffDelay(undefined, 3)).toBe(0);
    expect(backoffDelay(750, 1)).toBe(750);
    expect(backoffDelay(750, 9)).toBe(750);
  });

  it('fixed: always the delay', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay({ type: 'fixed', delay: 200 }, attempt, noJitter))).toEqual([200, 200, 200]);
  });

  it('exponential: delay * 2^(attempt-1)', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay({ type: 'exponential', delay: 100 }, attempt, noJitter))).toEqual([100, 200, 400, 800]);
  });

  it('jitter removes up to that fraction of the delay', () => {
    const backoff = { type: 'exponential' as const, delay: 1000, jitter: 0.5 };
    expect(backoffDelay(backoff, 2, () => 0)).toBe(2000);
    expect(backoffDelay(backoff, 2, () => 0.5)).toBe(1500);
    expect(backoffDelay(backoff, 2, () => 0.999)).toBe(1001);
  });
});

describe('delays never overflow setTimeout (2^31-1 ms)', () => {
  const noJitter = () => 0;

  it('MAX_DELAY_MS is the largest delay setTimeout honours', () => {
    expect(MAX_DELAY_MS).toBe(2147483647);
  });

  it.each([3e9, MAX_DELAY_MS + 1, { type: 'fixed', delay: 3e9 }, { type: 'exponential', delay: 2 ** 31 }])('refuses %j, naming the cap', (backoff) => {
    expect(() => validateBackoff(backoff)).toThrow(/at most 2147483647 \(about 24\.8 days\)/);
  });

  it('accepts the cap itself', () => {
    expect(() => validateBackoff(MAX_DELAY_MS)).not.toThrow();
    expect(() => validateBackoff({ type: 'exponential', delay: MAX_DELAY_MS })).not.toThrow();
  });

  it('caps exponential growth at MAX_DELAY_MS, for any attempt', () => {
    const backoff = { type: 'exponential' as const, delay: 1000 };
    // 1000 * 2^21 = 2,097,152,000 fits; 2^22 does not.
    expect(backoffDelay(backoff, 22, noJitter)).toBe(2_097_152_000);
    for (const attempt of [23, 40, 999, 1000, 5000]) expect(backoffDelay(backoff, attempt, noJitter)).toBe(MAX_DELAY_MS);
    expect(backoffDelay({ type: 'exponential', delay: MAX_DELAY_MS }, 2, noJitter)).toBe(MAX_DELAY_MS);
    // A zero delay stays zero however large the exponent (0 * Infinity would be NaN).
    expect(backoffDelay({ type: 'exponential', delay: 0 }, 5000, noJitter)).toBe(0);
  });

  it('jitter applies to the capped delay, so a capped delay still spreads', () => {
    expect(backoffDelay({ type: 'exponential', delay: 1000, jitter: 0.5 }, 100, () => 0.5)).toBe(Math.round(MAX_DELAY_MS * 0.75));
  });

  it('clamps a number that slipped past validation (e.g. a wire value read by older code)', () => {
    expect(backoffDelay(3e9, 1)).toBe(MAX_DELAY_MS);
    expect(backoffDelay({ type: 'fixed', delay: 3e9 }, 1, noJitter)).toBe(MAX_DELAY_MS);
    expect(clampDelay(Infinity)).toBe(MAX_DELAY_MS);
    expect(clampDelay(NaN)).toBe(0);
    expect(clampDelay(-5)).toBe(0);
  });
});
