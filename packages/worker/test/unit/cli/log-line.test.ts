import { PassThrough } from 'node:stream';
import { LOG_VALUE_MAX_CHARS, LogWriter, logError, logValue } from '../../../src/cli/log-line';

describe('logValue', () => {
  it('escapes newlines and other control characters, so a value cannot start a line of its own', () => {
    const forged = 'Welcome\n[partita] job Evil 1 is dead: written to x/0@0\r\x1b[2J\u2028\u202e';
    const shown = logValue(forged);
    // eslint-disable-next-line no-control-regex -- the control characters are what must be gone
    expect(shown).not.toMatch(/[\n\r\x1b\u2028\u202e]/);
    expect(shown).toBe('Welcome\\n[partita] job Evil 1 is dead: written to x/0@0\\r\\u001b[2J\\u2028\\u202e');
  });

  it('keeps ordinary text, including non-ASCII letters, as it is', () => {
    expect(logValue('SendWelcome émile 名前 ✓')).toBe('SendWelcome émile 名前 ✓');
  });

  it('cuts a long value and says how long it was', () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const shown = logValue(huge);
    expect(shown.length).toBeLessThan(LOG_VALUE_MAX_CHARS + 40);
    expect(shown).toBe(`${'x'.repeat(LOG_VALUE_MAX_CHARS)}… [cut: ${huge.length} chars]`);
  });

  it('never throws, whatever the value', () => {
    const throwing = {
      toString: () => {
        throw new Error('no');
      },
    };
    expect(logValue(throwing)).toBe('[unprintable value]');
    expect(logValue(Symbol('s'))).toBe('Symbol(s)');
    expect(logValue(undefined)).toBe('undefined');
    expect(logValue(Object.create(null))).toBe('[unprintable value]');
  });
});

describe('logError', () => {
  it('shows an error message escaped and bounded', () => {
    expect(logError(new Error('line one\nline two'))).toBe('line one\\nline two');
    expect(logError(new Error('y'.repeat(5000)))).toMatch(/… \[cut: 5000 chars\]$/);
  });

  it('survives odd thrown values and throwing getters', () => {
    const getterBomb = new Error('x');
    Object.defineProperty(getterBomb, 'message', {
      get: () => {
        throw new Error('boom');
      },
    });
    expect(logError(getterBomb)).toBe('[unreadable error]');
    expect(logError('a string\nthrown')).toBe('a string\\nthrown');
    expect(logError(42)).toBe('42');
  });
});

/** A stand-in for process.stdout: a stream that can be closed or stop being read. */
function output(): NodeJS.WriteStream & PassThrough {
  return new PassThrough({ highWaterMark: 16 }) as unknown as NodeJS.WriteStream & PassThrough;
}

describe('LogWriter', () => {
  it('writes one line per call', () => {
    const out = output();
    const err = output();
    const writer = new LogWriter(out, err);
    writer.info('[partita] hello');
    writer.error('[partita] oops');
    expect(String(out.read())).toBe('[partita] hello\n');
    expect(String(err.read())).toBe('[partita] oops\n');
  });

  it('neither throws nor leaves an unhandled error when its stream fails (EPIPE)', () => {
    const out = output();
    const writer = new LogWriter(out, out);
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    // Without the writer's error listener this emit would throw (an 'error' event nobody handles).
    expect(() => out.emit('error', epipe)).not.toThrow();
    out.destroy();
    expect(() => writer.info('after the pipe closed')).not.toThrow();
    expect(writer.droppedLines).toBe(1);
  });

  it('drops lines instead of buffering without end when nobody reads', () => {
    const out = output();
    const writer = new LogWriter(out, out);
    const line = 'z'.repeat(1024 * 1024);
    for (let i = 0; i < 10; i++) writer.info(line);
    expect(writer.droppedLines).toBeGreaterThan(0);
    expect(out.writableLength).toBeLessThan(6 * 1024 * 1024);
  });
});
