import { JobOptions, JobValidationError, SerializationError } from '@partita/job';
import { JobRequest } from '@partita/job/dispatch';
import { decodeEnvelope, JOB_HEADER } from '@partita/job/wire';
import { partitionForKey } from '@partita/kafka';
import { assertMessageSize, buildJobMessage, needsPartitionCount, placeJob, prepareJob, validateEnqueueOptions } from '../../src/job-message';

const deps = { now: () => 1_700_000_000_000, newId: () => 'generated-id' };

function request(overrides: Partial<JobRequest> = {}): JobRequest {
  return { queue: 'orders', name: 'ShipOrder', data: { orderId: 'o-1', userId: 'u-7' }, classOptions: {}, ...overrides };
}

const byUser: JobOptions['partitioner'] = (job) => (job.data as { userId: string }).userId;

function validationError(fn: () => unknown): JobValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JobValidationError);
    return error as JobValidationError;
  }
  throw new Error('expected a JobValidationError');
}

describe("partitionKeyType 'key' (default)", () => {
  it('stores the partitioner key and leaves the partition to librdkafka', () => {
    const message = buildJobMessage(request({ classOptions: { partitioner: byUser } }), 12, undefined, deps);
    expect(message).toMatchObject({ topic: 'orders', key: 'u-7', partition: undefined, id: 'generated-id', dispatch: 'async' });
  });

  it('opts.key overrides the partitioner (which is then not called)', () => {
    const partitioner = jest.fn(() => 'unused');
    const message = buildJobMessage(request({ classOptions: { partitioner }, opts: { key: 'explicit' } }), 12, undefined, deps);
    expect(message.key).toBe('explicit');
    expect(partitioner).not.toHaveBeenCalled();
  });

  it('a job without key has a null key', () => {
    expect(buildJobMessage(request(), 12, undefined, deps)).toMatchObject({ key: null, partition: undefined });
  });

  it('opts.partition is always an explicit partition, the key still stored', () => {
    const message = buildJobMessage(request({ classOptions: { partitioner: byUser }, opts: { partition: 5 } }), 12, undefined, deps);
    expect(message).toMatchObject({ key: 'u-7', partition: 5 });
  });

  it('the partitioner sees the job name, data and id', () => {
    const partitioner = jest.fn(() => 'k');
    buildJobMessage(request({ classOptions: { partitioner }, opts: { jobId: 'j-9' } }), 1, undefined, deps);
    expect(partitioner).toHaveBeenCalledWith({ name: 'ShipOrder', data: { orderId: 'o-1', userId: 'u-7' }, id: 'j-9' });
  });
});

describe("partitionKeyType 'partitionKey'", () => {
  const classOptions: JobOptions = { partitioner: byUser, partitionKeyType: 'partitionKey' };

  it("stores no key; the partition is the key's murmur2 partition", () => {
    const message = buildJobMessage(request({ classOptions }), 12, undefined, deps);
    expect(message.key).toBeNull();
    expect(message.partition).toBe(partitionForKey('u-7', 12));
  });

  it('depends on the partition count', () => {
    const counts = [3, 7, 12, 50].map((count) => buildJobMessage(request({ classOptions }), count, undefined, deps).partition);
    expect(counts).toEqual([3, 7, 12, 50].map((count) => partitionForKey('u-7', count)));
  });

  it('without any key the partition is left to librdkafka', () => {
    const message = buildJobMessage(request({ classOptions: { partitionKeyType: 'partitionKey' } }), 12, undefined, deps);
    expect(message).toMatchObject({ key: null, partition: undefined });
  });
});

describe("partitionKeyType 'partition'", () => {
  it('uses a fixed partition number and stores the key if any', () => {
    const message = buildJobMessage(request({ classOptions: { partitionKeyType: 'partition', partition: 2, partitioner: byUser } }), 4, undefined, deps);
    expect(message).toMatchObject({ partition: 2, key: 'u-7' });
    expect(buildJobMessage(request({ classOptions: { partitionKeyType: 'partition', partition: 0 } }), 4, undefined, deps).key).toBeNull();
  });

  it('calls a partition function with the job', () => {
    const partition = jest.fn((job: { data: unknown }) => ((job.data as { orderId: string }).orderId === 'o-1' ? 3 : 0));
    const message = buildJobMessage(request({ classOptions: { partitionKeyType: 'partition', partition } }), 4, undefined, deps);
    expect(message.partition).toBe(3);
  });

  it('opts.partition wins over the class partition', () => {
    const message = buildJobMessage(request({ classOptions: { partitionKeyType: 'partition', partition: 1 }, opts: { partition: 0 } }), 4, undefined, deps);
    expect(message.partition).toBe(0);
  });

  it('without a partition → JobValidationError telling how to give one', () => {
    const error = validationError(() => buildJobMessage(request({ classOptions: { partitionKeyType: 'partition' } }), 4, undefined, deps));
    expect(error.field).toBe('partition');
    expect(error.message).toMatch(/ShipOrder has partitionKeyType 'partition' but no partition/);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('nope');
      },
      /partition function of job ShipOrder threw: nope/,
    ],
    ['returns a negative number', () => -1, /returned number -1; it must return an integer >= 0/],
    ['returns a string', () => '1' as unknown as number, /returned "1"/],
  ])('a partition function that %s → JobValidationError', (_what, partition, message) => {
    const error = validationError(() => buildJobMessage(request({ classOptions: { partitionKeyType: 'partition', partition } }), 4, undefined, deps));
    expect(error.field).toBe('partition');
    expect(error.message).toMatch(message);
  });
});

describe('partition range', () => {
  it.each([[{ opts: { partition: 4 } }], [{ classOptions: { partitionKeyType: 'partition' as const, partition: 9 } }]])(
    'a partition >= the partition count → JobValidationError (%j)',
    (overrides) => {
      const error = validationError(() => buildJobMessage(request(overrides), 4, undefined, deps));
      expect(error.field).toBe('partition');
      expect(error.message).toMatch(/out of range: topic orders has 4 partition\(s\), 0\.\.3/);
    },
  );

  it('needsPartitionCount says when placement depends on the topic', () => {
    expect(needsPartitionCount(prepareJob(request(), undefined, deps))).toBe(false);
    expect(needsPartitionCount(prepareJob(request({ classOptions: { partitioner: byUser } }), undefined, deps))).toBe(false);
    expect(needsPartitionCount(prepareJob(request({ opts: { partition: 0 } }), undefined, deps))).toBe(true);
    expect(needsPartitionCount(prepareJob(request({ classOptions: { partitioner: byUser, partitionKeyType: 'partitionKey' } }), undefined, deps))).toBe(true);
    // Without a count, a job that needs none can still be placed.
    expect(placeJob(prepareJob(request(), undefined, deps), undefined).partition).toBeUndefined();
  });
});

describe('the message value, headers and options', () => {
  it('encodes the envelope with id, name, data, enqueuedAt and the wire options', () => {
    const message = buildJobMessage(
      request({
        data: { at: new Date(7), tags: new Set(['x']) },
        classOptions: { attempts: 3, backoff: 100, deadLetter: 'orders.dead', dispatch: 'sync' },
        opts: { attempts: 5, jobId: 'mine' },
      }),
      4,
      undefined,
      deps,
    );
    const envelope = decodeEnvelope(message.value);
    expect(envelope).toEqual({
      v: 1,
      id: 'mine',
      name: 'ShipOrder',
      data: { at: new Date(7), tags: new Set(['x']) },
      enqueuedAt: 1_700_000_000_000,
      opts: { attempts: 5, backoff: 100, deadLetter: 'orders.dead' },
    });
    expect(message.headers).toEqual({ [JOB_HEADER]: '[1,"ShipOrder","mine"]' });
    expect(message.id).toBe('mine');
    expect(message.dispatch).toBe('sync');
  });

  it('merges enqueuer defaults < class options < per-call options', () => {
    const defaults: JobOptions = { attempts: 9, dispatch: 'sync', deadLetter: false };
    const message = buildJobMessage(request({ classOptions: { attempts: 4 }, opts: { dispatch: 'async' } }), 1, defaults, deps);
    expect(message.dispatch).toBe('async');
    expect(decodeEnvelope(message.value).opts).toEqual({ attempts: 4, deadLetter: false });
  });

  it('leaves unset options out of the wire options', () => {
    expect(decodeEnvelope(buildJobMessage(request(), 1, undefined, deps).value).opts).toEqual({});
  });

  it('gives every job a fresh UUID unless the caller names it', () => {
    const a = buildJobMessage(request(), 1);
    const b = buildJobMessage(request(), 1);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('uses the current time for enqueuedAt by default', () => {
    const before = Date.now();
    const { enqueuedAt } = decodeEnvelope(buildJobMessage(request(), 1).value);
    expect(enqueuedAt).toBeGreaterThanOrEqual(before);
    expect(enqueuedAt).toBeLessThanOrEqual(Date.now());
  });
});

describe('bad input', () => {
  it('data superjson cannot carry → SerializationError', () => {
    expect(() => buildJobMessage(request({ data: { fn: () => 1 } }), 1)).toThrow(SerializationError);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no user');
      },
      /the partitioner of job ShipOrder threw: no user/,
    ],
    ['returns undefined', () => undefined as unknown as string, /returned undefined/],
    ['returns a number', () => 7 as unknown as string, /returned number 7/],
    ['returns an empty string', () => '', /returned ""/],
  ])('a partitioner that %s → JobValidationError naming the partitioner and job', (_what, partitioner, message) => {
    const error = validationError(() => buildJobMessage(request({ classOptions: { partitioner } }), 1));
    expect(error.field).toBe('partitioner');
    expect(error.message).toMatch(message);
  });

  it('keeps the partitioner error as the cause', () => {
    const cause = new Error('root');
    const error = validationError(() =>
      buildJobMessage(
        request({
          classOptions: {
            partitioner: () => {
              throw cause;
            },
          },
        }),
        1,
      ),
    );
    expect(error.cause).toBe(cause);
  });
});

describe('validateEnqueueOptions', () => {
  it('accepts undefined and every documented option', () => {
    expect(() => validateEnqueueOptions(undefined)).not.toThrow();
    expect(() =>
      validateEnqueueOptions({ key: 'k', partition: 0, jobId: 'j', attempts: 1, backoff: { type: 'fixed', delay: 5 }, dispatch: 'sync', deadLetter: false }),
    ).not.toThrow();
  });

  it.each([
    [null, 'opts', /opts must be an object, got null/],
    ['sync', 'opts', /must be an object/],
    [{ delay: 5 }, 'delay', /unknown option 'delay' in opts; allowed: key, partition, jobId/],
    [{ partitioner: () => 'k' }, 'partitioner', /unknown option 'partitioner'/],
    [{ key: '' }, 'key', /opts\.key must be a non-empty string, got ""/],
    [{ key: 42 }, 'key', /got number 42/],
    [{ partition: -2 }, 'opts.partition', /integer >= 0, got -2/],
    [{ jobId: 5 }, 'jobId', /opts\.jobId must be a non-empty string/],
    [{ attempts: 0 }, 'opts.attempts', /integer >= 1/],
    [{ backoff: -1 }, 'opts.backoff', /non-negative/],
    [{ dispatch: 'now' }, 'dispatch', /'async' or 'sync', got "now"/],
    [{ deadLetter: true }, 'deadLetter', /topic name or false/],
  ])('%j → JobValidationError on %s', (opts, field, message) => {
    const error = validationError(() => validateEnqueueOptions(opts));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe('assertMessageSize', () => {
  it('refuses a job larger than message.max.bytes, naming the job and the limit', () => {
    const message = buildJobMessage(request({ data: { blob: 'x'.repeat(2_000) } }), 1, undefined, deps);
    expect(() => assertMessageSize(message, 100_000)).not.toThrow();
    const error = validationError(() => assertMessageSize(message, 1_000));
    expect(error.field).toBe('data');
    expect(error.message).toMatch(/job ShipOrder is \d+ bytes on the wire, more than message\.max\.bytes \(1000\)/);
  });
});
