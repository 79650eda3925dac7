import { Command } from 'commander';
import { dlqCommand } from './dlq-command';
import { topicCommand } from './topic-command';
import { logError } from './log-line';
import { workerCommand } from './worker-command';

const program = new Command('partita')
  .description('partita: background jobs on Apache Kafka. Jobs with the same key run in order, the rest in parallel.')
  .showHelpAfterError()
  .addCommand(workerCommand())
  .addCommand(topicCommand())
  .addCommand(dlqCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  // Startup errors explain themselves at length; still one line.
  console.error(`partita: ${logError(error, 2000)}`);
  process.exit(1);
});
