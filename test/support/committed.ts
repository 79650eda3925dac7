import { TestAdmin } from './kafka-admin';
import { waitFor } from './wait';

/** Waits until the group committed the end of every partition of `topic`: nothing can run again. */
export function waitForFullyCommitted(admin: TestAdmin, group: string, topic: string, partitions: number, timeoutMs = 30000): Promise<void> {
  return waitFor(
    async () => {
      const [committed, ends] = await Promise.all([admin.committed(group, topic, partitions), admin.endOffsets(topic, partitions)]);
      return [...ends].every(([p, end]) => committed.get(p) === end);
    },
    { timeoutMs, message: `group ${group} to commit the end of ${topic}` },
  );
}
