import { randomBytes } from 'node:crypto';
import { decodeEnvelope } from '@partita/job/wire';
import { Queue } from '@partita/enqueuer';
import { getProducer } from '@partita/kafka';
import { BROKERS, Closer, readMessages, TopicFixture, waitFor } from '../../../../test/support/topic-fixture';

const topics = new TopicFixture();
const connection = { brokers: BROKERS };

const closer = new Closer();

afterAll(async () => {
  await closer.closeAll();
  await topics.cleanup();
});

describe('sync and async dispatch', () => {
  it('sync dispatch returns the partition and offset the broker wrote the job at', async () => {
    const topic = await topics.create('sync', 4);
    const queue = closer.track(new Queue<{ order: number }>(topic, { connection }));
    const results = [];
    for (let order = 0; order < 5; order++) {
      results.push(await queue.add('ship', { order }, { key: 'order-1', dispatch: 'sync' }));
    }
    await queue.close();

    // Same key: one partition, consecutive offsets, in the order added.
    const [first] = results;
    expect(first.partition).toEqual(expect.any(Number));
    results.forEach((result, i) => {
      expect(result.partition).toBe(first.partition);
      expect(result.offset).toBe(first.offset! + i);
    });

    // Reading the reported partition/offset back gives the very job.
    const messages = await readMessages(topic, 4, 5);
    for (const result of results) {
      const found = messages.find((m) => m.partition === result.partition && m.offset === result.offset);
      expect(found).toBeDefined();
      expect(decodeEnvelope(found!.value).id).toBe(result.id);
    }
  });

  it('async dispatch of 20,000 jobs followed by close() loses nothing', async () => {
    const topic = await topics.create('async', 6);
    const queue = closer.track(new Queue<{ n: number }>(topic, { connection }));
    const sent = 20_000;
    const ids = new Set<string>();
    for (let n = 0; n < sent; n++) {
      // Not awaited one by one: a burst, as a busy web process would produce.
      const result = queue.add('count', { n }, { key: `k${n % 97}` });
      if (n % 1000 === 999) ids.add((await result).id);
    }
    await queue.close();
    // close() resolved: everything is on the broker, no waiting needed.
    expect(await topics.count(topic)).toBe(sent);
    expect(ids.size).toBe(sent / 1000);
  });

  it('a burst larger than the producer queue waits for room instead of failing, in order', async () => {
    const topic = await topics.create('full', 1);
    // A tiny local queue forces ERR__QUEUE_FULL; add() must wait for room, keep order, lose nothing.
    const queue = closer.track(new Queue<{ n: number }>(topic, { connection, maxQueuedMessages: 50 }));
    const sent = 3_000;
    const adds = Array.from({ length: sent }, (_, n) => queue.add('n', { n }, { key: 'one-key' }));
    await Promise.all(adds);
    const bulk = await queue.addBulk(Array.from({ length: 500 }, (_, i) => ({ name: 'n', data: { n: sent + i }, opts: { key: 'one-key' } })));
    expect(bulk).toHaveLength(500);
    await queue.close();
    expect(await topics.count(topic)).toBe(sent + 500);
    const messages = await readMessages(topic, 1, sent + 500);
    const order = messages.sort((a, b) => a.offset - b.offset).map((m) => (decodeEnvelope(m.value).data as { n: number }).n);
    expect(order).toEqual(Array.from({ length: sent + 500 }, (_, n) => n));
  });

  it('calls not awaited keep their order: add and addBulk interleaved, before and after the partition count is known', async () => {
    const topic = await topics.create('interleaved', 3);
    const queue = closer.track(new Queue<{ n: number }>(topic, { connection }));
    const calls: Array<Promise<unknown>> = [];
    let n = 0;
    // The first calls wait for the topic's partition count, later ones find it cached.
    for (let round = 0; round < 40; round++) {
      calls.push(queue.add('n', { n: n++ }, { key: 'k' }));
      calls.push(queue.addBulk(Array.from({ length: 5 }, () => ({ name: 'n', data: { n: n++ }, opts: { key: 'k' } }))));
      calls.push(queue.add('n', { n: n++ }, { key: 'k' }));
      if (round % 10 === 9) await Promise.all(calls.splice(0));
    }
    await Promise.all(calls);
    await queue.close();
    const messages = await readMessages(topic, 3, n);
    const order = messages.sort((a, b) => a.offset - b.offset).map((m) => (decodeEnvelope(m.value).data as { n: number }).n);
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('sync and async jobs of one key keep their call order across the async and acked producer channels', async () => {
    const topic = await topics.create('channels', 1);
    const queue = closer.track(new Queue<{ n: number; pad?: string }>(topic, { connection }));
    const pad = randomBytes(300_000).toString('base64');
    let n = 0;
    const syncResults: Array<Promise<{ n: number; offset: number | undefined }>> = [];
    const phase = async () => {
      // One call: large, incompressible async jobs (fast channel; librdkafka is still sending them
      // when the next one comes), a sync job (acked channel: waits until the fast channel drained),
      // then small async jobs that follow it on the acked channel.
      const jobs: Array<{ name: string; data: { n: number; pad?: string }; opts: { key: string; dispatch?: 'sync' } }> = [];
      for (let i = 0; i < 60; i++) jobs.push({ name: 'n', data: { n: n++, pad }, opts: { key: 'k' } });
      const mine = n++;
      jobs.push({ name: 'n', data: { n: mine }, opts: { key: 'k', dispatch: 'sync' } });
      for (let i = 0; i < 500; i++) jobs.push({ name: 'n', data: { n: n++ }, opts: { key: 'k' } });
      const results = await queue.addBulk(jobs);
      syncResults.push(Promise.resolve({ n: mine, offset: results[60].offset }));
    };
    // Past the time async jobs stay on the acked channel after a sync one, async jobs go to the fast
    // channel again (after the acked channel drained).
    const pastAckedHold = () => new Promise((resolve) => setTimeout(resolve, 1_100));
    // A first sync job connects the acked channel, so that the phases race two connected producers.
    syncResults.push(queue.add('n', { n: 0 }, { key: 'k', dispatch: 'sync' }).then((r) => ({ n: 0, offset: r.offset })));
    n++;
    await syncResults[0];
    await pastAckedHold();
    await phase();
    await pastAckedHold();
    await phase();
    await queue.close();

    const messages = await readMessages(topic, 1, n);
    const order = messages.sort((a, b) => a.offset - b.offset).map((m) => (decodeEnvelope(m.value).data as { n: number }).n);
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
    // A fresh one-partition topic: each sync job's offset is its place in the call order.
    for (const result of await Promise.all(syncResults)) expect(result.offset).toBe(result.n);
  });

  it("a queue's flush waits for its own async jobs, not for another queue that keeps producing", async () => {
    const mineTopic = await topics.create('flush-mine', 2);
    const busyTopic = await topics.create('flush-busy', 2);
    // Both queues share the process's producer for this connection.
    const mine = closer.track(new Queue<{ n: number; pad: string }>(mineTopic, { connection }));
    const busy = closer.track(new Queue<{ n: number }>(busyTopic, { connection }));
    let producing = true;
    let busySent = 0;
    const busyLoop = (async () => {
      while (producing) {
        await busy.addBulk(Array.from({ length: 200 }, () => ({ name: 'n', data: { n: busySent++ } })));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await waitFor(() => busySent > 2_000, 10_000, 'the busy queue producing');
      // Large, incompressible jobs: librdkafka needs a while to send them.
      const pad = randomBytes(300_000).toString('base64');
      for (let i = 0; i < 100; i++) void mine.add('n', { n: i, pad }, { key: `k${i % 10}` });
      await mine.flush();
      // Resolved: every job of this queue is on the broker already, while the other one goes on.
      expect(await topics.count(mineTopic)).toBe(100);
      expect(producing).toBe(true);
    } finally {
      producing = false;
      await busyLoop;
    }
    await busy.close();
    expect(await topics.count(busyTopic)).toBe(busySent);
    await mine.close();
  });

  it('addBulk mixes sync and async jobs and returns one result per job, in order', async () => {
    const topic = await topics.create('bulk', 3);
    const queue = closer.track(new Queue(topic, { connection }));
    const results = await queue.addBulk([
      // Explicit partitions: jobs without a key would land on a random partition.
      { name: 'a', data: 1, opts: { dispatch: 'sync', jobId: 'job-a', partition: 0 } },
      { name: 'b', data: 2, opts: { jobId: 'job-b', partition: 0 } },
      { name: 'c', data: 3, opts: { dispatch: 'sync', partition: 2, jobId: 'job-c' } },
    ]);
    expect(results.map((r) => r.id)).toEqual(['job-a', 'job-b', 'job-c']);
    expect(results[0]).toEqual({ id: 'job-a', partition: 0, offset: 0 });
    // Async: the partition is known (explicit), the offset is not.
    expect(results[1]).toEqual({ id: 'job-b', partition: 0 });
    expect(results[2]).toEqual({ id: 'job-c', partition: 2, offset: 0 });
    await queue.close();
    await waitFor(async () => (await topics.count(topic)) === 3, 10_000, '3 messages on the topic');
  });

  it('shares one producer per connection and keeps it open until its last user closes', async () => {
    const topic = await topics.create('shared', 1);
    const a = closer.track(new Queue(topic, { connection }));
    const b = closer.track(new Queue(topic, { connection }));
    await a.add('x', 1, { dispatch: 'sync' });
    await a.close();
    // b still works after a closed: the producer is reference-counted.
    const result = await b.add('x', 2, { dispatch: 'sync' });
    expect(result.offset).toBe(1);
    await b.close();
    await expect(b.add('x', 3)).rejects.toThrow(/closed/);

    // The low-level handle the worker uses for its dead letter queue.
    const producer = closer.track(getProducer(connection));
    const delivery = await producer.produce({ topic, key: 'k', value: Buffer.from('raw'), headers: { h: 'v' } }, { awaitAck: true });
    expect(delivery).toEqual({ topic, partition: 0, offset: 2 });
    await producer.close();
  });
});
