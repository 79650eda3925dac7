import { DEFAULT_ATTEMPTS, resolveWorkerConfig, WorkerOptions } from '../../src/config';
import { WorkerConfigError } from '../../src/errors';
import { byMessageKey } from '../../src/core/lane-router';
import { msg } from './helpers';

/** Resolves and returns the WorkerConfigError thrown (fails the test when none is thrown). */
function rejection(options: WorkerOptions | Record<string, unknown>, queues: string[] = ['emails']): WorkerConfigError {
  try {
    resolveWorkerConfig(queues, options);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkerConfigError);
    return error as WorkerConfigError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('resolveWorkerConfig', () => {
  const savedBrokers = process.env.PARTITA_BROKERS;
  beforeEach(() => {
    delete process.env.PARTITA_BROKERS;
  });
  afterAll(() => {
    if (savedBrokers === undefined) delete process.env.PARTITA_BROKERS;
    else process.env.PARTITA_BROKERS = savedBrokers;
  });

  describe('defaults', () => {
    it('applies every default', () => {
      const config = resolveWorkerConfig(['emails']);
      expect(config).toMatchObject({
        queues: ['emails'],
        brokers: '127.0.0.1:9092',
        clientId: 'partita-worker',
        groupId: 'partita.emails',
        concurrency: 16,
        maxPartitions: 16,
        distribution: 'balanced',
        longRunning: false,
        shutdownTimeoutMs: 30000,
        revokeGraceMs: 5000,
        highWatermark: 5000,
        lowWatermark: 2500,
        commitIntervalMs: 1000,
        batchSize: 500,
        maxPollIntervalMs: 300000,
        kafka: {},
      });
      expect(config.attempts).toBeUndefined();
      expect(config.backoff).toBeUndefined();
      expect(config.backoffStrategy).toBeUndefined();
      expect(config.partitioner).toBe(byMessageKey);
      expect(config.deadLetter('emails')).toBe('emails.dlq');
      expect(DEFAULT_ATTEMPTS).toBe(4);
    });

    it('derives the group id from all queues and de-duplicates the queues', () => {
      const config = resolveWorkerConfig(['a', 'b', 'a']);
      expect(config.groupId).toBe('partita.a+b');
      expect(config.queues).toEqual(['a', 'b']);
      expect(config.deadLetter('b')).toBe('b.dlq');
    });

    it('takes brokers from the option, else PARTITA_BROKERS, else localhost', () => {
      expect(resolveWorkerConfig(['q'], { connection: { brokers: ['h1:9092', 'h2:9092'] } }).brokers).toBe('h1:9092,h2:9092');
      expect(resolveWorkerConfig(['q'], { connection: { brokers: 'h3:9092' } }).brokers).toBe('h3:9092');
      process.env.PARTITA_BROKERS = 'env:9092';
      expect(resolveWorkerConfig(['q']).brokers).toBe('env:9092');
      expect(resolveWorkerConfig(['q'], { connection: { brokers: 'h3:9092' } }).brokers).toBe('h3:9092');
    });

    it('rejects a blank broker list, naming connection.brokers', () => {
      // Resolved by @partita/enqueuer's resolveBrokers (a ConfigurationError, not a WorkerConfigError).
      expect(() => resolveWorkerConfig(['q'], { connection: { brokers: '  ' } })).toThrow(/connection\.brokers/);
      expect(() => resolveWorkerConfig(['q'], { connection: { brokers: ['h:1', ''] } })).toThrow(/connection\.brokers/);
    });

    it('maxPartitions defaults to concurrency; lowWatermark to half of highWatermark', () => {
      const config = resolveWorkerConfig(['q'], { concurrency: 8, highWatermark: 101 });
      expect(config.maxPartitions).toBe(8);
      expect(config.lowWatermark).toBe(50);
    });

    it('batchSize stays below highWatermark: the default shrinks to fit, an explicit one that does not fit is refused', () => {
      expect(resolveWorkerConfig(['q'], {}).batchSize).toBe(500);
      expect(resolveWorkerConfig(['q'], { highWatermark: 300 }).batchSize).toBe(299);
      expect(resolveWorkerConfig(['q'], { highWatermark: 1 }).batchSize).toBe(1);
      expect(resolveWorkerConfig(['q'], { highWatermark: 300, batchSize: 299 }).batchSize).toBe(299);
      expect(() => resolveWorkerConfig(['q'], { highWatermark: 300, batchSize: 300 })).toThrow(WorkerConfigError);
      expect(() => resolveWorkerConfig(['q'], { highWatermark: 300, batchSize: 500 })).toThrow(/batchSize.*\(500\) must be below highWatermark \(300\)/);
    });

    it('keeps explicit values', () => {
      const partitioner = () => 'x';
      const backoffStrategy = () => 5;
      const config = resolveWorkerConfig(['q'], {
        groupId: 'g',
        concurrency: 32,
        virtualPartitions: { partitioner, maxPartitions: 8, distribution: 'consistent' },
        longRunning: true,
        shutdownTimeoutMs: 10,
        revokeGraceMs: 0,
        highWatermark: 10,
        lowWatermark: 0,
        attempts: 2,
        backoff: { type: 'exponential', delay: 10, jitter: 0.2 },
        backoffStrategy,
        deadLetter: 'graveyard',
        commitIntervalMs: 50,
        batchSize: 7,
        connection: { clientId: 'me', kafka: { 'security.protocol': 'ssl', 'fetch.min.bytes': 1 } },
        kafka: { 'fetch.min.bytes': 2, 'max.poll.interval.ms': 60000 },
      });
      expect(config).toMatchObject({
        groupId: 'g',
        clientId: 'me',
        concurrency: 32,
        maxPartitions: 8,
        distribution: 'consistent',
        longRunning: true,
        shutdownTimeoutMs: 10,
        revokeGraceMs: 0,
        highWatermark: 10,
        lowWatermark: 0,
        attempts: 2,
        backoff: { type: 'exponential', delay: 10, jitter: 0.2 },
        commitIntervalMs: 50,
        batchSize: 7,
        maxPollIntervalMs: 60000,
        // `kafka` wins over `connection.kafka` per property.
        kafka: { 'security.protocol': 'ssl', 'fetch.min.bytes': 2, 'max.poll.interval.ms': 60000 },
      });
      expect(config.partitioner).toBe(partitioner);
      expect(config.backoffStrategy).toBe(backoffStrategy);
      expect(config.deadLetter('q')).toBe('graveyard');
    });

    it('accepts partition.assignment.strategy = cooperative-sticky', () => {
      expect(resolveWorkerConfig(['q'], { kafka: { 'partition.assignment.strategy': 'cooperative-sticky' } }).kafka).toEqual({
        'partition.assignment.strategy': 'cooperative-sticky',
      });
    });

    it('deadLetter: false drops dead jobs; a function maps the queue', () => {
      expect(resolveWorkerConfig(['q'], { deadLetter: false }).deadLetter('q')).toBe(false);
      expect(resolveWorkerConfig(['q'], { deadLetter: (queue) => `dead.${queue}` }).deadLetter('q')).toBe('dead.q');
    });

    it('virtualPartitions: false runs each partition in one ordered lane', () => {
      const config = resolveWorkerConfig(['q'], { concurrency: 4, virtualPartitions: false });
      expect(config.maxPartitions).toBe(1);
      expect(config.distribution).toBe('consistent');
      // Every message, keyed or not, gets the same ordering key.
      expect(config.partitioner(msg(0, 0, 'a'))).toBe(config.partitioner(msg(0, 1, 'b')));
      expect(config.partitioner(msg(0, 2, null))).toBe(config.partitioner(msg(0, 1, 'b')));
    });

    it('accepts the boundary values', () => {
      expect(() => resolveWorkerConfig(['q'], { concurrency: 1, virtualPartitions: { maxPartitions: 1 } })).not.toThrow();
      expect(() => resolveWorkerConfig(['q'], { highWatermark: 1, lowWatermark: 0 })).not.toThrow();
      expect(() => resolveWorkerConfig(['q'], { revokeGraceMs: 9999, kafka: { 'max.poll.interval.ms': 10000, 'session.timeout.ms': 10000 } })).not.toThrow();
      expect(() => resolveWorkerConfig(['q'], { shutdownTimeoutMs: 0 })).not.toThrow();
      expect(() => resolveWorkerConfig(['q'], { longRunning: true, shutdownTimeoutMs: 1 })).not.toThrow();
      expect(() => resolveWorkerConfig(['q'], { attempts: 1, backoff: 0 })).not.toThrow();
    });
  });

  describe('rejections name the option', () => {
    it('is a PartitaError whose message starts with the option', () => {
      const error = rejection({ concurrency: 0 });
      expect(error.name).toBe('WorkerConfigError');
      expect(error.option).toBe('concurrency');
      expect(error.message).toMatch(/^concurrency: /);
    });

    it.each([[[]], [['']], [['ok', '']]])('rejects a missing or empty queue name (%j)', (queues) => {
      const error = rejection({}, queues);
      expect(error.option).toBe('queue');
    });

    it('rejects an unknown option, listing the allowed ones', () => {
      const error = rejection({ concurency: 4 });
      expect(error.option).toBe('concurency');
      expect(error.message).toMatch(/unknown worker option/);
      expect(error.message).toContain('concurrency');
    });

    describe('librdkafka properties partita owns', () => {
      it.each([
        ['enable.auto.offset.store', false, /manual offset management/],
        ['enable.auto.commit', true, /commitIntervalMs/],
        ['auto.commit.interval.ms', 100, /commitIntervalMs/],
        ['group.id', 'g', /groupId/],
        ['bootstrap.servers', 'h:1', /connection\.brokers/],
        ['metadata.broker.list', 'h:1', /connection\.brokers/],
        ['rebalance_cb', true, /rebalances/],
        ['offset_commit_cb', true, /commits/],
        ['group.protocol', 'consumer', /cooperative-sticky/],
      ])('rejects %s in kafka and in connection.kafka', (property, value, fix) => {
        for (const options of [{ kafka: { [property]: value } }, { connection: { kafka: { [property]: value } } }]) {
          const error = rejection(options);
          expect(error.option).toBe(`kafka['${property}']`);
          expect(error.message).toContain(property);
          expect(error.message).toMatch(fix);
        }
      });

      it.each(['range', 'roundrobin', 'range,roundrobin', 'cooperative-sticky,range'])('rejects partition.assignment.strategy = %s', (strategy) => {
        const error = rejection({ kafka: { 'partition.assignment.strategy': strategy } });
        expect(error.option).toBe("kafka['partition.assignment.strategy']");
        expect(error.message).toContain('cooperative-sticky');
      });
    });

    it.each([0, -1, 1.5, '4', Number.NaN])('rejects concurrency %p', (concurrency) => {
      expect(rejection({ concurrency }).option).toBe('concurrency');
    });

    describe('virtual partitions', () => {
      it('rejects maxPartitions above concurrency, with the fix', () => {
        const error = rejection({ concurrency: 4, virtualPartitions: { maxPartitions: 5 } });
        expect(error.option).toBe('virtualPartitions.maxPartitions');
        expect(error.message).toMatch(/raise concurrency or lower maxPartitions/);
      });

      it.each([0, -2, 2.5])('rejects maxPartitions %p', (maxPartitions) => {
        expect(rejection({ virtualPartitions: { maxPartitions } }).option).toBe('virtualPartitions.maxPartitions');
      });

      it.each(['key', 42, {}])('rejects a partitioner that is not a function (%p)', (partitioner) => {
        const error = rejection({ virtualPartitions: { partitioner } });
        expect(error.option).toBe('virtualPartitions.partitioner');
        expect(error.message).toMatch(/function/);
      });

      it.each(['random', 'Balanced', 1])('rejects distribution %p', (distribution) => {
        const error = rejection({ virtualPartitions: { distribution } });
        expect(error.option).toBe('virtualPartitions.distribution');
        expect(error.message).toMatch(/'balanced' or 'consistent'/);
      });

      it.each([true, null, 'on', 3])('rejects virtualPartitions = %p', (virtualPartitions) => {
        expect(rejection({ virtualPartitions }).option).toBe('virtualPartitions');
      });
    });

    describe('poll interval and timeouts', () => {
      it('rejects session.timeout.ms above max.poll.interval.ms', () => {
        const error = rejection({ kafka: { 'session.timeout.ms': 60000, 'max.poll.interval.ms': 30000 } });
        expect(error.option).toBe("kafka['session.timeout.ms']");
        expect(error.message).toContain('max.poll.interval.ms');
      });

      it('rejects session.timeout.ms above the default max.poll.interval.ms', () => {
        expect(rejection({ kafka: { 'session.timeout.ms': 300001 } }).option).toBe("kafka['session.timeout.ms']");
      });

      it('rejects revokeGraceMs at or above max.poll.interval.ms', () => {
        const kafka = { 'max.poll.interval.ms': 10000, 'session.timeout.ms': 6000 };
        for (const revokeGraceMs of [10000, 20000]) {
          const error = rejection({ revokeGraceMs, kafka });
          expect(error.option).toBe('revokeGraceMs');
          expect(error.message).toContain('max.poll.interval.ms');
        }
        expect(rejection({ revokeGraceMs: 300000 }).option).toBe('revokeGraceMs');
      });

      it.each([-1, 1.5])('rejects revokeGraceMs %p', (revokeGraceMs) => {
        expect(rejection({ revokeGraceMs }).option).toBe('revokeGraceMs');
      });

      it.each([-1, 0.5, '10'])('rejects shutdownTimeoutMs %p', (shutdownTimeoutMs) => {
        expect(rejection({ shutdownTimeoutMs }).option).toBe('shutdownTimeoutMs');
      });

      it('rejects longRunning with shutdownTimeoutMs 0', () => {
        const error = rejection({ longRunning: true, shutdownTimeoutMs: 0 });
        expect(error.option).toBe('shutdownTimeoutMs');
        expect(error.message).toMatch(/long-running/);
      });
    });

    describe('back-pressure marks', () => {
      it.each([
        [10, 10],
        [10, 11],
      ])('rejects lowWatermark %p with highWatermark %p… (low >= high)', (highWatermark, lowWatermark) => {
        const error = rejection({ highWatermark, lowWatermark });
        expect(error.option).toBe('lowWatermark');
        expect(error.message).toContain('highWatermark');
      });

      it('rejects a lowWatermark at or above the default highWatermark', () => {
        expect(rejection({ lowWatermark: 5000 }).option).toBe('lowWatermark');
      });

      it.each([0, -1, 2.5])('rejects highWatermark %p', (highWatermark) => {
        expect(rejection({ highWatermark }).option).toBe('highWatermark');
      });

      it('rejects a negative lowWatermark', () => {
        expect(rejection({ lowWatermark: -1 }).option).toBe('lowWatermark');
      });
    });

    describe('retries', () => {
      it.each([0, -1, 1.5, '3'])('rejects attempts %p', (attempts) => {
        const error = rejection({ attempts });
        expect(error.option).toBe('attempts');
        expect(error.message).toMatch(/^attempts: /);
      });

      it.each([
        ['a negative number', -1],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['a string', '100'],
        ['an unknown type', { type: 'linear', delay: 10 }],
        ['a negative delay', { type: 'fixed', delay: -5 }],
        ['a missing delay', { type: 'fixed' }],
        ['jitter above 1', { type: 'exponential', delay: 10, jitter: 2 }],
        ['an unknown key', { type: 'fixed', delay: 10, max: 100 }],
      ])('rejects a backoff with %s', (_label, backoff) => {
        const error = rejection({ backoff });
        expect(error.option).toBe('backoff');
        expect(error.message).toMatch(/^backoff: /);
      });

      it('rejects a backoffStrategy that is not a function', () => {
        expect(rejection({ backoffStrategy: 100 }).option).toBe('backoffStrategy');
      });
    });

    describe('dead letter', () => {
      it('rejects a dead letter topic equal to the queue', () => {
        const error = rejection({ deadLetter: 'emails' });
        expect(error.option).toBe('deadLetter');
        expect(error.message).toContain('emails');
      });

      it('rejects a dead letter function mapping any queue onto itself', () => {
        const error = rejection({ deadLetter: (queue: string) => (queue === 'b' ? 'b' : `${queue}.dead`) }, ['a', 'b']);
        expect(error.option).toBe('deadLetter');
        expect(error.message).toContain('b');
      });

      it.each(['', true, 5])('rejects deadLetter %p', (deadLetter) => {
        expect(rejection({ deadLetter }).option).toBe('deadLetter');
      });
    });

    it.each([0, 1.5])('rejects commitIntervalMs %p', (commitIntervalMs) => {
      expect(rejection({ commitIntervalMs }).option).toBe('commitIntervalMs');
    });

    it.each([0, -3])('rejects batchSize %p', (batchSize) => {
      expect(rejection({ batchSize }).option).toBe('batchSize');
    });

    it('rejects an empty groupId', () => {
      expect(rejection({ groupId: '' }).option).toBe('groupId');
    });
  });
});
