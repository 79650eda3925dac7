import { Queue } from '@partita/enqueuer';
import { BROKERS } from './kafka-admin';

/** Enqueues `perKey` jobs for each of `keys` keys, interleaved, seq counting from 0 per key. */
export async function enqueueKeyed(
  queueName: string,
  { keys, perKey, ms = 0, name = 'Record', extra = {} }: { keys: number; perKey: number; ms?: number; name?: string; extra?: Record<string, unknown> },
): Promise<number> {
  const queue = new Queue(queueName, { connection: { brokers: BROKERS } });
  try {
    const batch: Array<{ name: string; data: Record<string, unknown>; opts: { key: string } }> = [];
    for (let seq = 0; seq < perKey; seq++) {
      for (let k = 0; k < keys; k++) {
        const key = `k${k}`;
        batch.push({ name, data: { key, seq, ms, ...extra }, opts: { key } });
        if (batch.length === 5000) await queue.addBulk(batch.splice(0));
      }
    }
    if (batch.length > 0) await queue.addBulk(batch);
  } finally {
    await queue.close();
  }
  return keys * perKey;
}
