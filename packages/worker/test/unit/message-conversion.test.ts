import type { Message, MessageHeader } from '@confluentinc/kafka-javascript';
import { toInboundMessage } from '../../src/kafka/message-conversion';

function message(headers: MessageHeader[] | undefined): Message {
  return { topic: 't', partition: 0, offset: 5, key: Buffer.from('k'), value: Buffer.from('v'), size: 1, headers };
}

/** The header object the binding builds: it assigns the name, so `__proto__` sets the prototype. */
function bindingHeader(name: string, value: Buffer): MessageHeader {
  const header: Record<string, Buffer> = {};
  header[name] = value;
  return header;
}

describe('toInboundMessage headers', () => {
  const bytes = Buffer.from([0xc3, 0x28, 0xff]); // not UTF-8

  it('keeps every header with its exact bytes, in order, repeats included', () => {
    const m = toInboundMessage(message([bindingHeader('a', Buffer.from('1')), bindingHeader('bin', bytes), bindingHeader('a', Buffer.from('2'))]));
    expect(m.rawHeaders).toEqual([
      { name: 'a', value: Buffer.from('1') },
      { name: 'bin', value: bytes },
      { name: 'a', value: Buffer.from('2') },
    ]);
    // The by-name view: last value wins, as UTF-8 text (what existing readers use).
    expect(m.headers).toEqual({ a: '2', bin: bytes.toString('utf8') });
    // Reading the view first does not lose the raw list.
    expect(m.rawHeaders![1].value).toBe(bytes);
  });

  it('keeps a header named __proto__ as a header', () => {
    const m = toInboundMessage(message([bindingHeader('__proto__', Buffer.from('x')), bindingHeader('b', Buffer.from('y'))]));
    expect(m.rawHeaders).toEqual([
      { name: '__proto__', value: Buffer.from('x') },
      { name: 'b', value: Buffer.from('y') },
    ]);
    expect(Object.getOwnPropertyDescriptor(m.headers, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(m.headers)).toBe(Object.prototype);
  });

  it('has empty lists without headers', () => {
    expect(toInboundMessage(message(undefined)).rawHeaders).toEqual([]);
    expect(toInboundMessage(message([])).headers).toEqual({});
  });
});
