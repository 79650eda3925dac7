import vm from 'node:vm';
import { UnrecoverableError } from '@partita/job';
import { MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_STACK_CHARS, toError, truncateText } from '../../src/core/thrown-value';
import { ThrownValueError } from '../../src/errors';

/** What every result of toError must satisfy. */
function expectWellFormed(error: Error): void {
  expect(error).toBeInstanceOf(Error);
  expect(typeof error.name).toBe('string');
  expect(typeof error.message).toBe('string');
  expect(typeof error.stack).toBe('string');
  expect(error.name.length).toBeGreaterThan(0);
  expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  expect(error.stack!.length).toBeLessThanOrEqual(MAX_ERROR_STACK_CHARS);
  // Whatever it came from, using it as text works.
  expect(() => `${error.name}: ${error.message} ${String(error)} ${JSON.stringify({ m: error.message })}`).not.toThrow();
}

const throwingEverywhere = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('get trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
      has() {
        throw new Error('has trap');
      },
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('getOwnPropertyDescriptor trap');
      },
      defineProperty() {
        throw new Error('defineProperty trap');
      },
      set() {
        throw new Error('set trap');
      },
    },
  );

describe('toError', () => {
  it('returns a sound Error as it is (identity, class and own fields kept)', () => {
    const error = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
    expect(toError(error)).toBe(error);
    expect((toError(error) as TypeError & { code: string }).code).toBe('E_BAD');
    const final = new UnrecoverableError('card declined');
    expect(toError(final)).toBe(final);
    expect(toError(final)).toBeInstanceOf(UnrecoverableError);
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, 'a non-Error value was thrown: 42'],
    ['undefined', undefined, 'a non-Error value was thrown: undefined'],
    ['null', null, 'a non-Error value was thrown: null'],
    ['false', false, 'a non-Error value was thrown: false'],
    ['a bigint', 10n, 'a non-Error value was thrown: 10'],
    ['a symbol', Symbol('s'), 'a non-Error value was thrown: Symbol(s)'],
    ['a plain object', { code: 7 }, 'a non-Error value was thrown: {"code":7}'],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 }), 'a non-Error value was thrown: {"a":1}'],
    ['an empty object without a prototype', Object.create(null) as object, 'a non-Error value was thrown: [object with a null prototype] {}'],
    ['a function', () => 1, 'a non-Error value was thrown: [function]'],
  ])('turns %s into a ThrownValueError', (_what, value, message) => {
    const error = toError(value);
    expectWellFormed(error);
    expect(error).toBeInstanceOf(ThrownValueError);
    expect(error.name).toBe('ThrownValueError');
    expect(error.message).toBe(message);
    expect((error as ThrownValueError).value).toBe(value);
  });

  it('survives objects whose toString, valueOf, toJSON and getters throw', () => {
    const hostile = {
      toString() {
        throw new Error('toString');
      },
      valueOf() {
        throw new Error('valueOf');
      },
      toJSON() {
        throw new Error('toJSON');
      },
      get message() {
        throw new Error('message getter');
      },
      [Symbol.toPrimitive]() {
        throw new Error('toPrimitive');
      },
    };
    const error = toError(hostile);
    expectWellFormed(error);
    expect(error.message).toBe('a non-Error value was thrown: [object]');
  });

  it('survives a proxy that throws on every trap', () => {
    const error = toError(throwingEverywhere());
    expectWellFormed(error);
    expect(error).toBeInstanceOf(ThrownValueError);
    expect(error.message).toBe('a non-Error value was thrown: [unreadable object]');
  });

  it('survives an Error behind a proxy whose every get throws', () => {
    const proxied = new Proxy(new Error('inner'), {
      get() {
        throw new Error('no reads');
      },
      defineProperty() {
        throw new Error('no writes');
      },
    });
    const error = toError(proxied);
    expectWellFormed(error);
    expect(error).not.toBe(proxied);
    expect(error.message).toBe('reading its message threw: no reads');
    expect(error.cause).toBe(proxied);
  });

  it('fixes an Error whose name is a number, keeping the error', () => {
    const error = new Error('x');
    (error as unknown as { name: number }).name = 404;
    const result = toError(error);
    expect(result).toBe(error);
    expectWellFormed(result);
    expect(result.name).toBe('404');
  });

  it('fixes an Error whose message is an object', () => {
    const error = new Error('placeholder');
    (error as unknown as { message: object }).message = { code: 'E1', detail: [1, 2] };
    const result = toError(error);
    expectWellFormed(result);
    expect(result.message).toBe('{"code":"E1","detail":[1,2]}');
  });

  it('fixes an Error whose message is an object that cannot be serialised', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = new Error('placeholder');
    (error as unknown as { message: object }).message = cyclic;
    const result = toError(error);
    expectWellFormed(result);
    expect(result.message).toBe('[object]');
  });

  it('fixes an Error whose stack is a number', () => {
    const error = new RangeError('too far');
    (error as unknown as { stack: number }).stack = 12;
    const result = toError(error);
    expect(result).toBe(error);
    expectWellFormed(result);
    expect(result.stack).toBe('RangeError: too far\n    (12)');
  });

  it('fixes an Error whose name, message and stack getters throw', () => {
    class Weird extends Error {
      override get name(): string {
        throw new Error('name getter');
      }
      override get message(): string {
        throw new Error('message getter');
      }
      override get stack(): string {
        throw new Error('stack getter');
      }
    }
    // Made without the constructor: V8's own stack would read the throwing name as it is formatted.
    const error = Object.create(Weird.prototype) as Weird;
    const result = toError(error);
    expectWellFormed(result);
    expect(result).toBeInstanceOf(Weird);
    expect(result.name).toBe('Weird');
    expect(result.message).toBe('reading its message threw: message getter');
  });

  it('copies a frozen malformed Error with its prototype and the original as cause', () => {
    class Mine extends UnrecoverableError {}
    const error = new Mine('frozen');
    (error as unknown as { stack: number }).stack = 1;
    Object.freeze(error);
    const result = toError(error);
    expectWellFormed(result);
    expect(result).not.toBe(error);
    expect(result).toBeInstanceOf(Mine);
    expect(result).toBeInstanceOf(UnrecoverableError);
    expect(result.message).toBe('frozen');
    expect(result.cause).toBe(error);
  });

  it('truncates a 2 MB message and the stack that repeats it, saying so', () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const error = new Error(huge);
    const result = toError(error);
    expectWellFormed(result);
    expect(result.message).toMatch(/… \[truncated, 2097152 chars in all\]$/);
    expect(result.stack).toMatch(/chars in all\]$/);
    expect(toError(huge).message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });

  it('bounds a huge object thrown, without walking it all', () => {
    const big = { items: Array.from({ length: 200_000 }, (_, i) => ({ i, text: 'some text' })) };
    const started = performance.now();
    const result = toError(big);
    expectWellFormed(result);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('keeps an Error of another realm as it is', () => {
    const foreign = vm.runInNewContext('new TypeError("from a vm")') as Error;
    expect(foreign instanceof Error).toBe(false);
    expect(toError(foreign)).toBe(foreign);
    const broken = vm.runInNewContext('const e = new TypeError("from a vm"); e.stack = 5; e') as Error;
    expect(toError(broken).stack).toBe('TypeError: from a vm\n    (5)');
  });

  it('keeps surrogate pairs whole when truncating', () => {
    const text = 'a'.repeat(60) + '😀'.repeat(100);
    for (let max = 60; max < 120; max++) {
      const cut = truncateText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
    }
  });
});
