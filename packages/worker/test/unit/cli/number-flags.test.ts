import { Command, CommanderError } from 'commander';
import { MAX_TIMER_MS, parseNonNegativeInt, parsePositiveInt } from '../../../src/cli/number-flags';
import { workerCommand } from '../../../src/cli/worker-command';

describe('number flags', () => {
  it.each(['abc', '', ' ', '-1', '1.5', '1e3', '0x10', 'Infinity', 'NaN', String(MAX_TIMER_MS + 1), '3e9'])('refuses %p', (value) => {
    expect(() => parseNonNegativeInt(value)).toThrow(/expected a whole number from 0 to 2147483647, got/);
    expect(() => parsePositiveInt(value)).toThrow(/expected a whole number from 1 to 2147483647, got/);
  });

  it('takes whole numbers in range', () => {
    expect(parseNonNegativeInt('0')).toBe(0);
    expect(parseNonNegativeInt(' 10000 ')).toBe(10000);
    expect(parsePositiveInt(String(MAX_TIMER_MS))).toBe(MAX_TIMER_MS);
    expect(() => parsePositiveInt('0')).toThrow(/from 1/);
  });

  // Every number option of `partita worker` is checked before anything starts.
  it.each(['--stats-interval', '--concurrency', '--max-partitions', '--shutdown-timeout', '--revoke-grace', '--job-timeout'])(
    'partita worker %s abc is refused with the option named',
    (flag) => {
      const program = new Command('partita').exitOverride().addCommand(
        workerCommand()
          .exitOverride()
          .configureOutput({ writeErr: () => undefined }),
      );
      let error: unknown;
      try {
        program.parse(['worker', '--jobs', 'x.js', flag, 'abc'], { from: 'user' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).message).toMatch(new RegExp(`option '(-[a-z], )?${flag} <`));
      expect((error as CommanderError).message).toContain("argument 'abc' is invalid. expected a whole number");
    },
  );
});
