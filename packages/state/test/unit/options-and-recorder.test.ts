import { EventEmitter } from 'node:events';
import { attachStateRecorder, StateConfigError } from '@partita/state';
import { resolveStateOptions } from '../../src/options';
import type { StateOp } from '../../src/write/ops';
import { stateSeq } from '../../src/states';
import { resolveRedisTarget, connectionOptions } from '../../src/redis/connection';

describe('resolveStateOptions', () => {
  test('defaults', () => {
    const o = resolveStateOptions({});
    expect(o).toMatchObject({
      prefix: 'partita',
      completed: { count: 1000, maxAgeMs: Infinity },
      failed: { count: 5000, maxAgeMs: Infinity },
      keepLogs: 100,
      events: true,
      eventsMaxLen: 10_000,
      flushIntervalMs: 5,
      maxBatchSize: 5000,
      maxBufferedWrites: 50_000,
      writeTimeoutMs: 2000,
      readTimeoutMs: 5000,
    });
  });

  test.each([
    [{ prefix: '' }, 'prefix'],
    [{ keepLogs: -2 }, 'keepLogs'],
    [{ maxBufferedWrites: 0 }, 'maxBufferedWrites'],
    [{ events: 'yes' }, 'events'],
    [{ removeOnFail: -1 }, 'removeOnFail'],
    [{ bogus: 1 }, 'bogus'],
  ])('rejects %j naming %s', (options, option) => {
    expect(() => resolveStateOptions(options as never)).toThrow(StateConfigError);
    try {
      resolveStateOptions(options as never);
    } catch (error) {
      expect((error as StateConfigError).option).toBe(option);
    }
  });

  test('redis: URL, options, env, default', () => {
    expect(resolveRedisTarget(undefined, {})).toEqual({ url: 'redis://127.0.0.1:6379', options: {} });
    expect(resolveRedisTarget(undefined, { PARTITA_REDIS_URL: 'redis://r:1' })).toEqual({ url: 'redis://r:1', options: {} });
    expect(resolveRedisTarget({ host: 'h', port: 2 })).toEqual({ url: undefined, options: { host: 'h', port: 2 } });
    expect(() => resolveRedisTarget('localhost:6379')).toThrow(StateConfigError);
    expect(() => resolveRedisTarget({ keyPrefix: 'x:' })).toThrow(/prefix/);
  });

  test('the writer never queues commands offline and times out; reads are bounded too', () => {
    const timeouts = { connectTimeoutMs: 1000, readTimeoutMs: 2000, writeTimeoutMs: 300 };
    expect(connectionOptions('writer', { enableOfflineQueue: true }, timeouts)).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 300,
      connectTimeout: 1000,
    });
    expect(connectionOptions('client', {}, timeouts)).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: 2, commandTimeout: 2000 });
    expect(connectionOptions('blocking', { commandTimeout: 5 }, timeouts).commandTimeout).toBeUndefined();
  });
});

describe('stateSeq', () => {
  test("orders a job's changes: waiting < active < retrying < next try < finished", () => {
    const order = [stateSeq('waiting', 1), stateSeq('active', 1), stateSeq('retrying', 1), stateSeq('active', 2), stateSeq('dead', 2)];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stateSeq('completed', 1)).toBe(stateSeq('failed', 1));
  });
});

describe('attachStateRecorder', () => {
  const job = { id: 'j', name: 'n', data: { a: 1 }, queue: 'q', partition: 2, offset: 9, key: 'k', attempt: 1, enqueuedAt: 5 };

  function setup() {
    const ops: StateOp[] = [];
    const worker = new EventEmitter();
    const recorder = attachStateRecorder(worker, { record: (op) => ops.push(op), flush: () => Promise.resolve(true) }, { workerId: 'w1' });
    return { ops, worker, recorder };
  }

  test('maps worker events to state ops', () => {
    const { ops, worker } = setup();
    worker.emit('active', job);
    worker.emit('progress', job, 40);
    worker.emit('log', job, 'line');
    worker.emit('failed', job, new Error('e1'), { attempt: 1, willRetry: true, delayMs: 100 });
    worker.emit('active', { ...job, attempt: 2 });
    worker.emit('failed', { ...job, attempt: 2 }, new Error('e2'), { attempt: 2, willRetry: false });
    worker.emit('deadLettered', { ...job, attempt: 2 }, { topic: 'q.dlq', error: new Error('e2') });
    worker.emit('completed', job, 'r');
    expect(ops.map((op) => op.kind)).toEqual(['active', 'progress', 'log', 'retrying', 'active', 'tryFailed', 'deadLettered', 'completed']);
    expect(ops[0]).toMatchObject({ queue: 'q', id: 'j', attempt: 1, workerId: 'w1', partition: 2, offset: 9, key: 'k', enqueuedAt: 5, withData: true });
    expect(ops[1]).toMatchObject({ progressText: '{"json":40}' });
    expect(ops[3]).toMatchObject({ failedReason: 'e1', delayMs: 100, attempt: 1 });
    expect(ops[6]).toMatchObject({ deadLetterTopic: 'q.dlq', failedReason: 'e2', attempt: 2 });
    expect(ops[7]).toMatchObject({ returnvalue: 'r', workerId: 'w1' });
  });

  test('progress is captured when reported (the object may change later)', () => {
    const { ops, worker } = setup();
    const progress = { done: 1 };
    worker.emit('progress', job, progress);
    progress.done = 2;
    expect(ops[0]).toMatchObject({ progressText: '{"json":{"done":1}}' });
  });

  test('never throws into the worker, even on a malformed event; detach stops recording', () => {
    const { ops, worker, recorder } = setup();
    expect(() => worker.emit('active', undefined)).not.toThrow();
    expect(() => worker.emit('failed', job, new Error('x'), undefined)).not.toThrow();
    recorder.detach();
    worker.emit('active', job);
    expect(ops).toHaveLength(0);
    expect(worker.listenerCount('active')).toBe(0);
  });
});
