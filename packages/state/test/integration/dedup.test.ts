// jobId deduplication across processes: 4 processes add the same 2,000 ids through real Queues
// with state, in lock step (see fixtures/add-child.js); each id is produced to Kafka exactly once.
import { Redis } from 'ioredis';
import { decodeEnvelope } from '@partita/job/wire';
import { BROKERS, TestAdmin } from '../../../../test/support/kafka-admin';
import { readTopic } from '../../../../test/support/raw-kafka';
import { uniqueName } from '../../../../test/support/wait';
import { dropPrefix, REDIS_URL, runChild, uniquePrefix, stderrBesidesPersistenceWarning } from './helpers';

const admin = new TestAdmin();
const redis = new Redis(REDIS_URL);
const prefix = uniquePrefix('dedup');
const topic = uniqueName('partita-dedup');
const IDS = 2000;
const CHILDREN = 4;
const PARTITIONS = 3;

afterAll(async () => {
  await admin.deleteTopic(topic).catch(() => undefined);
  admin.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

test('4 processes adding the same 2,000 job ids at once: each id is produced once', async () => {
  await admin.createTopic(topic, PARTITIONS);
  const runs = await Promise.all(
    Array.from({ length: CHILDREN }, (_, child) => runChild('add-child.js', [BROKERS, REDIS_URL, prefix, topic, String(child), String(CHILDREN)])),
  );
  for (const run of runs) expect({ ...run, stderr: stderrBesidesPersistenceWarning(run.stderr) }).toMatchObject({ code: 0, stderr: '' });
  // Every add answered with the id it asked for, produced or not (BullMQ: a known id is a no-op).
  const expected = Array.from({ length: IDS }, (_, i) => `job-${i}`).sort();
  for (const run of runs) expect((JSON.parse(run.stdout) as string[]).sort()).toEqual(expected);

  // The topic holds exactly 2,000 messages (every child closed its Queue: all are delivered).
  const ends = await admin.endOffsets(topic, PARTITIONS);
  expect([...ends.values()].reduce((sum, end) => sum + end, 0)).toBe(IDS);
  const producedBy = new Map<string, number>();
  for (const message of await readTopic(topic, PARTITIONS, IDS)) {
    const envelope = decodeEnvelope(message.value);
    expect(producedBy.has(envelope.id)).toBe(false);
    producedBy.set(envelope.id, (envelope.data as { child: number }).child);
  }
  expect([...producedBy.keys()].sort()).toEqual(expected);
  // Ids 0–999 were first added by children 0 and 1 racing each other, ids 1000–1999 by children 2
  // and 3; the other pair's later adds of them were no-ops.
  for (const [id, child] of producedBy) expect(child >> 1).toBe(Number(id.slice(4)) < IDS / 2 ? 0 : 1);
});
