import { Queue } from '@partita/enqueuer';
import { BrokerUnavailableError, DeliveryError, EnqueueTimeoutError } from '../../src/errors';
import { getProducer } from '../../src/producer';
import { encodeEnvelope, ENVELOPE_VERSION } from '@partita/job/wire';
import { BROKERS, Closer, TopicFixture, uniqueTopic } from '../../../../test/support/topic-fixture';

// Nothing listens on port 1: connection refused at once. The bound must hold all the same.
const DEAD = { brokers: '127.0.0.1:1', connectTimeoutMs: 3_000 };
const SLACK_MS = 2_000;
const closer = new Closer();

const topics = new TopicFixture();

afterAll(async () => {
  await closer.closeAll();
  await topics.cleanup();
});

function envelopeOf(id: string): Buffer {
  return encodeEnvelope({ v: ENVELOPE_VERSION, id, name: 'ship', data: {}, enqueuedAt: 0, opts: {} });
}

describe('a broker that is down or a job that cannot be delivered', () => {
  it('sync dispatch fails with BrokerUnavailableError within the configured bound', async () => {
    const queue = closer.track(new Queue('orders', { connection: DEAD, deliveryTimeoutMs: 3_000 }));
    const started = Date.now();
    const error = await queue.add('ship', { id: 1 }, { dispatch: 'sync' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:1/);
    expect(elapsed).toBeLessThan(3_000 + SLACK_MS);
    await queue.close();
  });

  it('async dispatch and addBulk fail the same way instead of hanging', async () => {
    const queue = closer.track(new Queue('orders', { connection: { ...DEAD, connectTimeoutMs: 1_500 } }));
    const started = Date.now();
    await expect(queue.add('ship', { id: 1 })).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(queue.addBulk([{ name: 'ship', data: { id: 2 } }])).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - started).toBeLessThan(2 * 1_500 + SLACK_MS);
    await queue.close();
  });

  it('a connected producer that cannot deliver a message fails it within deliveryTimeoutMs', async () => {
    // A topic that does not exist (and is never auto-created): librdkafka holds the message until
    // its delivery timeout, then reports it failed.
    const producer = closer.track(getProducer({ brokers: BROKERS }, { deliveryTimeoutMs: 2_000 }));
    const started = Date.now();
    const error = await producer.produce({ topic: uniqueTopic('missing'), key: 'k', value: Buffer.from('x'), id: 'job-1' }, { awaitAck: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(error instanceof EnqueueTimeoutError || error instanceof DeliveryError).toBe(true);
    expect((error as Error).message).toMatch(/job-1/);
    expect(elapsed).toBeLessThan(2_000 + SLACK_MS);
    await producer.close();
  });

  it('async jobs that cannot be delivered make flush() reject naming every one, with an event per job and a process warning: never silent', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const producer = closer.track(getProducer({ brokers: BROKERS }, { deliveryTimeoutMs: 1_500 }));
      const heard: string[] = [];
      producer.onDeliveryFailed((jobId, error) => {
        expect(error).toBeInstanceOf(EnqueueTimeoutError);
        heard.push(jobId!);
      });
      const topic = uniqueTopic('missing');
      const ids = Array.from({ length: 12 }, (_, i) => `async-${i}`);
      for (const [i, id] of ids.entries()) {
        // Resolves at once: async means "held by the producer".
        // A job envelope: async failures are reported without a reference to the message, and
        // the envelope's id names the job.
        expect(await producer.produce({ topic, key: `k${i}`, value: envelopeOf(id), id })).toBeUndefined();
      }
      const error = await producer.flush(10_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DeliveryError);
      // Every id, not the first one or a sample; the message names the count and the first five.
      expect((error as DeliveryError).jobIds).toEqual(ids);
      expect((error as Error).message).toMatch(
        /^12 job\(s\) dispatched async were not delivered \(async-0, async-1, async-2, async-3, async-4, and 7 more: see error.jobIds\); the first: job async-0/,
      );
      expect(heard).toEqual(ids);
      // Reported once: a second flush has nothing left to report.
      await expect(producer.flush(1_000)).resolves.toBeUndefined();
      // The first failure is also a process warning, in case nobody flushes.
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0][0]).toMatch(/partita: job async-0 was not acknowledged by Kafka at .* within 1500 ms/);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('an async failure is reported to the handles with jobs outstanding, not to one that flushed before', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const options = { deliveryTimeoutMs: 1_500 };
      // Two handles on one process-wide producer: the fast channel does not know whose job failed.
      const settled = closer.track(getProducer({ brokers: BROKERS }, options));
      const failing = closer.track(getProducer({ brokers: BROKERS }, options));
      const topic = await topics.create('settled', 1);
      await settled.produce({ topic, key: 'k', value: envelopeOf('fine-1') });
      await settled.flush(10_000);
      expect(await topics.count(topic)).toBe(1);

      await failing.produce({ topic: uniqueTopic('missing'), key: 'k', value: envelopeOf('lost-1') });
      await expect(failing.flush(10_000)).rejects.toThrow(/^1 job\(s\) dispatched async were not delivered \(lost-1\); the first: job lost-1/);
      await expect(settled.flush(1_000)).resolves.toBeUndefined();
      await settled.close();
      await failing.close();
    } finally {
      emitWarning.mockRestore();
    }
  });
});
