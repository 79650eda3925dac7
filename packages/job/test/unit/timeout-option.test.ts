import { JobValidationError, PoisonMessageError } from '../../src';
import { MAX_DELAY_MS, validateJobOptions } from '../../src/subpaths/options';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION, wireOptionsProblem } from '../../src/subpaths/wire';

describe('the timeout option', () => {
  it('is accepted as whole milliseconds a timer can hold', () => {
    expect(() => validateJobOptions({ timeout: 1 })).not.toThrow();
    expect(() => validateJobOptions({ timeout: MAX_DELAY_MS })).not.toThrow();
  });

  it.each([0, -5, 1.5, MAX_DELAY_MS + 1, Number.NaN, '100', null])('refuses %p, naming the option', (timeout) => {
    expect(() => validateJobOptions({ timeout })).toThrow(JobValidationError);
    expect(() => validateJobOptions({ timeout })).toThrow(/options\.timeout must be an integer number of milliseconds/);
  });

  it('is checked on the wire like the API checks it: a forged timeout is poison', () => {
    expect(wireOptionsProblem({ timeout: 5000 })).toBeUndefined();
    expect(wireOptionsProblem({ timeout: 3e9 })).toMatch(/opts\.timeout/);
    const forged = encodeEnvelope({ v: ENVELOPE_VERSION, id: 'j1', name: 'Job', data: {}, enqueuedAt: 1, opts: { timeout: 'soon' as unknown as number } });
    expect(() => decodeEnvelope(forged)).toThrow(PoisonMessageError);
  });
});
