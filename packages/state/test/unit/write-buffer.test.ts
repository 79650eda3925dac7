import { SendResult, WriteBuffer, WriteBufferOptions } from '../../src/write/write-buffer';

const OPTIONS: WriteBufferOptions = { maxBuffered: 100, maxBatch: 10, maxInFlight: 1, flushIntervalMs: 1, retryMinMs: 5, retryMaxMs: 20 };

/** A sender whose behaviour the test switches: up, down (rejects) or partial. */
class FakeRedis {
  sent: number[][] = [];
  mode: 'up' | 'down' | 'half' = 'up';
  calls = 0;
  /** Sends not yet answered. */
  inFlight = 0;
  readonly send = async (batch: number[]): Promise<SendResult<number>> => {
    this.calls++;
    this.inFlight++;
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    if (this.mode === 'down') throw new Error('ECONNREFUSED');
    if (this.mode === 'half') {
      const half = Math.ceil(batch.length / 2);
      this.sent.push(batch.slice(0, half));
      return { failed: batch.slice(half), error: new Error('LOADING') };
    }
    this.sent.push(batch);
    return { failed: [] };
  };
  get items(): number[] {
    return this.sent.flat();
  }
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('WriteBuffer', () => {
  test('sends in batches of at most maxBatch, in push order', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, OPTIONS);
    for (let i = 0; i < 35; i++) buffer.push(i);
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(Math.max(...redis.sent.map((b) => b.length))).toBeLessThanOrEqual(10);
    expect(buffer.size).toBe(0);
  });

  test('two sends in flight keep the order, and a failure requeues them in order', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, { ...OPTIONS, maxInFlight: 2 });
    redis.mode = 'down';
    for (let i = 0; i < 30; i++) buffer.push(i);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Up between sends: with two in flight, the first failing and the second not would apply
    // the second batch first (the order holds for failures of whole connections, as here).
    await waitUntil(() => redis.inFlight === 0);
    redis.mode = 'up';
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  test('a failed send is retried with backoff; degraded once, recovered once', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, OPTIONS);
    const events: string[] = [];
    buffer.on('degraded', (error) => events.push(`degraded:${error.message}`));
    buffer.on('recovered', (info) => events.push(`recovered:${info.dropped}`));
    redis.mode = 'down';
    buffer.push(1);
    buffer.push(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(buffer.degraded).toBe(true);
    const callsWhileDown = redis.calls;
    expect(callsWhileDown).toBeGreaterThan(1);
    expect(callsWhileDown).toBeLessThan(15); // backoff, no busy loop
    redis.mode = 'up';
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual([1, 2]);
    expect(events).toEqual(['degraded:ECONNREFUSED', 'recovered:0']);
  });

  test('a partial failure resends only the failed items', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, OPTIONS);
    redis.mode = 'half';
    for (let i = 0; i < 4; i++) buffer.push(i);
    await new Promise((resolve) => setTimeout(resolve, 5));
    redis.mode = 'up';
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual([0, 1, 2, 3]);
  });

  test('past maxBuffered the oldest waiting items are dropped and counted; push never throws', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, { ...OPTIONS, maxBuffered: 20 });
    const dropped: number[] = [];
    buffer.on('dropped', (n) => dropped.push(n));
    redis.mode = 'down';
    for (let i = 0; i < 500; i++) buffer.push(i);
    expect(buffer.size).toBeLessThanOrEqual(20);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(buffer.size).toBeLessThanOrEqual(20);
    expect(buffer.dropped).toBe(480 + (20 - buffer.size));
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(buffer.dropped);
    redis.mode = 'up';
    expect(await buffer.flush(1000)).toBe(true);
    // The newest survive.
    expect(redis.items).toEqual(Array.from({ length: 20 }, (_, i) => 480 + i));
  });

  test('a batch in flight does not push the newest items out: the bound is on what waits', async () => {
    // A sender whose answers the test releases: Redis is back, and a full buffer's backlog is in flight.
    const answers: Array<() => void> = [];
    const sent: number[][] = [];
    const send = (batch: number[]): Promise<SendResult<number>> =>
      new Promise((resolve) =>
        answers.push(() => {
          sent.push(batch);
          resolve({ failed: [] });
        }),
      );
    const buffer = new WriteBuffer(send, { ...OPTIONS, maxBuffered: 10, maxBatch: 10 });
    for (let i = 0; i < 10; i++) buffer.push(i);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answers).toHaveLength(1); // items 0–9 in flight
    for (let i = 10; i < 15; i++) buffer.push(i);
    expect(buffer.dropped).toBe(0);
    expect(buffer.size).toBe(15); // 10 in flight + 5 waiting
    for (let i = 15; i < 25; i++) buffer.push(i);
    expect(buffer.dropped).toBe(5); // past the bound, the oldest waiting (10–14) go
    answers.shift()!();
    await waitUntil(() => answers.length === 1);
    answers.shift()!();
    expect(await buffer.flush(1000)).toBe(true);
    expect(sent.flat()).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 15 + i)]);
  });

  test('a failed batch in flight waits again at the front; then the bound drops the oldest', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, { ...OPTIONS, maxBuffered: 10, maxBatch: 10, retryMinMs: 1000, retryMaxMs: 1000 });
    redis.mode = 'down';
    for (let i = 0; i < 10; i++) buffer.push(i);
    await new Promise((resolve) => setImmediate(resolve)); // 0–9 in flight
    for (let i = 10; i < 16; i++) buffer.push(i);
    await waitUntil(() => buffer.degraded);
    expect(buffer.size).toBe(10);
    expect(buffer.dropped).toBe(6); // 0–5, the oldest of the failed batch
    redis.mode = 'up';
    buffer.kick();
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual(Array.from({ length: 10 }, (_, i) => 6 + i));
  });

  test('weighted items: bounds, batches and drop counts are in weight units', async () => {
    // Each item stands for `item` writes (as an encoded chunk of that many ops does).
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, { ...OPTIONS, maxBuffered: 20, maxBatch: 10, weigh: (n: number) => n });
    redis.mode = 'down';
    for (const weight of [6, 6, 6, 6, 6]) buffer.push(weight);
    expect(buffer.size).toBe(18); // 30 pushed; whole oldest items dropped until at most 20
    expect(buffer.dropped).toBe(12);
    redis.mode = 'up';
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual([6, 6, 6]);
    // A batch takes items until it reaches maxBatch, and at least one, however heavy.
    const other = new FakeRedis();
    const roomy = new WriteBuffer(other.send, { ...OPTIONS, maxBuffered: 100, maxBatch: 10, weigh: (n: number) => n });
    for (const weight of [4, 4, 4, 30, 1]) roomy.push(weight);
    expect(await roomy.flush(1000)).toBe(true);
    expect(other.sent).toEqual([[4, 4, 4], [30], [1]]);
    expect(roomy.size).toBe(0);
  });

  test('isReady false: nothing is taken (the newest are kept), the attempt counts as a failure', async () => {
    const redis = new FakeRedis();
    let ready = false;
    const buffer = new WriteBuffer(redis.send, { ...OPTIONS, maxBuffered: 5, isReady: () => ready });
    const events: string[] = [];
    buffer.on('degraded', () => events.push('degraded'));
    for (let i = 0; i < 8; i++) buffer.push(i);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(redis.calls).toBe(0);
    expect(events).toEqual(['degraded']);
    ready = true;
    buffer.kick();
    expect(await buffer.flush(1000)).toBe(true);
    expect(redis.items).toEqual([3, 4, 5, 6, 7]);
  });

  test('flush gives up after its timeout while down, and close drops what is left', async () => {
    const redis = new FakeRedis();
    const buffer = new WriteBuffer(redis.send, OPTIONS);
    redis.mode = 'down';
    buffer.push(1);
    const started = Date.now();
    expect(await buffer.flush(50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
    buffer.close();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(buffer.size).toBe(0);
    expect(buffer.dropped).toBe(1);
    buffer.push(2); // after close: counted as dropped, no throw
    expect(buffer.dropped).toBe(2);
  });
});
