import { Job, JobClass, JobValidationError } from '../../src';
import { jobNameOf, queueOf } from '../../src/subpaths/options';
import { jobClassesIn, JobRegistry } from '../../src/subpaths/registry';

class SendWelcome extends Job<{ userId: string }> {
  static queue = 'emails';
  perform(): void {}
}
class ChargeCard extends Job<{ cents: number }> {
  static queue = 'payments';
  static jobName = 'billing.charge';
  perform(): void {}
}
class ChargeCardV2 extends ChargeCard {
  override perform(): void {}
}

describe('job names and queues', () => {
  it('names a job by its class unless it sets its own jobName (not inherited)', () => {
    expect(jobNameOf(SendWelcome)).toBe('SendWelcome');
    expect(jobNameOf(ChargeCard)).toBe('billing.charge');
    expect(jobNameOf(ChargeCardV2)).toBe('ChargeCardV2');
  });

  it('inherits the queue and refuses a class without one', () => {
    expect(queueOf(ChargeCardV2)).toBe('payments');
    class Nowhere extends Job {
      perform(): void {}
    }
    expect(() => queueOf(Nowhere)).toThrow(JobValidationError);
    expect(() => queueOf(Nowhere)).toThrow(/Nowhere has no queue/);
  });
});

describe('JobRegistry', () => {
  it('finds registered jobs by name and lists names and queues', () => {
    const registry = new JobRegistry([SendWelcome, ChargeCard]);
    expect(registry.get('SendWelcome')).toBe(SendWelcome);
    expect(registry.get('billing.charge')).toBe(ChargeCard);
    expect(registry.get('ChargeCard')).toBeUndefined();
    expect(registry.has('Unknown')).toBe(false);
    expect(registry.names()).toEqual(['SendWelcome', 'billing.charge']);
    expect(registry.queues()).toEqual(['emails', 'payments']);
    expect(registry.size).toBe(2);
  });

  it('accepts the same class twice but not two classes with one name', () => {
    const registry = new JobRegistry([SendWelcome]);
    expect(() => registry.register(SendWelcome)).not.toThrow();
    class Impostor extends Job {
      static queue = 'emails';
      static jobName = 'SendWelcome';
      perform(): void {}
    }
    expect(() => registry.register(Impostor)).toThrow(/two job classes are named 'SendWelcome'/);
  });

  it('refuses non-jobs, jobs without a queue and jobs with bad options', () => {
    const registry = new JobRegistry();
    expect(() => registry.register(class NotAJob {} as unknown as JobClass)).toThrow(/NotAJob is not a subclass of Job/);
    class NoQueue extends Job {
      perform(): void {}
    }
    expect(() => registry.register(NoQueue)).toThrow(/has no queue/);
    class BadOptions extends Job {
      static queue = 'q';
      static options = { attempts: 0 };
      perform(): void {}
    }
    expect(() => registry.register(BadOptions)).toThrow(/BadOptions\.options\.attempts/);
  });

  it('jobClassesIn finds Job subclasses among module exports, arrays included', () => {
    const found = jobClassesIn({ SendWelcome, helper: () => 1, list: [ChargeCard, 'x'], config: { a: 1 }, again: SendWelcome });
    expect(found).toEqual([SendWelcome, ChargeCard]);
  });
});
