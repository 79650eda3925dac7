import { Job, JobOptions } from '@partita/job';
import { JobRegistry } from '@partita/job/registry';
import { resolveWorkerConfig, WorkerOptions } from '../../src/config';
import { WorkerConfigError } from '../../src/errors';
import { deadLetterTarget, refusedDeadLetterWarning } from '../../src/dead-letter/target';

class Plain extends Job {
  static queue = 'orders';
  perform(): void {}
}
class Declares extends Job {
  static queue = 'orders';
  static options: JobOptions = { deadLetter: 'orders.audit' };
  perform(): void {}
}

function config(options: WorkerOptions = {}, queues = ['orders'], jobs: unknown = [Plain, Declares]) {
  return resolveWorkerConfig(queues, { connection: { brokers: '127.0.0.1:1' }, ...options }, jobs as never);
}

describe("deadLetterTarget: a message's deadLetter is honoured only where the worker allows it", () => {
  it('without a deadLetter in the message: the class declared one, else the worker default', () => {
    const c = config();
    expect(deadLetterTarget(c, 'orders', 'Plain', undefined)).toEqual({ topic: 'orders.dlq' });
    expect(deadLetterTarget(c, 'orders', 'Declares', undefined)).toEqual({ topic: 'orders.audit' });
    expect(deadLetterTarget(c, 'orders', undefined, undefined)).toEqual({ topic: 'orders.dlq' }); // a poison message
  });

  it("allows the worker's own topic, the class's declared one and the deadLetterTopics option", () => {
    const c = config({ deadLetterTopics: ['shared.dlq'] });
    expect(deadLetterTarget(c, 'orders', 'Plain', 'orders.dlq')).toEqual({ topic: 'orders.dlq' });
    expect(deadLetterTarget(c, 'orders', 'Declares', 'orders.audit')).toEqual({ topic: 'orders.audit' });
    expect(deadLetterTarget(c, 'orders', 'Plain', 'shared.dlq')).toEqual({ topic: 'shared.dlq' });
    // Asking for the worker's default is allowed even for a class that declares another topic.
    expect(deadLetterTarget(c, 'orders', 'Declares', 'orders.dlq')).toEqual({ topic: 'orders.dlq' });
  });

  it('refuses any other topic (another queue, for one), falling back to where the job would go without it', () => {
    const c = config();
    expect(deadLetterTarget(c, 'orders', 'Plain', 'payments')).toEqual({ topic: 'orders.dlq', refused: 'payments' });
    expect(deadLetterTarget(c, 'orders', 'Declares', 'payments')).toEqual({ topic: 'orders.audit', refused: 'payments' });
    // Another class's declared topic is not this job's.
    expect(deadLetterTarget(c, 'orders', 'Plain', 'orders.audit')).toEqual({ topic: 'orders.dlq', refused: 'orders.audit' });
    // An unknown job name declares nothing.
    expect(deadLetterTarget(c, 'orders', 'Forged', 'orders.audit')).toEqual({ topic: 'orders.dlq', refused: 'orders.audit' });
  });

  it('never a queue the worker consumes, the source queue included, whatever the option says', () => {
    const c = config({ deadLetterTopics: ['elsewhere'] }, ['orders', 'payments']);
    expect(deadLetterTarget(c, 'orders', 'Plain', 'orders')).toEqual({ topic: 'orders.dlq', refused: 'orders' });
    expect(deadLetterTarget(c, 'orders', 'Plain', 'payments')).toEqual({ topic: 'orders.dlq', refused: 'payments' });
  });

  it('honours false (the message may drop only itself), and a worker default of false', () => {
    expect(deadLetterTarget(config(), 'orders', 'Plain', false)).toEqual({ topic: false });
    expect(deadLetterTarget(config({ deadLetter: false }), 'orders', 'Plain', 'payments')).toEqual({ topic: false, refused: 'payments' });
  });

  it('a class registered after the worker was made, declaring a consumed queue, is not followed there', () => {
    const registry = new JobRegistry([Plain]);
    const c = config({}, ['orders', 'payments'], registry);
    class Late extends Job {
      static queue = 'orders';
      static options: JobOptions = { deadLetter: 'payments' };
      perform(): void {}
    }
    registry.register(Late);
    expect(deadLetterTarget(c, 'orders', 'Late', undefined)).toEqual({ topic: 'orders.dlq' });
    expect(deadLetterTarget(c, 'orders', 'Late', 'payments')).toEqual({ topic: 'orders.dlq', refused: 'payments' });
  });

  it('a processor function declares nothing', () => {
    const c = config({}, ['orders'], () => undefined);
    expect(deadLetterTarget(c, 'orders', 'Declares', 'orders.audit')).toEqual({ topic: 'orders.dlq', refused: 'orders.audit' });
  });
});

describe('refusedDeadLetterWarning', () => {
  it('names the topic, where the job went and the option to set; once per topic and worker', () => {
    const c = config();
    const target = deadLetterTarget(c, 'orders', 'Plain', 'payments');
    const warning = refusedDeadLetterWarning(c, 'orders', target);
    expect(warning).toMatch(/a job of orders asked for dead letter topic payments, which this worker does not allow; it went to orders\.dlq instead/);
    expect(warning).toMatch(/add it to the worker's deadLetterTopics option or declare it as the job class's deadLetter/);
    expect(refusedDeadLetterWarning(c, 'orders', target)).toBeUndefined();
    // Another worker warns on its own.
    expect(refusedDeadLetterWarning(config(), 'orders', target)).toBeDefined();
    expect(refusedDeadLetterWarning(c, 'orders', deadLetterTarget(c, 'orders', 'Plain', 'orders.dlq'))).toBeUndefined();
  });

  it('stops after 100 distinct topics (a flood of forged names is not a flood of log lines)', () => {
    const c = config();
    const lines = Array.from({ length: 150 }, (_, i) => refusedDeadLetterWarning(c, 'orders', deadLetterTarget(c, 'orders', 'Plain', `t${i}`)));
    expect(lines.filter(Boolean)).toHaveLength(100);
  });
});

describe('resolveWorkerConfig: dead letter topics and jobs', () => {
  function rejection(fn: () => unknown): WorkerConfigError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(WorkerConfigError);
      return error as WorkerConfigError;
    }
    throw new Error('expected a WorkerConfigError');
  }

  it('deadLetterTopics: topic names, none of them a consumed queue', () => {
    expect(config({ deadLetterTopics: ['a.dlq', 'b'] }).deadLetterTopics).toEqual(new Set(['a.dlq', 'b']));
    expect(config().deadLetterTopics).toEqual(new Set());
    expect(rejection(() => config({ deadLetterTopics: 'a.dlq' as never })).message).toMatch(/deadLetterTopics: must be an array of topic names/);
    expect(rejection(() => config({ deadLetterTopics: ['__consumer_offsets'] })).message).toMatch(/deadLetterTopics: .*must not start with '__'/);
    expect(rejection(() => config({ deadLetterTopics: ['orders'] })).message).toMatch(/deadLetterTopics: orders is a queue this worker consumes/);
  });

  it("the worker's dead letter topic is never a queue it consumes, and is a topic name", () => {
    expect(rejection(() => config({ deadLetter: 'payments' }, ['orders', 'payments'])).message).toMatch(
      /deadLetter: the dead letter topic of orders is payments, a queue this worker consumes/,
    );
    expect(rejection(() => config({ deadLetter: (q) => `${q} dead` })).message).toMatch(
      /deadLetter: the dead letter topic of orders is no topic name: .*got "orders dead"/,
    );
    expect(rejection(() => config({}, ['x'.repeat(249)])).message).toMatch(/is no topic name: .*\(253 characters\); set the deadLetter option/);
  });

  it('an empty list or registry of job classes is refused, naming the fix', () => {
    for (const jobs of [[], new JobRegistry()]) {
      const error = rejection(() => config({}, ['orders'], jobs));
      expect(error.option).toBe('jobs');
      expect(error.message).toMatch(
        /no job classes given for orders: a worker without jobs runs nothing and dead-letters every message as an unknown job; pass the Job classes/,
      );
    }
  });

  it('a registered class declaring a consumed queue as its deadLetter is refused', () => {
    class Loops extends Job {
      static queue = 'orders';
      static options: JobOptions = { deadLetter: 'payments' };
      perform(): void {}
    }
    expect(rejection(() => config({}, ['orders', 'payments'], [Loops])).message).toMatch(
      /job Loops declares deadLetter payments, a queue this worker consumes/,
    );
  });

  it.each([
    ['__consumer_offsets', /must not start with '__'/],
    ['', /1-249 characters/],
    ['.', /'\.' and '\.\.' are not allowed/],
    ['a/b', /letters, digits/],
    ['x'.repeat(250), /1-249 characters/],
  ])('refuses the queue name %j, naming the rule', (queue, rule) => {
    const error = rejection(() => config({}, [queue]));
    expect(error.option).toBe('queue');
    expect(error.message).toMatch(rule);
  });
});

describe('new Worker with no job classes', () => {
  it('is refused before anything connects, naming the fix', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker } = require('../../src/worker') as typeof import('../../src/worker');
    expect(() => new Worker('orders', [])).toThrow(WorkerConfigError);
    expect(() => new Worker('orders', [])).toThrow(/jobs: no job classes given for orders/);
    expect(() => new Worker('__consumer_offsets', [Plain])).toThrow(/queue: a queue name must not start with '__'/);
  });
});
