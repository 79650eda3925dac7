import { Job, JobDescriptor, JobOptions, JobValidationError, SerializationError } from '@partita/job';
import { closeDefaultEnqueuer, configure, Queue, TopicNotFoundError } from '@partita/enqueuer';
import { BROKERS, Closer, TopicFixture, uniqueTopic } from '../../../../test/support/topic-fixture';

const topics = new TopicFixture();
const closer = new Closer();
const connection = { brokers: BROKERS };
let topic: string;
let queue: Queue;

beforeAll(async () => {
  topic = await topics.create('bad', 3);
  queue = closer.track(new Queue(topic, { connection }));
  configure({ connection });
});

afterAll(async () => {
  await closer.closeAll();
  await closeDefaultEnqueuer();
  await topics.cleanup();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('bad input raises at add/performLater time and produces nothing', () => {
  it.each([
    ['a function', { callback: () => 1 }, /data\.callback is a function/],
    ['a class instance', { at: new Point(1, 2) }, /data\.at is a Point instance/],
    ['a symbol', { s: Symbol('x') }, /data\.s is a symbol/],
  ])('data containing %s → SerializationError naming the path', async (_what, data, message) => {
    const error = await rejection(queue.add('job', data, { dispatch: 'sync' }));
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(message);
  });

  it('circular data → SerializationError', async () => {
    const data: Record<string, unknown> = { a: 1 };
    data.self = data;
    const error = await rejection(queue.add('job', data));
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/circular/);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no user');
      },
      /partitioner of job job threw: no user/,
    ],
    ['returns a number', () => 42 as unknown as string, /returned number 42/],
    ['returns an empty string', () => '', /returned ""/],
  ])('a partitioner that %s → JobValidationError naming the partitioner and job', async (_what, partitioner, message) => {
    const bad = closer.track(new Queue(topic, { connection, defaultJobOptions: { partitioner } }));
    const error = await rejection(bad.add('job', {}));
    expect(error).toBeInstanceOf(JobValidationError);
    expect((error as JobValidationError).field).toBe('partitioner');
    expect(error.message).toMatch(message);
    await bad.close();
  });

  it.each([
    [{ partition: -1 }, 'opts.partition', /integer >= 0/],
    [{ partition: 1.5 }, 'opts.partition', /integer >= 0/],
    [{ partition: 3 }, 'partition', /out of range: topic .* has 3 partition\(s\), 0\.\.2/],
    [{ prio: 1 }, 'prio', /unknown option 'prio'/],
    [{ attempts: 0 }, 'opts.attempts', /attempts must be an integer >= 1/],
    [{ backoff: { type: 'linear', delay: 1 } }, 'opts.backoff.type', /'fixed' or 'exponential'/],
    [{ dispatch: 'later' }, 'dispatch', /'async' or 'sync'/],
    [{ key: 7 }, 'key', /non-empty string/],
  ])('opts %j → JobValidationError on field %s', async (opts, field, message) => {
    const error = await rejection(queue.add('job', {}, opts as never));
    expect(error).toBeInstanceOf(JobValidationError);
    expect((error as JobValidationError).field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('one bad job in addBulk → nothing of the batch is produced, the error names the job', async () => {
    const error = await rejection(
      queue.addBulk([
        { name: 'ok', data: 1 },
        { name: 'ok', data: 2 },
        { name: 'bad', data: { f: () => 0 } },
      ]),
    );
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/^job #2: /);
    const outOfRange = await rejection(
      queue.addBulk([
        { name: 'ok', data: 1 },
        { name: 'bad', data: 2, opts: { partition: 99 } },
      ]),
    );
    expect((outOfRange as JobValidationError).field).toBe('partition');
  });

  it('performLater: a class without queue, bad class options and bad per-call options reject', async () => {
    class NoQueue extends Job<{ id: number }> {
      perform(): void {}
    }
    const noQueue = await rejection(NoQueue.performLater({ id: 1 }));
    expect(noQueue).toBeInstanceOf(JobValidationError);
    expect((noQueue as JobValidationError).field).toBe('queue');
    expect(noQueue.message).toMatch(/NoQueue has no queue/);

    class BadOptions extends Job<{ id: number }> {
      static queue = topic;
      static options = { retries: 3 } as unknown as JobOptions<never>;
      perform(): void {}
    }
    const badOptions = await rejection(BadOptions.performLater({ id: 1 }));
    expect((badOptions as JobValidationError).field).toBe('retries');

    class Throwing extends Job<{ id: number }> {
      static queue = topic;
      static options: JobOptions<{ id: number }> = {
        partitioner: (job: JobDescriptor<{ id: number }>) => {
          throw new Error(`cannot key ${job.data.id}`);
        },
      };
      perform(): void {}
    }
    const throwing = await rejection(Throwing.performAllLater([{ id: 1 }, { id: 2 }]));
    expect(throwing.message).toMatch(/partitioner of job Throwing threw: cannot key 1/);

    class Fine extends Job<{ id: number }> {
      static queue = topic;
      perform(): void {}
    }
    const badOpts = await rejection(Fine.performLater({ id: 1 }, { partition: 10, dispatch: 'sync' }));
    expect(badOpts.message).toMatch(/out of range/);
  });

  it('a job larger than message.max.bytes → JobValidationError, nothing of its batch produced', async () => {
    const error = await rejection(
      queue.addBulk([
        { name: 'ok', data: 1 },
        { name: 'huge', data: { blob: 'x'.repeat(1_100_000) } },
      ]),
    );
    expect((error as JobValidationError).field).toBe('data');
    expect(error.message).toMatch(/^job #1: job huge is \d+ bytes on the wire, more than message\.max\.bytes \(1000000\)/);
  });

  it('a topic that does not exist → TopicNotFoundError telling how to create it', async () => {
    const missing = uniqueTopic('missing');
    const q = closer.track(new Queue(missing, { connection }));
    const error = await rejection(q.add('job', {}, { dispatch: 'sync' }));
    expect(error).toBeInstanceOf(TopicNotFoundError);
    expect(error.message).toBe(
      `topic ${missing} does not exist: create it with queue.ensureTopic({ partitions }) or \`partita topic create ${missing} --partitions N\``,
    );
    await q.close();
  });

  // Runs last (Jest keeps the order of a file): the bad jobs above (and the good jobs batched with
  // them) all targeted `topic`, or a topic that does not exist.
  it('produced nothing at all for any of the bad jobs above', async () => {
    await queue.flush();
    expect(await topics.count(topic)).toBe(0);
  });
});
