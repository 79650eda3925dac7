import { Command } from 'commander';
import { provisionTopic } from '@partita/kafka';
import { parsePositiveInt } from './worker-command';

/** `partita topic create <name>`: provisions a queue topic (partita never relies on auto-creation). */
export function topicCommand(): Command {
  const topic = new Command('topic').description('manage queue topics');
  topic
    .command('create <name>')
    .description('create a queue topic unless it exists')
    .option('-p, --partitions <n>', 'number of partitions: the most worker processes that share the queue', parsePositiveInt, 12)
    .option('-r, --replication-factor <n>', 'copies of each partition (default: the broker default)', parsePositiveInt)
    .option('-b, --brokers <list>', 'Kafka bootstrap brokers (default: $PARTITA_BROKERS or 127.0.0.1:9092)')
    .action(async (name: string, flags: { partitions: number; replicationFactor?: number; brokers?: string }) => {
      await provisionTopic(name, {
        partitions: flags.partitions,
        replicationFactor: flags.replicationFactor,
        connection: flags.brokers ? { brokers: flags.brokers } : undefined,
      });
    });
  return topic;
}
