// What the API refuses, so that no job with it reaches a queue: a worker would refuse it as poison.
import { ConfigurationError, Queue } from '@partita/enqueuer';
import { prepareJob, validateEnqueueOptions } from '../../src/job-message';
import { JobValidationError } from '@partita/job';
import { JobRequest } from '@partita/job/dispatch';

function request(overrides: Partial<JobRequest> = {}): JobRequest {
  return { queue: 'orders', name: 'ShipOrder', data: { orderId: 'o-1' }, classOptions: {}, ...overrides };
}

describe("a job's deadLetter is never its own queue", () => {
  it('refuses it in opts, naming the loop', () => {
    expect(() => prepareJob(request({ opts: { deadLetter: 'orders' } }))).toThrow(JobValidationError);
    expect(() => prepareJob(request({ opts: { deadLetter: 'orders' } }))).toThrow(
      /opts\.deadLetter is 'orders', the job's own queue: its dead jobs would run again and loop for ever/,
    );
  });

  it('refuses it from queue defaults too (the class refuses its own in resolveJobOptions)', () => {
    expect(() => prepareJob(request(), { deadLetter: 'orders' })).toThrow(/deadLetter is 'orders', the job's own queue/);
  });

  it('accepts another topic or false', () => {
    expect(() => prepareJob(request({ opts: { deadLetter: 'orders.failed' } }))).not.toThrow();
    expect(() => prepareJob(request({ opts: { deadLetter: false } }))).not.toThrow();
  });

  it('queue.add rejects it before producing anything', async () => {
    const queue = new Queue('orders', { connection: { brokers: '127.0.0.1:1' } });
    try {
      await expect(queue.add('ShipOrder', {}, { deadLetter: 'orders' })).rejects.toThrow(JobValidationError);
    } finally {
      await queue.close();
    }
  });
});

describe('enqueue options are checked with the rules a worker applies to the message', () => {
  it.each([
    [{ deadLetter: '__consumer_offsets' }, /opts\.deadLetter must be a topic name or false \(a topic name must not start with '__'/],
    [{ deadLetter: 'a b' }, /opts\.deadLetter must be a topic name or false/],
    [{ attempts: 1e9 }, /opts\.attempts must be an integer >= 1 and <= 1000/],
    [{ backoff: 3e9 }, /opts\.backoff must be a non-negative number of milliseconds, at most 2147483647/],
  ])('%j is refused', (opts, message) => {
    expect(() => validateEnqueueOptions(opts)).toThrow(message);
  });
});

describe('queue names', () => {
  it.each([
    ['__consumer_offsets', /queue name must not start with '__', the prefix of Kafka's internal topics, got "__consumer_offsets"/],
    ['__transaction_state', /must not start with '__'/],
    ['..', /'\.' and '\.\.' are not allowed/],
    ['a/b', /1-249 characters of letters, digits/],
    ['x'.repeat(250), /1-249 characters/],
  ])('new Queue(%j) is refused, naming the rule', (name, message) => {
    expect(() => new Queue(name)).toThrow(ConfigurationError);
    expect(() => new Queue(name)).toThrow(message);
  });
});
