import { PartitaError } from '@partita/job';
import { createTopicAdmin } from '@partita/enqueuer';
import type { ResolvedWorkerConfig } from './config';

/** A queue the worker should consume has no topic. */
export class QueueTopicMissingError extends PartitaError {
  constructor(readonly queue: string) {
    super(`queue ${queue} has no Kafka topic: create it with queue.ensureTopic({ partitions }) or \`partita topic create ${queue} --partitions <n>\``);
  }
}

/**
 * Checks at startup that every queue's topic exists (a subscription to a missing topic would only
 * notice it minutes later) and creates each missing dead letter topic with the queue's partition
 * count, so dead jobs keep their partition. Returns warnings for DLQ topics it could not create.
 */
export async function prepareQueueTopics(config: ResolvedWorkerConfig): Promise<string[]> {
  const admin = createTopicAdmin(config.connection);
  const warnings: string[] = [];
  try {
    for (const queue of config.queues) {
      const partitions = await admin.describe(queue);
      if (partitions === undefined) throw new QueueTopicMissingError(queue);
      const dlq = config.deadLetter(queue);
      if (dlq === false) continue;
      try {
        await admin.ensureTopic(dlq, { partitions });
      } catch (error) {
        warnings.push(`could not create dead letter topic ${dlq}: ${(error as Error).message}; dead jobs of ${queue} wait until it exists`);
      }
    }
  } finally {
    admin.close();
  }
  return warnings;
}
