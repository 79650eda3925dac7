import { createTopicAdmin, TopicAdmin, TopicConfigs } from '@partita/kafka';
import type { ResolvedWorkerConfig } from '../config';
import { REDUCED_VALUE_BYTES } from '../dead-letter/record';
import { QueueTopicMissingError } from '../errors';

/**
 * What a dead letter topic takes beyond its queue's `max.message.bytes`: partita's headers (error
 * message and stack are capped at a few KB of UTF-8) and the record's framing.
 */
export const DLQ_HEADROOM_BYTES = 32 * 1024;

const MAX_MESSAGE_BYTES = 'max.message.bytes';
/** The largest value Kafka takes for `max.message.bytes` (an int32). */
const MAX_TOPIC_MESSAGE_BYTES = 2_147_483_647;

/**
 * Checks at startup that every queue's topic exists (a subscription to a missing topic would only
 * notice it minutes later) and creates each missing dead letter topic with the queue's partition
 * count, so dead jobs keep their partition, and with room for the queue's largest message
 * (its `max.message.bytes` plus {@link DLQ_HEADROOM_BYTES}). Returns warnings: DLQ topics it could not
 * create, and existing ones too small for their queue's messages (with the command that fixes them).
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
      const limits = await readLimits(admin, queue, dlq);
      const sourceMax = limits.configs?.get(queue);
      const wanted = sourceMax === undefined ? undefined : Math.min(sourceMax + DLQ_HEADROOM_BYTES, MAX_TOPIC_MESSAGE_BYTES);
      try {
        const info = await admin.ensureTopic(dlq, { partitions, config: wanted === undefined ? {} : { [MAX_MESSAGE_BYTES]: String(wanted) } });
        if (limits.problem !== undefined) {
          warnings.push(
            `could not read ${MAX_MESSAGE_BYTES} of queue ${queue} and its dead letter topic ${dlq} (${limits.problem}); ` +
              `${info.created ? `${dlq} was created with the broker's default` : `${dlq} was not checked`}: dead jobs larger than it takes are written reduced (the first ${REDUCED_VALUE_BYTES} bytes of their value)`,
          );
        }
        const dlqMax = limits.configs?.get(dlq);
        if (!info.created && wanted !== undefined && dlqMax !== undefined && dlqMax < wanted) {
          warnings.push(
            `dead letter topic ${dlq} takes messages up to ${dlqMax} bytes (${MAX_MESSAGE_BYTES}), less than queue ${queue}'s ${sourceMax} plus ${DLQ_HEADROOM_BYTES} for partita's headers; ` +
              `larger dead jobs are written reduced (the first ${REDUCED_VALUE_BYTES} bytes of their value). To keep them whole, run: ` +
              `kafka-configs.sh --bootstrap-server ${config.brokers} --alter --entity-type topics --entity-name ${dlq} --add-config ${MAX_MESSAGE_BYTES}=${wanted}`,
          );
        }
      } catch (error) {
        warnings.push(`could not create dead letter topic ${dlq}: ${(error as Error).message}; dead jobs of ${queue} wait until it exists`);
      }
    }
  } finally {
    admin.close();
  }
  return warnings;
}

/** `max.message.bytes` of the queue and its DLQ (absent: the topic does not exist), or why it could not be read. */
async function readLimits(admin: TopicAdmin, queue: string, dlq: string): Promise<{ configs?: Map<string, number>; problem?: string }> {
  let described: TopicConfigs;
  try {
    described = await admin.describeConfigs([queue, dlq], [MAX_MESSAGE_BYTES]);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  const configs = new Map<string, number>();
  for (const [topic, entries] of described) {
    const value = Number(entries.get(MAX_MESSAGE_BYTES));
    if (Number.isInteger(value) && value > 0) configs.set(topic, value);
  }
  if (!configs.has(queue)) return { configs, problem: `the broker did not report ${MAX_MESSAGE_BYTES} of ${queue}` };
  return { configs };
}
