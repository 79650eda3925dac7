// TopicAdmin.describeConfigs: the binding has no DescribeConfigs, so partita sends that request
// itself; checked here against the real broker.
import net from 'node:net';
import { TopicConfigUnavailableError } from '../../src/errors';
import { createTopicAdmin } from '../../src/topic-admin';
import { BROKERS, uniqueTopic } from '../../../../test/support/topic-fixture';

const admin = createTopicAdmin({ brokers: BROKERS });
const created: string[] = [];

afterAll(async () => {
  try {
    for (const topic of created) await admin.deleteTopic(topic).catch(() => undefined);
  } finally {
    admin.close();
  }
});

test('reads max.message.bytes as set at creation, the broker default otherwise, nothing for a missing topic', async () => {
  const big = uniqueTopic('config-big');
  const plain = uniqueTopic('config-plain');
  const missing = uniqueTopic('config-missing');
  created.push(big, plain);
  await admin.ensureTopic(big, { partitions: 1, config: { 'max.message.bytes': '8388608', 'retention.ms': '3600000' } });
  await admin.ensureTopic(plain, { partitions: 1 });
  const configs = await admin.describeConfigs([big, plain, missing], ['max.message.bytes', 'retention.ms']);
  expect(configs.get(big)).toEqual(
    new Map([
      ['max.message.bytes', '8388608'],
      ['retention.ms', '3600000'],
    ]),
  );
  expect(Number(configs.get(plain)!.get('max.message.bytes'))).toBeGreaterThan(0);
  expect(configs.has(missing)).toBe(false);
});

test('says why when no broker answers, within the connect timeout', async () => {
  // A port that accepts and then says nothing.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const quiet = createTopicAdmin({ brokers: `127.0.0.1:${port}`, connectTimeoutMs: 300 });
  try {
    const started = Date.now();
    const error = await quiet.describeConfigs(['t'], ['max.message.bytes']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicConfigUnavailableError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    const tls = createTopicAdmin({ brokers: BROKERS, kafka: { 'security.protocol': 'ssl' } });
    await expect(tls.describeConfigs(['t'], ['max.message.bytes'])).rejects.toThrow(/needs a PLAINTEXT listener; security.protocol is ssl/);
    tls.close();
  } finally {
    quiet.close();
    silent.close();
  }
});
