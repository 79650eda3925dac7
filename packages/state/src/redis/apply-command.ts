import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import { APPLY_SCRIPT } from './scripts';

/** The SHA1 of the apply script, as EVALSHA names it. */
export const APPLY_SCRIPT_SHA = createHash('sha1').update(APPLY_SCRIPT).digest('hex');

/** Bytes the encoder leaves free before an op list for the command's head (see {@link applyCommand}). */
export const COMMAND_HEADROOM = 1024;
/** Bytes it leaves free after the list: the command's last argument. */
export const COMMAND_TAILROOM = 16;

/**
 * A command whose bytes are written already: ioredis sends them as they are and reads the reply
 * as for any command.
 */
class WrittenCommand extends Command {
  constructor(private readonly bytes: Buffer) {
    // replies as strings, as ioredis's own command methods ask for them
    super('evalsha', [], { replyEncoding: 'utf8' });
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

/**
 * `EVALSHA <apply script> 1 <eventsKey> <head...> <list> <last>`, written around the encoded op
 * list in the list's own Buffer (the room `encodeOps` left before and after it: the caller makes
 * sure the memory around the list is the list's, never a shared pool's). ioredis would
 * copy every argument into a fresh Buffer per command, and with lists of tens of kB that copy
 * and its memory cost a busy worker's JS thread about as much as encoding the ops. Undefined when
 * the head does not fit the room (a caller then sends the list the usual way).
 */
export function applyCommand(eventsKey: string, head: readonly string[], list: Buffer, last: string): Command | undefined {
  let prefix = `*${head.length + 6}\r\n$7\r\nEVALSHA\r\n$40\r\n${APPLY_SCRIPT_SHA}\r\n$1\r\n1\r\n${bulk(eventsKey)}`;
  for (const arg of head) prefix += bulk(arg);
  prefix += `$${list.length}\r\n`;
  const suffix = `\r\n${bulk(last)}`;
  const prefixBytes = Buffer.byteLength(prefix);
  const begin = list.byteOffset - prefixBytes;
  const end = list.byteOffset + list.length + Buffer.byteLength(suffix);
  if (begin < 0 || end > list.buffer.byteLength) return undefined;
  const whole = Buffer.from(list.buffer, begin, end - begin);
  whole.write(prefix, 0, prefixBytes, 'utf8');
  whole.write(suffix, prefixBytes + list.length, 'utf8');
  return new WrittenCommand(whole);
}

/** A RESP bulk string. */
function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** Whether a command failed because Redis does not know the script (restarted, or flushed). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
