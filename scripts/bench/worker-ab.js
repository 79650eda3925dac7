#!/usr/bin/env node
// Interleaved A/B runs of worker contenders on one topic: steadier than single runs of
// scripts/bench/worker.js on a shared machine, for judging a change before a full benchmark run.
// Prints medians; writes nothing.
//
//   npx turbo run build
//   node scripts/bench/worker-ab.js [--rounds N] [--jobs N] <variant>...
//
// A variant is `name` or `name:KEY=VALUE,KEY=VALUE`. The name `raw` runs the raw consumer, any
// other name the partita Worker (processor `async () => {}`). Recognised keys: BATCH (batchSize,
// default 500), CONC (concurrency, default 100), STATE=1 (with the job-state store), HWM (highWatermark); every
// key/value is also set in the contender's environment, e.g. to switch code paths under test.
//
//   node scripts/bench/worker-ab.js --rounds 5 raw partita partita-state:STATE=1
//
// AB_CHILD_ARGS passes Node flags to every contender process, e.g. to profile them:
//   AB_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node scripts/bench/worker-ab.js --rounds 1 partita-state:STATE=1
'use strict';

const path = require('node:path');
const { fork } = require('node:child_process');
const { fillTopic } = require('./fill-topic');
const { loadPackage } = require('./partita-packages');

const BROKERS = process.env.PARTITA_BROKERS || '127.0.0.1:9092';
const PARTITIONS = 4;
const KEYS = 1_000;

function parseArgs(argv) {
  const options = { rounds: 5, jobs: 200_000, variants: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--rounds' || arg === '--jobs') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} needs a positive integer, got ${argv[i]}`);
      options[arg.slice(2)] = value;
      continue;
    }
    const [name, settings = ''] = arg.split(':');
    const env = {};
    for (const pair of settings.split(',').filter(Boolean)) {
      const [key, value] = pair.split('=');
      if (!key || value === undefined) throw new Error(`variant ${arg}: settings are KEY=VALUE pairs separated by commas`);
      env[key] = value;
    }
    options.variants.push({ name, env });
  }
  if (options.variants.length === 0) throw new Error('name at least one variant, e.g. raw partita');
  return options;
}

/** Runs one contender in a fresh process (scripts/bench/worker-contender.js) and returns its result. */
function runContender(kind, params, env) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'worker-contender.js'), [], {
      env: { ...process.env, ...env },
      execArgv: process.env.AB_CHILD_ARGS ? process.env.AB_CHILD_ARGS.split(' ') : undefined,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reply;
    child.on('message', (message) => (reply = message));
    child.on('error', reject);
    child.on('exit', () => (reply && reply.ok ? resolve(reply.result) : reject(new Error(reply ? reply.error : `${kind} contender exited without a result`))));
    child.send({ kind, params });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const { rounds, jobs, variants } = parseArgs(process.argv.slice(2));
  const enqueuer = loadPackage('enqueuer');
  const topic = `partita-bench-ab-${Date.now().toString(36)}`;
  const admin = loadPackage('kafka').createTopicAdmin({ brokers: BROKERS });
  const results = new Map(variants.map((v) => [v.name, { rates: [], cpu: [], main: [] }]));
  let runNumber = 0;
  try {
    await admin.ensureTopic(topic, { partitions: PARTITIONS, replicationFactor: 1 });
    await fillTopic({ enqueuer, admin, brokers: BROKERS, topic, count: jobs, keys: KEYS, jobName: 'noop' });
    for (let round = 1; round <= rounds; round++) {
      for (const { name, env } of variants) {
        const groupId = `${topic}-${runNumber++}`;
        const result =
          name === 'raw'
            ? await runContender('raw', { brokers: BROKERS, topic, groupId, expected: jobs, batchSize: Number(env.BATCH ?? 500) }, env)
            : await runContender(
                'partita',
                {
                  variant: 'processor',
                  topic,
                  jobName: 'noop',
                  expected: jobs,
                  settings: {
                    brokers: BROKERS,
                    groupId,
                    concurrency: Number(env.CONC ?? 100),
                    batchSize: Number(env.BATCH ?? 500),
                    withState: env.STATE === '1',
                    ...(env.HWM ? { highWatermark: Number(env.HWM) } : {}),
                  },
                },
                env,
              );
        const entry = results.get(name);
        entry.rates.push(Math.round(result.rate));
        if (result.cpuUsPerJob !== undefined) entry.cpu.push(Number(result.cpuUsPerJob.toFixed(1)));
        if (result.mainUsPerJob !== undefined) entry.main.push(Number(result.mainUsPerJob.toFixed(2)));
        console.log(`  round ${round}/${rounds} ${name}: ${Math.round(result.rate).toLocaleString('en-US')} jobs/s`);
      }
    }
  } finally {
    await admin.deleteTopic(topic).catch(() => undefined);
    admin.close();
  }
  // The JS thread's CPU per job is the steadiest signal on a shared machine: it does not count
  // time the thread waited for a core.
  console.log(`\n| variant | median jobs/s | best | all runs | median CPU µs/job (process) | median CPU µs/job (JS thread) |\n|---|---:|---:|---|---:|---:|`);
  for (const [name, { rates, cpu, main }] of results) {
    console.log(
      `| ${name} | ${median(rates).toLocaleString('en-US')} | ${Math.max(...rates).toLocaleString('en-US')} | ${rates.join(' / ')} | ${cpu.length ? median(cpu) : '–'} | ${main.length ? median(main) : '–'} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
