/**
 * What the CLI prints. Two rules for every line:
 * - a value that comes from a message, a job or an error (job names, ids, error messages) is escaped
 *   and bounded by `logValue`, so it can never start a line of its own or flood the log;
 * - writing never throws and never waits: a closed pipe (EPIPE) or a reader that stopped reading
 *   loses lines, never the worker's shutdown.
 */

/** How many characters of a value a log line shows before it is cut. */
export const LOG_VALUE_MAX_CHARS = 300;

// C0 and C1 controls (newlines among them), DEL, the Unicode line and paragraph separators, and
// the bidirectional overrides that can make a line read as something else.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it must find
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A value as a log line may show it: control characters escaped (`\n`, `\u001b`, ...) and at most
 * `maxChars` characters of it, with a marker saying how long it was. Never throws, whatever the
 * value (a throwing `toString`, a symbol, a 2 MB string).
 */
export function logValue(value: unknown, maxChars = LOG_VALUE_MAX_CHARS): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    return '[unprintable value]';
  }
  // Cut before escaping, so a huge value costs no more than a small one.
  const cut = text.length > maxChars;
  const shown = (cut ? text.slice(0, maxChars) : text).replace(UNSAFE, escapeChar);
  return cut ? `${shown}… [cut: ${text.length} chars]` : shown;
}

/** An error's message for a log line (`logValue` of it); survives odd thrown values. */
export function logError(error: unknown, maxChars = LOG_VALUE_MAX_CHARS): string {
  let message: unknown;
  try {
    message = error instanceof Error ? error.message : error;
  } catch {
    message = '[unreadable error]';
  }
  return logValue(message, maxChars);
}

/**
 * Bytes of output waiting for a slow reader beyond which lines are dropped: a reader that stopped
 * reading must not grow the worker's memory without end.
 */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

type Output = NodeJS.WriteStream;

/**
 * Writes log lines to stdout/stderr without ever throwing or waiting. Installing it also makes the
 * process survive a closed stdout/stderr: Node reports a failed write (EPIPE) as an 'error' event,
 * which, with no listener, is an uncaught exception; one in a rebalance callback during the consumer's
 * close left the process hanging in its exit (it waited on the close, the close on the callback).
 */
export class LogWriter {
  private dropped = 0;

  constructor(
    private readonly out: Output = process.stdout,
    private readonly err: Output = process.stderr,
  ) {
    for (const stream of new Set([out, err])) {
      // Also covers what jobs print with console.log: every write to these streams now fails quietly.
      stream.on('error', () => {});
    }
  }

  /** An informational line (stdout). */
  info(line: string): void {
    this.write(this.out, line);
  }

  /** An error line (stderr). */
  error(line: string): void {
    this.write(this.err, line);
  }

  /** Lines dropped so far because the output was closed or not keeping up. */
  get droppedLines(): number {
    return this.dropped;
  }

  private write(stream: Output, line: string): void {
    try {
      if (stream.destroyed || !stream.writable || stream.writableLength > MAX_PENDING_BYTES) {
        this.dropped++;
        return;
      }
      if (this.dropped > 0 && stream.writableLength === 0) {
        const n = this.dropped;
        this.dropped = 0;
        stream.write(`[partita] ${n} log line(s) dropped: the output was not being read\n`);
      }
      stream.write(`${line}\n`);
    } catch {
      this.dropped++;
    }
  }
}
