import { CODES } from '@confluentinc/kafka-javascript';
import { DeliveryError, EnqueueTimeoutError, OutgoingMessage, TopicNotFoundError } from '@partita/kafka';
import { resolveWorkerConfig } from '../../src/config';
import type { QueuedJob } from '../../src/core/partition-work';
import { DLQ_HEADERS, REDUCED_VALUE_BYTES } from '../../src/dead-letter/record';
import { deadLetterConnection, KafkaDeadLetterSink, RecordProducer, UNKNOWN_FAILURES_PER_FORM } from '../../src/dead-letter/sink';
import { classifyWriteFailure } from '../../src/dead-letter/write-failure';
import { msg } from './helpers';

const E = CODES.ERRORS;

/** A producer that answers each produce with the next scripted outcome (an error code, or success). */
class ScriptedProducer implements RecordProducer {
  readonly produced: OutgoingMessage[] = [];
  constructor(private readonly script: Array<number | Error | 'ok'>) {}

  produce(message: OutgoingMessage) {
    this.produced.push(message);
    const next = this.script.shift() ?? 'ok';
    if (next === 'ok') return Promise.resolve({ topic: message.topic, partition: message.partition ?? 0, offset: this.produced.length - 1 });
    return Promise.reject(typeof next === 'number' ? new DeliveryError('id', next, `code ${next}`) : next);
  }

  partitionCount() {
    return Promise.resolve(3);
  }

  async close() {}
}

const config = resolveWorkerConfig(['q'], { connection: { brokers: '127.0.0.1:1' } });

function bigJob(): QueuedJob {
  return { message: msg(4, 10, 'k', { value: Buffer.alloc(5_000_000, 1) }), orderingKey: 'k', attempt: 1 };
}

/** Calls write the way the engine does: again after each rejection, up to `limit` calls. */
async function writeUntilSettled(sink: KafkaDeadLetterSink, job: QueuedJob, limit = 50) {
  const rejections: unknown[] = [];
  for (let i = 0; i < limit; i++) {
    try {
      return { info: await sink.write(job, new Error('boom')), rejections };
    } catch (error) {
      rejections.push(error);
    }
  }
  return { info: undefined, rejections };
}

const lines: string[] = [];
const sinkWith = (producer: ScriptedProducer) => new KafkaDeadLetterSink(config, producer, (line) => lines.push(line));

describe('KafkaDeadLetterSink.write', () => {
  it('writes the full record when the topic takes it', async () => {
    const producer = new ScriptedProducer(['ok']);
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob());
    expect(rejections).toEqual([]);
    expect(info).toMatchObject({ topic: 'q.dlq', partition: 1 });
    expect(info!.reduced).toBeUndefined();
    expect(producer.produced[0].value!.length).toBe(5_000_000);
  });

  it.each([
    ['too large', E.ERR_MSG_SIZE_TOO_LARGE],
    ['record list too large', E.ERR_RECORD_LIST_TOO_LARGE],
    ['invalid record', E.ERR_INVALID_RECORD],
  ])('writes the reduced form at once when the record is refused as %s, without rejecting', async (_what, code) => {
    const producer = new ScriptedProducer([code, 'ok']);
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob());
    expect(rejections).toEqual([]);
    expect(producer.produced).toHaveLength(2);
    const reduced = producer.produced[1];
    expect(reduced.value!.length).toBe(REDUCED_VALUE_BYTES);
    const headers = new Map(reduced.headers as Array<[string, string]>);
    expect(headers.get(DLQ_HEADERS.originalBytes)).toBe('5000000');
    expect(headers.get(DLQ_HEADERS.reduced)).toMatch(/code/);
    expect(info!.reduced).toMatchObject({ form: 'reduced', originalBytes: 5_000_000, keptBytes: REDUCED_VALUE_BYTES });
  });

  it('goes down to the minimal form when the reduced one is refused too', async () => {
    const producer = new ScriptedProducer([E.ERR_MSG_SIZE_TOO_LARGE, E.ERR_MSG_SIZE_TOO_LARGE, 'ok']);
    const { info } = await writeUntilSettled(sinkWith(producer), bigJob());
    expect(producer.produced[2].value).toBeNull();
    expect(info!.reduced!.form).toBe('minimal');
  });

  it('gives up loudly, resolving, when even the minimal form is refused for good', async () => {
    const producer = new ScriptedProducer([E.ERR_INVALID_RECORD, E.ERR_INVALID_RECORD, E.ERR_INVALID_RECORD]);
    lines.length = 0;
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob());
    expect(rejections).toEqual([]);
    expect(info!.topic).toBeNull();
    expect(lines.join('\n')).toMatch(/could not be written to q.dlq in any form, so it was dropped/);
  });

  it('rejects (the engine retries the same record) for as long as Kafka is unavailable', async () => {
    const outage = [
      ...Array.from({ length: 20 }, () => E.ERR__MSG_TIMED_OUT),
      new EnqueueTimeoutError('id', 1000, 'timed out'),
      new TopicNotFoundError('q.dlq'),
      E.ERR__ALL_BROKERS_DOWN,
      E.ERR_UNKNOWN_TOPIC_OR_PART,
      E.ERR_NOT_ENOUGH_REPLICAS,
    ];
    const producer = new ScriptedProducer([...outage, 'ok']);
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob(), 100);
    expect(rejections).toHaveLength(outage.length);
    expect(info!.reduced).toBeUndefined(); // the full record, once Kafka is back
    expect(producer.produced.every((m) => m.value!.length === 5_000_000)).toBe(true);
  });

  it('tries an unknown failure a bounded number of times per form, then reduces', async () => {
    const odd = 12345;
    const producer = new ScriptedProducer([...Array.from({ length: UNKNOWN_FAILURES_PER_FORM }, () => odd), 'ok']);
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob());
    expect(rejections).toHaveLength(UNKNOWN_FAILURES_PER_FORM - 1);
    expect(info!.reduced!.form).toBe('reduced');
  });

  it('ends every job in bounded calls whatever errors of unknown kind keep coming', async () => {
    const producer = new ScriptedProducer(Array.from({ length: 5000 }, () => new TypeError('Header value must be a string or buffer')));
    const { info, rejections } = await writeUntilSettled(sinkWith(producer), bigJob(), 1000);
    // Bounded for the full and reduced forms; the minimal one is retried (only Kafka can refuse it).
    expect(info).toBeUndefined();
    expect(producer.produced.filter((m) => m.value?.length === 5_000_000)).toHaveLength(UNKNOWN_FAILURES_PER_FORM);
    expect(producer.produced.filter((m) => m.value?.length === REDUCED_VALUE_BYTES)).toHaveLength(UNKNOWN_FAILURES_PER_FORM);
    expect(rejections.length).toBe(1000);
  });

  it('writes only string or Buffer header values, even for a numeric error name', async () => {
    const producer = new ScriptedProducer(['ok']);
    const error = new Error('x');
    (error as unknown as { name: number }).name = 7;
    await sinkWith(producer).write(bigJob(), error);
    for (const [, value] of producer.produced[0].headers as Array<[string, unknown]>) expect(typeof value === 'string' || Buffer.isBuffer(value)).toBe(true);
  });

  it('gives its producer a message.max.bytes the topic limits, not the client default, and no gapless guarantee, unless set', () => {
    expect(deadLetterConnection({ brokers: 'b:1' }).kafka).toEqual({ 'message.max.bytes': 1_000_000_000, 'enable.gapless.guarantee': false });
    expect(deadLetterConnection({ kafka: { 'message.max.bytes': 5 } }).kafka).toMatchObject({ 'message.max.bytes': 5 });
  });
});

describe('classifyWriteFailure', () => {
  it('tells record refusals, outages and the rest apart', () => {
    expect(classifyWriteFailure(new DeliveryError('x', E.ERR_MSG_SIZE_TOO_LARGE, 'too large'))).toBe('record');
    expect(classifyWriteFailure({ code: E.ERR_INVALID_RECORD })).toBe('record');
    expect(classifyWriteFailure(new DeliveryError('x', E.ERR__TRANSPORT, 'down'))).toBe('transient');
    expect(classifyWriteFailure(new TopicNotFoundError('t'))).toBe('transient');
    expect(classifyWriteFailure(new Error('what'))).toBe('unknown');
    expect(classifyWriteFailure(undefined)).toBe('unknown');
    expect(
      classifyWriteFailure(
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('x');
            },
          },
        ),
      ),
    ).toBe('unknown');
  });
});
