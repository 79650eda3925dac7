import { APPLY_SCRIPT_SHA, applyCommand, COMMAND_HEADROOM, COMMAND_TAILROOM, isNoScript } from '../../src/redis/apply-command';
import { WRITER_CAPACITY } from '../../src/redis/op-list-writer';
import { encodeOps } from '../../src/write/ops';

describe('applyCommand', () => {
  const ops = [{ kind: 'log' as const, queue: 'q', id: 'j', line: 'é' }];

  test('writes EVALSHA around the op list in its own buffer, as RESP', () => {
    const list = encodeOps(ops, { nextBuffer: () => Buffer.alloc(WRITER_CAPACITY), headroom: COMMAND_HEADROOM, tailroom: COMMAND_TAILROOM });
    const before = Buffer.from(list);
    const command = applyCommand('p:{q}:events', ['p:{q}', 'é'], list, '1');
    expect(command).toBeDefined();
    const bytes = command!.toWritable({}) as Buffer;
    expect(bytes.buffer).toBe(list.buffer); // no copy
    const head = `*8\r\n$7\r\nEVALSHA\r\n$40\r\n${APPLY_SCRIPT_SHA}\r\n$1\r\n1\r\n$12\r\np:{q}:events\r\n$5\r\np:{q}\r\n$2\r\né\r\n$${list.length}\r\n`;
    expect(bytes.equals(Buffer.concat([Buffer.from(head), before, Buffer.from('\r\n$1\r\n1\r\n')]))).toBe(true);
    expect(list.equals(before)).toBe(true);
  });

  test('without room around the list there is no command (the caller sends it the usual way)', () => {
    const list = encodeOps(ops);
    // room before, none after
    const noTail = Buffer.from(new ArrayBuffer(COMMAND_HEADROOM + list.length), COMMAND_HEADROOM);
    list.copy(noTail);
    expect(applyCommand('p:{q}:events', ['p:{q}'], noTail, '1')).toBeUndefined();
    // room after, too little before
    const roomy = Buffer.from(new ArrayBuffer(COMMAND_HEADROOM + list.length + COMMAND_TAILROOM), COMMAND_HEADROOM, list.length);
    list.copy(roomy);
    expect(applyCommand('p:{q}:events', ['p:{q}'], roomy, '1')).toBeDefined();
    expect(applyCommand('p:{q}:events', ['x'.repeat(COMMAND_HEADROOM)], roomy, '1')).toBeUndefined();
  });

  test('NOSCRIPT replies are told apart', () => {
    expect(isNoScript(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
    expect(isNoScript(new Error('ERR other'))).toBe(false);
    expect(isNoScript('NOSCRIPT')).toBe(false);
  });
});
