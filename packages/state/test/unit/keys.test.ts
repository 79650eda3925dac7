import { StateConfigError } from '@partita/state';
import { QueueKeys } from '../../src/redis/keys';

describe('QueueKeys', () => {
  test('every key of a queue shares its hash tag; jobs, logs, states and events are apart', () => {
    const keys = new QueueKeys('partita', 'emails');
    expect(keys.base).toBe('partita:{emails}');
    expect(keys.job('42')).toBe('partita:{emails}:j:42');
    expect(keys.logs('42')).toBe('partita:{emails}:l:42');
    expect(keys.state('completed')).toBe('partita:{emails}:s:completed');
    expect(keys.events).toBe('partita:{emails}:events');
    // An id cannot make a key of another kind: ids only ever follow ':j:' or ':l:'.
    expect(keys.job('x:l:y')).not.toBe(keys.logs('y'));
    for (const key of [keys.job('1'), keys.logs('1'), keys.state('dead'), keys.events]) expect(key).toMatch(/\{emails\}/);
  });

  test('a SCAN pattern escapes glob characters of the prefix and queue', () => {
    expect(new QueueKeys('app*1', 'q?[x]').pattern()).toBe('app\\*1:{q\\?\\[x\\]}:*');
  });

  test.each([
    ['', 'q'],
    ['has space', 'q'],
    ['p{x}', 'q'],
    ['p', ''],
    ['p', 'a{b}'],
  ])('rejects prefix %j / queue %j', (prefix, queue) => {
    expect(() => new QueueKeys(prefix, queue)).toThrow(StateConfigError);
  });
});
