import { Queue } from '@partita/enqueuer';
import { DEFAULT_BROKERS, resolveBrokers, resolveConnection } from '../../src/connection';
import { ConfigurationError } from '../../src/errors';
import { producerConfig, resolveProducerOptions } from '../../src/producer-options';

function optionOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).option;
  }
  throw new Error('expected a ConfigurationError');
}

describe('resolveBrokers', () => {
  it('takes connection.brokers first, then PARTITA_BROKERS, then 127.0.0.1:9092', () => {
    const env = { PARTITA_BROKERS: 'env-a:9092, env-b:9092' };
    expect(resolveBrokers({ brokers: 'given:9092' }, env)).toBe('given:9092');
    expect(resolveBrokers({ brokers: ['a:1', ' b:2 '] }, env)).toBe('a:1,b:2');
    expect(resolveBrokers({}, env)).toBe('env-a:9092,env-b:9092');
    expect(resolveBrokers(undefined, {})).toBe(DEFAULT_BROKERS);
    expect(resolveBrokers(undefined, { PARTITA_BROKERS: '  ' })).toBe('127.0.0.1:9092');
  });

  it('rejects empty broker lists, naming where they came from', () => {
    expect(optionOf(() => resolveBrokers({ brokers: [] }, {}))).toBe('connection.brokers');
    expect(optionOf(() => resolveBrokers({ brokers: 'a:1,,b:2' }, {}))).toBe('connection.brokers');
    expect(optionOf(() => resolveBrokers({}, { PARTITA_BROKERS: 'a:1,' }))).toBe('PARTITA_BROKERS');
  });
});

describe('resolveConnection', () => {
  it('fills in defaults', () => {
    expect(resolveConnection(undefined, {})).toEqual({ brokers: '127.0.0.1:9092', kafka: {}, clientId: 'partita', connectTimeoutMs: 10_000 });
  });

  it.each([
    [{ broker: 'x:1' }, 'connection.broker'],
    [{ kafka: { 'sasl.password': { secret: 1 } } }, 'connection.kafka.sasl.password'],
    [{ kafka: [] }, 'connection.kafka'],
    [{ clientId: '' }, 'connection.clientId'],
    [{ connectTimeoutMs: 0 }, 'connection.connectTimeoutMs'],
    [{ connectTimeoutMs: Infinity }, 'connection.connectTimeoutMs'],
  ])('%j → ConfigurationError on %s', (connection, option) => {
    expect(optionOf(() => resolveConnection(connection as never, {}))).toBe(option);
  });
});

describe('producer configuration', () => {
  it('is idempotent and gapless, acks all, murmur2_random, never times out inside librdkafka, passthrough last', () => {
    const config = producerConfig(
      resolveConnection({ brokers: 'k:9092', kafka: { 'security.protocol': 'sasl_ssl', 'linger.ms': 20 } }, {}),
      resolveProducerOptions({ deliveryTimeoutMs: 3000 }),
    );
    expect(config).toMatchObject({
      'bootstrap.servers': 'k:9092',
      'enable.idempotence': true,
      'enable.gapless.guarantee': true,
      acks: 'all',
      partitioner: 'murmur2_random',
      // partita enforces deliveryTimeoutMs itself: a librdkafka timeout would leave a gap.
      'message.timeout.ms': 0,
      'security.protocol': 'sasl_ssl',
      // connection.kafka overrides partita's own settings.
      'linger.ms': 20,
      dr_cb: true,
    });
  });

  it('reports every delivery on the acked channel and failures only (with the value) on the fast channel', () => {
    const connection = resolveConnection({ brokers: 'k:9092' }, {});
    const options = resolveProducerOptions();
    expect(producerConfig(connection, options, 'acked')).toMatchObject({ dr_cb: true });
    expect(producerConfig(connection, options, 'acked')).not.toHaveProperty(['delivery.report.only.error']);
    const fast = producerConfig(connection, options, 'fast');
    expect(fast).toMatchObject({ 'delivery.report.only.error': true, dr_msg_cb: true, 'enable.idempotence': true, acks: 'all' });
    expect(fast).not.toHaveProperty('dr_cb');
  });

  it('waits 120 s for an acknowledgement by default, like the Java client', () => {
    expect(resolveProducerOptions().deliveryTimeoutMs).toBe(120_000);
  });

  it.each([
    [{ deliveryTimeoutMs: -1 }, 'deliveryTimeoutMs'],
    [{ deliveryTimeoutMs: 5, lingerMs: 5 }, 'deliveryTimeoutMs'],
    [{ lingerMs: -1 }, 'lingerMs'],
    [{ maxQueuedMessages: 0 }, 'maxQueuedMessages'],
    [{ compression: 'brotli' }, 'compression'],
  ])('%j → ConfigurationError on %s', (options, option) => {
    expect(optionOf(() => resolveProducerOptions(options as never))).toBe(option);
  });
});

describe('Queue construction (no broker needed)', () => {
  it('validates the queue name, connection and default job options up front', () => {
    expect(optionOf(() => new Queue('bad name'))).toBe('queue name');
    expect(optionOf(() => new Queue('ok', { connection: { brokers: [] } }))).toBe('connection.brokers');
    expect(() => new Queue('ok', { defaultJobOptions: { attempts: 0 } })).toThrow(/defaultJobOptions\.attempts must be an integer >= 1/);
  });

  it('rejects bad jobs before connecting to anything', async () => {
    // Nothing listens here; a connection attempt would take the connect timeout to fail.
    const queue = new Queue('orders', { connection: { brokers: '127.0.0.1:1', connectTimeoutMs: 60_000 } });
    const started = Date.now();
    await expect(queue.add('x', { f: () => 1 })).rejects.toThrow(/data\.f is a function/);
    await expect(queue.add('x', {}, { partition: -1 })).rejects.toThrow(/integer >= 0/);
    await expect(queue.add('', {})).rejects.toThrow(/name must be a non-empty string/);
    await expect(queue.addBulk([{ name: 'ok', data: 1 }, null as never])).rejects.toThrow(/job #1/);
    expect(Date.now() - started).toBeLessThan(1000);
    await queue.close();
  });
});
