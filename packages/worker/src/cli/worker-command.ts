import { Command, InvalidArgumentError } from 'commander';
import { JobRegistry } from '@partita/job';
import { Worker } from '../worker';
import type { WorkerOptions } from '../config';
import { loadJobClasses } from './load-jobs';
import { ThroughputReporter } from './throughput-reporter';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return n;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectProperty(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected <librdkafka property>=<value>, got '${value}'`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

interface WorkerFlags {
  jobs: string;
  queue: string[];
  group?: string;
  concurrency?: number;
  maxPartitions?: number;
  longRunning?: boolean;
  brokers?: string;
  shutdownTimeout?: number;
  revokeGrace?: number;
  redis?: string;
  statePrefix?: string;
  statsInterval: number;
  kafka: Record<string, string>;
}

/** `partita worker`: runs the Job classes of an app module until SIGTERM/SIGINT. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run the jobs of a module: jobs with the same key in order, the others in parallel')
    .requiredOption('-j, --jobs <module>', 'path of the module that exports your Job classes (built JavaScript)')
    .option('-q, --queue <name>', 'queue (topic) to consume; repeat for several (default: every queue of the exported jobs)', collect, [])
    .option('-g, --group <id>', 'consumer group id (default: partita.<queues>)')
    .option('-c, --concurrency <n>', 'jobs running at once in this process (default: 16)', parsePositiveInt)
    .option('-m, --max-partitions <n>', 'most jobs of one Kafka partition running at once (virtual partitions; default: concurrency)', parsePositiveInt)
    .option('--long-running', 'pause fetching from a partition while its jobs run (for jobs that run for minutes)')
    .option('-b, --brokers <list>', 'Kafka bootstrap brokers, host:port,... (default: $PARTITA_BROKERS or 127.0.0.1:9092)')
    .option('--shutdown-timeout <ms>', 'on SIGTERM, how long running jobs may finish before they are aborted (default: 30000)', parsePositiveInt)
    .option('--revoke-grace <ms>', 'how long running jobs of a revoked partition may finish before it is released (default: 5000)', (v) => parseNonNegativeInt(v))
    .option('--redis <url>', 'record job state in Redis for getJob/waitUntilFinished/QueueEvents (default: $PARTITA_REDIS_URL, else off)')
    .option('--state-prefix <prefix>', 'what the job-state keys in Redis start with; the same as the Queue\'s `state.prefix` (default: partita)')
    .option('-k, --kafka <property=value>', 'a librdkafka consumer property, e.g. session.timeout.ms=10000; repeat for several', collectProperty, {})
    .option('--stats-interval <ms>', 'how often to log a throughput line; 0 for never', (v) => Number(v), 10000)
    .action(async (flags: WorkerFlags) => {
      await runWorker(flags);
    });
}

async function runWorker(flags: WorkerFlags): Promise<void> {
  const registry = new JobRegistry(loadJobClasses(flags.jobs));
  const queues = flags.queue.length > 0 ? flags.queue : registry.queues();
  const options: WorkerOptions = {
    connection: { brokers: flags.brokers },
    groupId: flags.group,
    concurrency: flags.concurrency,
    longRunning: flags.longRunning,
    shutdownTimeoutMs: flags.shutdownTimeout,
    revokeGraceMs: flags.revokeGrace,
    kafka: flags.kafka,
  };
  if (flags.statePrefix !== undefined && !flags.redis && !process.env.PARTITA_REDIS_URL) {
    throw new InvalidArgumentError('--state-prefix needs job state enabled: give --redis <url> or set $PARTITA_REDIS_URL');
  }
  if (flags.redis || flags.statePrefix !== undefined) options.state = { redis: flags.redis, prefix: flags.statePrefix };
  if (flags.maxPartitions !== undefined) options.virtualPartitions = { maxPartitions: flags.maxPartitions };
  const worker = new Worker(queues, registry, options);
  const log = (line: string) => console.log(`[partita] ${line}`);

  worker.on('assigned', (partitions) => log(`assigned ${partitions.map((p) => `${p.topic}/${p.partition}`).join(', ')} (now ${worker.assignment().length} partitions)`));
  worker.on('revoked', (partitions) => log(`revoked ${partitions.map((p) => `${p.topic}/${p.partition}`).join(', ')}`));
  worker.on('failed', (job, error, info) =>
    log(`job ${job.name} ${job.id} failed (try ${info.attempt}): ${error.message}${info.willRetry ? `; retry in ${info.delayMs} ms` : ''}`),
  );
  worker.on('deadLettered', (job, info) => log(`job ${job.name} ${job.id} is dead: ${info.topic ? `written to ${info.topic}/${info.partition}@${info.offset}` : 'dropped'}`));
  worker.on('error', (error) => console.error(`[partita] error: ${error.message}`));
  const reporter = new ThroughputReporter(worker, flags.statsInterval, log);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`${signal}: finishing running jobs (up to ${worker.config.shutdownTimeoutMs} ms), then committing; send it again to force`);
      worker.close().then(
        () => {
          reporter.stop();
          log('stopped');
          process.exit(0);
        },
        (error: Error) => {
          console.error(`[partita] shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
    } else {
      log(`${signal} again: aborting running jobs and exiting now`);
      worker.forceClose();
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  log(`worker for ${queues.join(', ')} (jobs: ${registry.names().join(', ')}), group ${worker.config.groupId}, brokers ${worker.config.brokers}, concurrency ${worker.config.concurrency}`);
  await worker.run();
  reporter.start();
  log('running');
}
