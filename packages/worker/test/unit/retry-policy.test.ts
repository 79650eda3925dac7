import { PoisonMessageError, UnrecoverableError } from '@partita/job';
import { MAX_DELAY_MS } from '@partita/job/options';
import { BackoffStrategy, decideAfterFailure, FailureContext } from '../../src/core/retry-policy';

const job = { id: 'j1', name: 'SendEmail', data: { to: 'a@b' } };

function ctx(over: Partial<FailureContext>): FailureContext {
  return { attempt: 1, attempts: 4, error: new Error('boom'), job, ...over };
}

describe('decideAfterFailure', () => {
  describe('attempts', () => {
    it('retries while tries are left', () => {
      expect(decideAfterFailure(ctx({ attempt: 1, attempts: 4 }))).toEqual({ action: 'retry', delayMs: 0 });
      expect(decideAfterFailure(ctx({ attempt: 3, attempts: 4 }))).toEqual({ action: 'retry', delayMs: 0 });
    });

    it('dead-letters after the last try', () => {
      expect(decideAfterFailure(ctx({ attempt: 4, attempts: 4 }))).toEqual({ action: 'dead-letter' });
      expect(decideAfterFailure(ctx({ attempt: 1, attempts: 1 }))).toEqual({ action: 'dead-letter' });
      expect(decideAfterFailure(ctx({ attempt: 7, attempts: 4 }))).toEqual({ action: 'dead-letter' });
    });
  });

  describe('final errors', () => {
    it('dead-letters an UnrecoverableError at once', () => {
      expect(decideAfterFailure(ctx({ attempt: 1, attempts: 10, error: new UnrecoverableError('bad card') }))).toEqual({ action: 'dead-letter' });
    });

    it('dead-letters a subclass of UnrecoverableError at once', () => {
      class CardDeclined extends UnrecoverableError {}
      const error = new CardDeclined('declined');
      expect(error.name).toBe('CardDeclined');
      expect(decideAfterFailure(ctx({ attempt: 1, attempts: 10, error }))).toEqual({ action: 'dead-letter' });
    });

    it('recognises an UnrecoverableError from another copy of the package by its name', () => {
      const foreign = new Error('nope');
      foreign.name = 'UnrecoverableError';
      expect(decideAfterFailure(ctx({ attempts: 10, error: foreign }))).toEqual({ action: 'dead-letter' });
    });

    it.each(['undecodable', 'unknown-version', 'invalid-options', 'unknown-job'] as const)('dead-letters a poison message (%s) at once', (reason) => {
      const error = new PoisonMessageError(reason, 'poison');
      expect(decideAfterFailure(ctx({ attempts: 10, error, backoff: 100 }))).toEqual({ action: 'dead-letter' });
    });

    it('does not ask a custom strategy about a final error', () => {
      const strategy = jest.fn<number, Parameters<BackoffStrategy>>(() => 10);
      expect(decideAfterFailure(ctx({ attempts: 10, error: new UnrecoverableError('x'), strategy }))).toEqual({ action: 'dead-letter' });
      expect(strategy).not.toHaveBeenCalled();
    });
  });

  describe('backoff', () => {
    it('waits 0 ms without a backoff', () => {
      expect(decideAfterFailure(ctx({}))).toEqual({ action: 'retry', delayMs: 0 });
    });

    it('waits a fixed number of ms', () => {
      expect(decideAfterFailure(ctx({ attempt: 1, backoff: 250 }))).toEqual({ action: 'retry', delayMs: 250 });
      expect(decideAfterFailure(ctx({ attempt: 3, backoff: 250 }))).toEqual({ action: 'retry', delayMs: 250 });
    });

    it('waits a fixed delay given as an object', () => {
      const backoff = { type: 'fixed' as const, delay: 400 };
      expect(decideAfterFailure(ctx({ attempt: 1, attempts: 5, backoff }))).toEqual({ action: 'retry', delayMs: 400 });
      expect(decideAfterFailure(ctx({ attempt: 3, attempts: 5, backoff }))).toEqual({ action: 'retry', delayMs: 400 });
    });

    it('doubles an exponential delay per try', () => {
      const backoff = { type: 'exponential' as const, delay: 100 };
      const delays = [1, 2, 3, 4].map((attempt) => decideAfterFailure(ctx({ attempt, attempts: 10, backoff })));
      expect(delays).toEqual([100, 200, 400, 800].map((delayMs) => ({ action: 'retry', delayMs })));
    });

    it('applies jitter with the injected random source', () => {
      const backoff = { type: 'exponential' as const, delay: 1000, jitter: 0.5 };
      // random() = 0 → no reduction; 1 → reduced by the full jitter fraction; 0.5 → half of it.
      expect(decideAfterFailure(ctx({ attempt: 2, backoff }), () => 0)).toEqual({ action: 'retry', delayMs: 2000 });
      expect(decideAfterFailure(ctx({ attempt: 2, backoff }), () => 1)).toEqual({ action: 'retry', delayMs: 1000 });
      expect(decideAfterFailure(ctx({ attempt: 2, backoff }), () => 0.5)).toEqual({ action: 'retry', delayMs: 1500 });
      const fixed = { type: 'fixed' as const, delay: 300, jitter: 1 };
      expect(decideAfterFailure(ctx({ attempt: 1, backoff: fixed }), () => 0.25)).toEqual({ action: 'retry', delayMs: 225 });
    });

    it('ignores the random source when there is no jitter', () => {
      const backoff = { type: 'fixed' as const, delay: 300 };
      expect(decideAfterFailure(ctx({ backoff }), () => 0.99)).toEqual({ action: 'retry', delayMs: 300 });
    });
  });

  describe('custom strategy', () => {
    it('uses the strategy instead of the backoff, with attempt, error and job', () => {
      const error = new Error('rate limited');
      const strategy = jest.fn<number, Parameters<BackoffStrategy>>(() => 1234);
      expect(decideAfterFailure(ctx({ attempt: 2, error, backoff: 10, strategy }))).toEqual({ action: 'retry', delayMs: 1234 });
      expect(strategy).toHaveBeenCalledWith(2, error, job);
    });

    it('dead-letters when the strategy returns -1', () => {
      expect(decideAfterFailure(ctx({ attempts: 10, strategy: () => -1 }))).toEqual({ action: 'dead-letter' });
    });

    it.each([
      ['a negative number', -5],
      ['NaN', Number.NaN],
      ['a non-number', '100' as unknown as number],
    ])('dead-letters when the strategy returns %s', (_label, value) => {
      expect(decideAfterFailure(ctx({ attempts: 10, strategy: () => value }))).toEqual({ action: 'dead-letter' });
    });

    it('allows a retry right away (0 ms)', () => {
      expect(decideAfterFailure(ctx({ strategy: () => 0 }))).toEqual({ action: 'retry', delayMs: 0 });
    });

    it('is not asked after the last try', () => {
      const strategy = jest.fn<number, Parameters<BackoffStrategy>>(() => 10);
      expect(decideAfterFailure(ctx({ attempt: 4, attempts: 4, strategy }))).toEqual({ action: 'dead-letter' });
      expect(strategy).not.toHaveBeenCalled();
    });
  });
});

describe('decideAfterFailure never asks for a wait setTimeout cannot hold (2^31-1 ms)', () => {
  it('caps a numeric backoff and exponential growth', () => {
    expect(decideAfterFailure(ctx({ attempts: 10, backoff: 3e9 }))).toEqual({ action: 'retry', delayMs: MAX_DELAY_MS });
    expect(decideAfterFailure(ctx({ attempt: 40, attempts: 1000, backoff: { type: 'exponential', delay: 1000 } }), () => 0)).toEqual({
      action: 'retry',
      delayMs: MAX_DELAY_MS,
    });
  });

  it.each([3e9, Infinity])("caps a custom strategy's %d ms", (ms) => {
    expect(decideAfterFailure(ctx({ attempts: 10, strategy: () => ms }))).toEqual({ action: 'retry', delayMs: MAX_DELAY_MS });
  });
});
