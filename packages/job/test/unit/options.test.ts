import { Job, JobOptions, JobValidationError } from '../../src';
import {
  MAX_ATTEMPTS,
  mergeJobOptions,
  resolveJobOptions,
  validateAttempts,
  validateDeadLetter,
  validateJobOptions,
  validatePartition,
} from '../../src/subpaths/options';
import { JobRegistry } from '../../src/subpaths/registry';
import { wireOptionsProblem } from '../../src/subpaths/wire';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JobValidationError);
    return (error as JobValidationError).field;
  }
  throw new Error('expected a JobValidationError');
}

describe('validateJobOptions', () => {
  it('accepts every documented option', () => {
    expect(() =>
      validateJobOptions({
        partitioner: () => 'k',
        partitionKeyType: 'partition',
        partition: (job: unknown) => (job ? 1 : 0),
        dispatch: 'sync',
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000, jitter: 0.2 },
        deadLetter: 'orders.failed',
      }),
    ).not.toThrow();
    expect(() => validateJobOptions({ deadLetter: false, partition: 0, backoff: 0 })).not.toThrow();
    expect(() => validateJobOptions({})).not.toThrow();
  });

  it.each([
    [{ retries: 3 }, 'retries', /unknown option 'retries' in options; allowed: partitioner/],
    [{ partitioner: 'userId' }, 'partitioner', /partitioner must be a function/],
    [{ partitionKeyType: 'hash' }, 'partitionKeyType', /'key', 'partitionKey' or 'partition', got hash/],
    [{ partition: -1 }, 'options.partition', /integer >= 0, got -1/],
    [{ partition: '2' }, 'options.partition', /integer >= 0/],
    [{ dispatch: 'eventually' }, 'dispatch', /'async' or 'sync'/],
    [{ attempts: 0 }, 'options.attempts', /integer >= 1/],
    [{ attempts: 2.5 }, 'options.attempts', /integer >= 1/],
    [{ backoff: -5 }, 'options.backoff', /non-negative/],
    [{ backoff: { type: 'fixed' } }, 'options.backoff.delay', /delay must be a non-negative number/],
    [{ backoff: { type: 'fixed', delay: 1, jitter: 2 } }, 'options.backoff.jitter', /between 0 and 1/],
    [{ backoff: { type: 'fixed', delay: 1, max: 9 } }, 'options.backoff', /unknown option\(s\) max/],
    [{ deadLetter: '' }, 'deadLetter', /topic name or false/],
    [{ deadLetter: true }, 'deadLetter', /topic name or false/],
  ])('%j → JobValidationError on %s', (options, field, message) => {
    expect(fieldOf(() => validateJobOptions(options))).toBe(field);
    expect(() => validateJobOptions(options)).toThrow(message);
  });

  it('rejects non-objects', () => {
    expect(fieldOf(() => validateJobOptions(null))).toBe('options');
    expect(fieldOf(() => validateJobOptions([]))).toBe('options');
    expect(fieldOf(() => validateJobOptions('x', 'MyJob.options'))).toBe('MyJob.options');
  });

  it('validateAttempts and validatePartition name their field', () => {
    expect(fieldOf(() => validateAttempts(0, 'opts.attempts'))).toBe('opts.attempts');
    expect(fieldOf(() => validatePartition(NaN))).toBe('partition');
    expect(() => validatePartition(0)).not.toThrow();
  });
});

describe('mergeJobOptions', () => {
  it('merges per key, later layers win, undefined values do not erase', () => {
    const partitioner = () => 'k';
    expect(mergeJobOptions<unknown>({ attempts: 2, partitioner, dispatch: 'sync' }, undefined, { attempts: 5, dispatch: undefined }, { backoff: 100 })).toEqual(
      { attempts: 5, partitioner, dispatch: 'sync', backoff: 100 },
    );
  });

  it('replaces a backoff object whole rather than mixing two', () => {
    expect(mergeJobOptions({ backoff: { type: 'exponential', delay: 1, jitter: 0.5 } }, { backoff: { type: 'fixed', delay: 9 } })).toEqual({
      backoff: { type: 'fixed', delay: 9 },
    });
  });
});

describe('resolveJobOptions across a class hierarchy', () => {
  const byUser = (job: { data: { userId: string } }) => job.data.userId;

  abstract class ApplicationJob<D> extends Job<D> {
    static options: JobOptions<never> = { attempts: 10, dispatch: 'sync', deadLetter: 'app.dlq' };
  }
  abstract class UserJob<D extends { userId: string }> extends ApplicationJob<D> {
    static override options: JobOptions<{ userId: string }> = { partitioner: byUser, attempts: 3 };
  }
  class SendWelcome extends UserJob<{ userId: string }> {
    static queue = 'emails';
    static override options: JobOptions<{ userId: string }> = { dispatch: 'async' };
    perform(): void {}
  }
  // No own options: inherits everything.
  class SendReminder extends UserJob<{ userId: string }> {
    static queue = 'emails';
    perform(): void {}
  }

  it('merges base first, the most derived class winning per key', () => {
    expect(resolveJobOptions(SendWelcome)).toEqual({ attempts: 3, dispatch: 'async', deadLetter: 'app.dlq', partitioner: byUser });
    expect(resolveJobOptions(SendReminder)).toEqual({ attempts: 3, dispatch: 'sync', deadLetter: 'app.dlq', partitioner: byUser });
  });

  it('does not leak a subclass option into its parent or siblings', () => {
    expect(resolveJobOptions(SendReminder).dispatch).toBe('sync');
    expect(ApplicationJob.options).toEqual({ attempts: 10, dispatch: 'sync', deadLetter: 'app.dlq' });
  });

  it('validates the merged result and names the class', () => {
    class Broken extends UserJob<{ userId: string }> {
      static queue = 'emails';
      static override options: JobOptions<{ userId: string }> = { attempts: -1 };
      perform(): void {}
    }
    expect(() => resolveJobOptions(Broken)).toThrow(/Broken\.options\.attempts must be an integer >= 1/);
  });
});

describe('limits that keep a job from looping', () => {
  it(`attempts: at most MAX_ATTEMPTS (${MAX_ATTEMPTS})`, () => {
    expect(() => validateAttempts(MAX_ATTEMPTS)).not.toThrow();
    expect(() => validateAttempts(MAX_ATTEMPTS + 1, 'opts.attempts')).toThrow(/opts\.attempts must be an integer >= 1 and <= 1000 \(total tries\), got 1001/);
    expect(() => validateJobOptions({ attempts: 1e9 })).toThrow(/<= 1000/);
    expect(() => validateJobOptions({ attempts: Infinity })).toThrow(JobValidationError);
  });

  it.each(['__consumer_offsets', 'with space', '.', 'x'.repeat(250)])('deadLetter %j: a topic name is required', (deadLetter) => {
    expect(fieldOf(() => validateJobOptions({ deadLetter }))).toBe('deadLetter');
    expect(() => validateJobOptions({ deadLetter })).toThrow(/options\.deadLetter must be a topic name or false \(a topic name must/);
  });

  it("validateDeadLetter with the queue refuses the job's own queue, naming the loop and the default", () => {
    expect(() => validateDeadLetter('emails.dlq', 'opts.deadLetter', 'emails')).not.toThrow();
    expect(() => validateDeadLetter(false, 'opts.deadLetter', 'emails')).not.toThrow();
    expect(fieldOf(() => validateDeadLetter('emails', 'opts.deadLetter', 'emails'))).toBe('deadLetter');
    expect(() => validateDeadLetter('emails', 'opts.deadLetter', 'emails')).toThrow(
      /opts\.deadLetter is 'emails', the job's own queue: its dead jobs would run again and loop for ever; use another topic \(the default is 'emails\.dlq'\) or false/,
    );
  });

  it('a job class whose deadLetter is its own queue is refused (registry and performLater resolve options this way)', () => {
    class Loops extends Job {
      static queue = 'emails';
      static options: JobOptions = { deadLetter: 'emails' };
      perform(): void {}
    }
    expect(() => resolveJobOptions(Loops)).toThrow(/Loops\.options\.deadLetter is 'emails', the job's own queue/);
    expect(() => new JobRegistry([Loops])).toThrow(JobValidationError);
  });
});

describe('wireOptionsProblem: the options a message carries, checked like the API', () => {
  it.each([
    {},
    { attempts: 1 },
    { attempts: 1000, backoff: 0, deadLetter: false },
    { backoff: { type: 'exponential', delay: 5, jitter: 1 }, deadLetter: 'a.dlq' },
  ])('accepts %j', (opts) => expect(wireOptionsProblem(opts)).toBeUndefined());

  it('ignores keys it does not know (a newer partita may write them), in opts and in backoff', () => {
    expect(wireOptionsProblem({ priority: 3, attempts: 2 })).toBeUndefined();
    expect(wireOptionsProblem({ backoff: { type: 'fixed', delay: 1, maxDelay: 9 } })).toBeUndefined();
  });

  it.each([
    [{ attempts: 'abc' }, /opts\.attempts must be an integer >= 1 and <= 1000, got "abc"/],
    [{ attempts: 1e9 }, /opts\.attempts .* got 1000000000/],
    [{ attempts: -1 }, /opts\.attempts .* got -1/],
    [{ attempts: 0 }, /opts\.attempts/],
    [{ attempts: 2.5 }, /opts\.attempts/],
    [{ attempts: null }, /opts\.attempts .* got null/],
    [{ backoff: 'x' }, /opts\.backoff must be a number or \{ type, delay, jitter\? \}, got string/],
    [{ backoff: 3e9 }, /opts\.backoff must be a non-negative number of milliseconds, at most 2147483647/],
    [{ backoff: -1 }, /opts\.backoff must be a non-negative/],
    [{ backoff: { type: 'exponential', delay: 'soon' } }, /opts\.backoff\.delay/],
    [{ backoff: { type: 'linear', delay: 1 } }, /opts\.backoff\.type/],
    [{ backoff: { type: 'fixed', delay: 1, jitter: 5 } }, /opts\.backoff\.jitter/],
    [{ backoff: [] }, /got an array/],
    [{ deadLetter: true }, /opts\.deadLetter must be a topic name or false/],
    [{ deadLetter: '' }, /opts\.deadLetter/],
    [{ deadLetter: '__consumer_offsets' }, /opts\.deadLetter .* must not start with '__'/],
    [{ deadLetter: 'a\nb' }, /opts\.deadLetter .*"a\\nb"/],
  ])('%j → names the option', (opts, message) => {
    expect(wireOptionsProblem(opts)).toMatch(message);
  });
});
