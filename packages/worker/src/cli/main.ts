import { Command } from 'commander';
import { dlqCommand } from './dlq-command';
import { topicCommand } from './topic-command';
import { workerCommand } from './worker-command';

const program = new Command('partita')
  .description('partita: background jobs on Apache Kafka. Jobs with the same key run in order, the rest in parallel.')
  .showHelpAfterError()
  .addCommand(workerCommand())
  .addCommand(topicCommand())
  .addCommand(dlqCommand());

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`partita: ${error.message}`);
  process.exit(1);
});
