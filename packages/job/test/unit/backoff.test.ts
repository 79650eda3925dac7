import { backoffDelay, JobValidationError, validateBackoff } from '@partita/job';

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
