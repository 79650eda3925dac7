import { PoisonMessageError } from '@partita/job';
import { encodeEnvelope, Envelope } from '@partita/job/wire';
import type { QueuedJob } from '../../src/core/partition-work';
import {
  DeadLetterRecord,
  deadLetterRecord,
  DLQ_HEADERS,
  minimalDeadLetterRecord,
  REDUCED_OWN_HEADER_BYTES,
  REDUCED_VALUE_BYTES,
  reducedDeadLetterRecord,
} from '../../src/dead-letter/record';
import { msg } from './helpers';

const envelope: Envelope = { v: 1, id: 'job-1', name: 'Charge', data: { n: 1 }, enqueuedAt: 1, opts: {} };

function job(extra: Partial<QueuedJob> = {}, message = msg(2, 40, 'k', { value: encodeEnvelope(envelope) })): QueuedJob {
  return { message, orderingKey: 'k', attempt: 4, firstFailedAt: 1_700_000_000_000, lastFailedAt: 1_700_000_001_000, envelope, ...extra };
}

/** The last value of a header name, as Kafka readers take it. */
function header(record: DeadLetterRecord, name: string): string | undefined {
  let found: string | undefined;
  for (const [n, v] of record.headers) if (n === name) found = typeof v === 'string' ? v : v.toString('utf8');
  return found;
}

/** Every header value is a string or a Buffer, every name a string: what the binding takes. */
function expectWritable(record: DeadLetterRecord): void {
  for (const [name, value] of record.headers) {
    expect(typeof name).toBe('string');
    expect(typeof value === 'string' || Buffer.isBuffer(value)).toBe(true);
  }
}

function oddError(assign: Record<string, unknown>): Error {
  const error = new Error('placeholder');
  for (const [k, v] of Object.entries(assign)) (error as unknown as Record<string, unknown>)[k] = v;
  return error;
}

describe('deadLetterRecord', () => {
  it('carries the job, where it came from and why it died', () => {
    const record = deadLetterRecord(job(), new TypeError('card declined'), 'charges.dlq', 'g1');
    expect(record).toMatchObject({ topic: 'charges.dlq', key: 'k', sourcePartition: 2, jobId: 'job-1', form: 'full' });
    expect(header(record, DLQ_HEADERS.sourceTopic)).toBe('q');
    expect(header(record, DLQ_HEADERS.sourceOffset)).toBe('40');
    expect(header(record, DLQ_HEADERS.attempts)).toBe('4');
    expect(header(record, DLQ_HEADERS.errorClass)).toBe('TypeError');
    expect(header(record, DLQ_HEADERS.errorMessage)).toBe('card declined');
    expect(header(record, DLQ_HEADERS.reason)).toBe('failed');
    expect(header(record, DLQ_HEADERS.firstFailedAt)).toBe(new Date(1_700_000_000_000).toISOString());
    expect(header(record, 'partita')).toBe('[1,"Charge","job-1"]');
    expectWritable(record);
  });

  it('names the poison reason', () => {
    const record = deadLetterRecord(job({ envelope: undefined }), new PoisonMessageError('undecodable', 'not json'), 'd', 'g');
    expect(header(record, DLQ_HEADERS.reason)).toBe('undecodable');
    expect(record.jobId).toBeUndefined();
  });

  it.each([
    ['an Error whose stack is a number', oddError({ stack: 12 })],
    ['an Error whose message is an object', oddError({ message: { nested: true } })],
    ['an Error whose name is a number', oddError({ name: 404 })],
    [
      'an Error whose name is an object with a throwing toString',
      oddError({
        name: {
          toString: () => {
            throw new Error('no');
          },
        },
      }),
    ],
    ['a string', 'just text'],
    ['undefined', undefined],
    ['an object without a prototype', Object.create(null) as object],
    [
      'an object whose toString throws',
      {
        toString: () => {
          throw new Error('no');
        },
      },
    ],
    [
      'a proxy that throws on every access',
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('get');
          },
          getPrototypeOf: () => {
            throw new Error('proto');
          },
        },
      ),
    ],
    ['a 2 MB message', new Error('m'.repeat(2 * 1024 * 1024))],
  ])('never throws and writes only string headers for %s', (_what, thrown) => {
    let record: DeadLetterRecord | undefined;
    expect(() => (record = deadLetterRecord(job(), thrown as Error, 'd', 'g'))).not.toThrow();
    expectWritable(record!);
    expect(header(record!, DLQ_HEADERS.errorMessage)!.length).toBeLessThanOrEqual(1000);
    expect(header(record!, DLQ_HEADERS.errorStack)!.length).toBeLessThanOrEqual(2000);
    expect(header(record!, DLQ_HEADERS.errorClass)!.length).toBeGreaterThan(0);
  });

  it('writes a numeric error name as text', () => {
    const record = deadLetterRecord(job(), oddError({ name: 404 }), 'd', 'g');
    expect(header(record, DLQ_HEADERS.errorClass)).toBe('404');
  });

  it('keeps the bytes of every header of the job, repeats included, before its own', () => {
    const latin1 = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const message = msg(0, 1, null, {
      headers: { trace: 'b' },
      rawHeaders: [
        { name: 'trace', value: Buffer.from('a') },
        { name: 'bin', value: latin1 },
        { name: 'trace', value: Buffer.from('b') },
      ],
    });
    const record = deadLetterRecord(job({ envelope: undefined }, message), new Error('x'), 'd', 'g');
    expect(record.headers.slice(0, 3)).toEqual([
      ['trace', Buffer.from('a')],
      ['bin', latin1],
      ['trace', Buffer.from('b')],
    ]);
    expect(record.headers[1][1]).toBe(latin1); // not even copied
  });

  it('puts its own headers after a forged one, so readers taking the last value get the real source', () => {
    const message = msg(0, 1, null, { headers: {}, rawHeaders: [{ name: DLQ_HEADERS.sourceTopic, value: Buffer.from('victim') }] });
    const record = deadLetterRecord(job({}, message), new Error('x'), 'd', 'g');
    expect(header(record, DLQ_HEADERS.sourceTopic)).toBe('q');
  });
});

describe('reduced and minimal records', () => {
  const big = Buffer.alloc(5 * 1024 * 1024, 7);
  const manyHeaders = Array.from({ length: 100 }, (_, i) => ({ name: `h${i}`, value: Buffer.alloc(200, 1) }));
  const full = deadLetterRecord(job({}, msg(1, 9, 'k', { value: big, rawHeaders: manyHeaders })), new Error('boom'), 'd', 'g');

  it('keeps the first 64 KiB of the value, partita headers, the job headers up to a budget, and says what was cut', () => {
    const reduced = reducedDeadLetterRecord(full, 'Broker: Message size too large');
    expect(reduced.form).toBe('reduced');
    expect(reduced.value!.length).toBe(REDUCED_VALUE_BYTES);
    expect(reduced.value!.equals(big.subarray(0, REDUCED_VALUE_BYTES))).toBe(true);
    expect(header(reduced, DLQ_HEADERS.reduced)).toBe('Broker: Message size too large');
    expect(header(reduced, DLQ_HEADERS.originalBytes)).toBe(String(big.length));
    expect(header(reduced, DLQ_HEADERS.keptBytes)).toBe(String(REDUCED_VALUE_BYTES));
    const keptOwn = reduced.headers.filter(([n]) => /^h\d+$/.test(n));
    expect(keptOwn.length).toBeGreaterThan(0);
    expect(keptOwn.length * 203).toBeLessThanOrEqual(REDUCED_OWN_HEADER_BYTES);
    expect(header(reduced, DLQ_HEADERS.droppedHeaders)).toBe(String(100 - keptOwn.length));
    for (const name of Object.values(DLQ_HEADERS).filter((n) => ![DLQ_HEADERS.droppedHeaders].includes(n as never))) {
      expect(header(reduced, name)).toBeDefined();
    }
    expect(header(reduced, DLQ_HEADERS.errorMessage)).toBe('boom');
    expect(reduced.key).toBe('k');
    expectWritable(reduced);
  });

  it('leaves a small value whole', () => {
    const small = deadLetterRecord(job(), new Error('boom'), 'd', 'g');
    expect(reducedDeadLetterRecord(small, 'invalid').value).toBe(small.value);
  });

  it('minimal: partita headers only, no value', () => {
    const minimal = minimalDeadLetterRecord(full, 'Broker: Message size too large');
    expect(minimal.form).toBe('minimal');
    expect(minimal.value).toBeNull();
    expect(minimal.headers.every(([n]) => n.startsWith('partita'))).toBe(true);
    expect(header(minimal, DLQ_HEADERS.keptBytes)).toBe('0');
    expect(header(minimal, DLQ_HEADERS.droppedHeaders)).toBe('100');
    expect(header(minimal, DLQ_HEADERS.sourceOffset)).toBe('9');
    const size = minimal.headers.reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
    expect(size).toBeLessThan(4096);
  });
});
