import { Job, JobValidationError } from '../../src';
import { isTopicName, queueOf, topicNameProblem } from '../../src/subpaths/options';
import { JobRegistry } from '../../src/subpaths/registry';

describe('topicNameProblem', () => {
  it.each(['emails', 'orders.dlq', 'a_b-c.9', 'x'.repeat(249), '_single_underscore'])('accepts %j', (name) => {
    expect(topicNameProblem(name)).toBeUndefined();
    expect(isTopicName(name)).toBe(true);
  });

  it.each([
    ['__consumer_offsets', /must not start with '__'.*internal topics.*"__consumer_offsets"/],
    ['__transaction_state', /must not start with '__'/],
    ['.', /'\.' and '\.\.' are not allowed/],
    ['..', /'\.' and '\.\.' are not allowed/],
    ['', /1-249 characters/],
    ['has space', /letters, digits, '\.', '_', '-', got "has space"/],
    ['new\nline', /got "new\\nline"/],
    ['ü', /1-249 characters/],
    ['x'.repeat(250), /1-249 characters.*\(250 characters\)/],
    [42, /a string\), got number/],
    [null, /got null/],
  ])('refuses %j, naming the rule', (name, rule) => {
    expect(topicNameProblem(name)).toMatch(rule);
    expect(isTopicName(name)).toBe(false);
  });
});

describe('a job class whose queue is no topic name', () => {
  class Internal extends Job {
    static queue = '__consumer_offsets';
    perform(): void {}
  }

  it('is refused by queueOf and by the registry, naming the class and the rule', () => {
    expect(() => queueOf(Internal)).toThrow(JobValidationError);
    expect(() => queueOf(Internal)).toThrow(/Internal\.queue must not start with '__'/);
    expect(() => new JobRegistry([Internal])).toThrow(/Internal\.queue must not start with '__'/);
  });
});
