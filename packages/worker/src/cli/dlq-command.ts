import { Command, InvalidArgumentError } from 'commander';
import { filterDeadJobs, parseSince } from '../dead-letter/dead-job';
import { readDeadJobs } from '../dead-letter/reader';
import { replayDeadJobs } from '../dead-letter/replay';
import { formatDeadJobTable } from '../dead-letter/table';
import { parsePositiveInt } from './worker-command';

interface DlqFlags {
  queue: string;
  dlq?: string;
  brokers?: string;
  since?: Date;
  job?: string;
  limit?: number;
}

function since(value: string): Date {
  const date = parseSince(value);
  if (!date) throw new InvalidArgumentError('expected an ISO time (2026-11-23T10:00:00Z) or a duration back from now (30m, 2h, 7d)');
  return date;
}

function withCommonOptions(command: Command): Command {
  return command
    .requiredOption('-q, --queue <name>', 'the queue whose dead jobs to read')
    .option('--dlq <topic>', 'the dead letter topic (default: <queue>.dlq)')
    .option('-b, --brokers <list>', 'Kafka bootstrap brokers (default: $PARTITA_BROKERS or 127.0.0.1:9092)')
    .option('--since <time>', 'only jobs that died at or after this time (ISO time, or 30m / 2h / 7d ago)', since)
    .option('--job <name>', 'only jobs of this name (as their envelope names them)')
    .option('--limit <n>', 'at most this many jobs, oldest first', parsePositiveInt);
}

async function selectedJobs(flags: DlqFlags) {
  const connection = flags.brokers ? { brokers: flags.brokers } : {};
  const dlqTopic = flags.dlq ?? `${flags.queue}.dlq`;
  const jobs = filterDeadJobs(await readDeadJobs(dlqTopic, connection), flags);
  return { connection, dlqTopic, jobs };
}

/** `partita dlq list|replay`: inspect dead jobs and send them back to their queue. */
export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and replay dead jobs (the dead letter queue)');
  withCommonOptions(dlq.command('list').description('print the dead jobs of a queue as a table')).action(async (flags: DlqFlags) => {
    const { dlqTopic, jobs } = await selectedJobs(flags);
    if (jobs.length === 0) {
      console.log(`no dead jobs in ${dlqTopic}${flags.since || flags.job ? ' matching the filters' : ''}`);
      return;
    }
    console.log(formatDeadJobTable(jobs, process.stdout.columns ?? 140));
    console.log(`\n${jobs.length} dead job(s) in ${dlqTopic}`);
  });
  withCommonOptions(dlq.command('replay').description('re-enqueue dead jobs to --queue (never elsewhere): same key, fresh attempts, original id in a header'))
    .option('--dry-run', 'only print what would be replayed')
    .action(async (flags: DlqFlags & { dryRun?: boolean }) => {
      const { connection, dlqTopic, jobs } = await selectedJobs(flags);
      if (flags.dryRun) {
        console.log(formatDeadJobTable(jobs, process.stdout.columns ?? 140));
        console.log(`\nwould replay ${jobs.length} job(s) from ${dlqTopic}`);
        return;
      }
      const outcome = await replayDeadJobs(jobs, connection, flags.queue);
      for (const r of outcome.replayed) console.log(`replayed ${r.job.name} ${r.job.id} as ${r.id} → ${r.topic}/${r.partition}@${r.offset}`);
      for (const s of outcome.skipped) console.log(`skipped ${s.job.dlqTopic}/${s.job.dlqPartition}@${s.job.dlqOffset}: ${s.why}`);
      console.log(`${outcome.replayed.length} replayed, ${outcome.skipped.length} skipped (replaying again would enqueue them again)`);
    });
  return dlq;
}
