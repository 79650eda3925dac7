import { StateConfigError } from '@partita/state';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL, parseRetention, retentionArgs } from '../../src/write/retention';

describe('parseRetention (removeOnComplete / removeOnFail)', () => {
  test('true removes at once, false keeps all, a number keeps that many', () => {
    expect(parseRetention(true, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toEqual({ count: 0, maxAgeMs: Infinity });
    expect(parseRetention(false, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toEqual({ count: Infinity, maxAgeMs: Infinity });
    expect(parseRetention(250, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toEqual({ count: 250, maxAgeMs: Infinity });
    expect(parseRetention(0, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toEqual({ count: 0, maxAgeMs: Infinity });
  });

  test('{ age, count }: age in seconds (as BullMQ), either may be left out', () => {
    expect(parseRetention({ age: 3600, count: 10 }, DEFAULT_REMOVE_ON_FAIL, 'removeOnFail')).toEqual({ count: 10, maxAgeMs: 3_600_000 });
    expect(parseRetention({ age: 0.5 }, DEFAULT_REMOVE_ON_FAIL, 'removeOnFail')).toEqual({ count: Infinity, maxAgeMs: 500 });
    expect(parseRetention({ count: 3 }, DEFAULT_REMOVE_ON_FAIL, 'removeOnFail')).toEqual({ count: 3, maxAgeMs: Infinity });
  });

  test('defaults: the last 1,000 completed and 5,000 failed/dead jobs per queue', () => {
    expect(parseRetention(undefined, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toEqual({ count: 1000, maxAgeMs: Infinity });
    expect(parseRetention(undefined, DEFAULT_REMOVE_ON_FAIL, 'removeOnFail')).toEqual({ count: 5000, maxAgeMs: Infinity });
  });

  test.each([[-1], [1.5], ['10'], [null], [[]], [{ age: -1 }], [{ age: 'x' }], [{ count: -2 }], [{ limit: 1 }]])('rejects %j naming the option', (value) => {
    expect(() => parseRetention(value as never, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete')).toThrow(StateConfigError);
    try {
      parseRetention(value as never, DEFAULT_REMOVE_ON_COMPLETE, 'removeOnComplete');
    } catch (error) {
      expect((error as StateConfigError).option).toMatch(/^removeOnComplete/);
      expect((error as Error).message).toMatch(/removeOnComplete/);
    }
  });

  test('as script arguments, no bound is -1', () => {
    expect(retentionArgs({ count: Infinity, maxAgeMs: Infinity })).toEqual([-1, -1]);
    expect(retentionArgs({ count: 0, maxAgeMs: 500 })).toEqual([0, 500]);
  });
});
