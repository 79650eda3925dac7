import { Command, InvalidArgumentError } from 'commander';
import { JobRegistry } from '@partita/job/registry';
import { ShutdownTimeoutError } from '../errors';
import { shutdownBudget, Worker } from '../worker';
import type { WorkerOptions } from '../config';
import type { TopicPartition } from '../events';
import { watchLauncher } from './launcher-watch';
import { loadJobClasses } from './load-jobs';
import { LogWriter, logError, logValue } from './log-line';
import { parseNonNegativeInt, parsePositiveInt } from './number-flags';
import { ThroughputReporter } from './throughput-reporter';

// Other commands take their number parsers from here.
export { parseNonNegativeInt, parsePositiveInt };

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
  jobTimeout?: number;
  deadLetterTopic: string[];
  redis?: string;
  statePrefix?: string;
  statsInterval: number;
  kafka: Record<string, string>;
  /** False with --no-launcher-watch. */
  launcherWatch: boolean;
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
    .option(
      '--shutdown-timeout <ms>',
      'on SIGTERM, how long the whole shutdown may take: running jobs finish, then commit and leave the group; past it the process exits anyway (default: 30000)',
      parsePositiveInt,
    )
    .option('--revoke-grace <ms>', 'how long running jobs of a revoked partition may finish before it is released (default: 5000)', parseNonNegativeInt)
    .option(
      '--job-timeout <ms>',
      'how long one try may run when its job sets no timeout of its own; past it the try fails (default: no limit)',
      parsePositiveInt,
    )
    .option('--dead-letter-topic <topic>', 'a dead letter topic a job may name in its deadLetter option besides the defaults; repeat for several', collect, [])
    .option('--redis <url>', 'record job state in Redis for getJob/waitUntilFinished/QueueEvents (default: $PARTITA_REDIS_URL, else off)')
    .option('--state-prefix <prefix>', "what the job-state keys in Redis start with; the same as the Queue's `state.prefix` (default: partita)")
    .option('-k, --kafka <property=value>', 'a librdkafka consumer property, e.g. session.timeout.ms=10000; repeat for several', collectProperty, {})
    .option('--stats-interval <ms>', 'how often to log a throughput line; 0 for never', parseNonNegativeInt, 10000)
    .option(
      '--no-launcher-watch',
      'keep running when the process that started the worker (npx, npm, a shell) exits; by default the worker then shuts down as on SIGTERM',
    )
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
    jobTimeoutMs: flags.jobTimeout,
    kafka: flags.kafka,
  };
  if (flags.statePrefix !== undefined && !flags.redis && !process.env.PARTITA_REDIS_URL) {
    throw new InvalidArgumentError('--state-prefix needs job state enabled: give --redis <url> or set $PARTITA_REDIS_URL');
  }
  if (flags.redis || flags.statePrefix !== undefined) options.state = { redis: flags.redis, prefix: flags.statePrefix };
  if (flags.deadLetterTopic.length > 0) options.deadLetterTopics = flags.deadLetterTopic;
  if (flags.maxPartitions !== undefined) options.virtualPartitions = { maxPartitions: flags.maxPartitions };
  const worker = new Worker(queues, registry, options);
  const output = new LogWriter();
  const log = (line: string) => output.info(`[partita] ${line}`);
  const logErr = (line: string) => output.error(`[partita] ${line}`);
  // Topic names come from the broker, job names, ids and errors from messages and jobs: all escaped.
  const partitionList = (partitions: TopicPartition[]) => partitions.map((p) => `${logValue(p.topic)}/${p.partition}`).join(', ');

  let shutdownTimedOut = false;
  worker.on('assigned', (partitions) => log(`assigned ${partitionList(partitions)} (now ${worker.assignment().length} partitions)`));
  worker.on('revoked', (partitions) => log(`revoked ${partitionList(partitions)}`));
  worker.on('failed', (job, error, info) =>
    log(
      `job ${logValue(job.name)} ${logValue(job.id)} failed (try ${info.attempt}): ${logError(error)}${info.willRetry ? `; retry in ${info.delayMs} ms` : ''}`,
    ),
  );
  worker.on('deadLettered', (job, info) =>
    log(
      `job ${logValue(job.name)} ${logValue(job.id)} is dead: ${info.topic ? `written to ${logValue(info.topic)}/${info.partition}@${info.offset}` : 'dropped'}`,
    ),
  );
  worker.on('brokerDown', (error) => logErr(`lost every Kafka broker (${logError(error)}); fetching and commits wait, running jobs go on, reconnecting`));
  worker.on('brokerUp', (downMs) => log(`Kafka brokers are back after ${(downMs / 1000).toFixed(1)} s`));
  worker.on('error', (error) => {
    if (error instanceof ShutdownTimeoutError) shutdownTimedOut = true;
    logErr(`error: ${logError(error)}`);
  });
  const reporter = new ThroughputReporter(worker, flags.statsInterval, log);

  const shutdownMs = worker.config.shutdownTimeoutMs;
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) {
      log(`${why} again: aborting running jobs; exiting within ${FORCED_EXIT_MS} ms`);
      worker.forceClose();
      setTimeout(() => exitHard(), FORCED_EXIT_MS).unref();
      return;
    }
    stopping = true;
    launcher.stop();
    reporter.stop();
    log(
      `${why}: running jobs get up to ${shutdownBudget(shutdownMs).jobsMs} ms to finish, then commit and leave the group; exit within ${shutdownMs} ms; send SIGTERM again to abort the jobs`,
    );
    // Backstop: close() resolves by its deadline, but nothing may keep the process past it.
    setTimeout(() => {
      logErr('shutdown overran its deadline; exiting');
      exitHard();
    }, shutdownMs + BACKSTOP_SLACK_MS).unref();
    worker.close().then(
      () => {
        if (shutdownTimedOut) {
          // A close librdkafka could not finish still runs on a libuv thread, and a normal exit would wait for it.
          logErr(`shutdown reached its ${shutdownMs} ms deadline; exiting anyway`);
          exitHard();
          return;
        }
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logErr(`shutdown failed: ${logError(error)}`);
        if (shutdownTimedOut) exitHard();
        else process.exit(1);
      },
    );
  };
  process.on('SIGTERM', (signal) => stop(signal));
  process.on('SIGINT', (signal) => stop(signal));
  const launcher = flags.launcherWatch ? watchLauncher((reason) => stop(`${reason}`)) : { stop() {} };

  log(
    `worker for ${queues.join(', ')} (jobs: ${registry.names().join(', ')}), group ${worker.config.groupId}, brokers ${worker.config.brokers}, concurrency ${worker.config.concurrency}`,
  );
  try {
    await worker.run();
  } catch (error) {
    // A start cut short by a shutdown: the shutdown decides how the process ends.
    if (stopping) return;
    throw error;
  }
  if (stopping) return;
  reporter.start();
  log('running');
}

/** After a second SIGTERM, how long the aborted jobs, the commit and the leave may still take. */
const FORCED_EXIT_MS = 3000;

/** How far past `shutdownTimeoutMs` the backstop waits for `close()` itself. */
const BACKSTOP_SLACK_MS = 2000;

/**
 * Ends the process at once. `process.exit` would first wait for libuv's threads, one of which may
 * be inside a consumer close librdkafka cannot finish (a rebalance waiting on a dead member): it
 * would never return. Dying of SIGTERM (its handlers removed) skips that wait; SIGKILL if not.
 */
function exitHard(): void {
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000).unref();
}
