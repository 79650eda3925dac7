#!/usr/bin/env node
// Worker throughput: partita's Worker against a raw librdkafka consumer (the limit) on the same
// topic of the same broker, and against BullMQ's worker on the local Redis; plus the efficiency of
// virtual partitions. One contender at a time, each run in a fresh child process.
//
//   npx turbo run build
//   node scripts/bench/worker.js [--quick] [--no-write] [--profile] [--with-state] [--runs N]
//                                [--jobs N] [--bullmq-jobs N] [--vp-jobs N] [--concurrency N] [--batch-size N]
//
// Defaults: 200,000 no-op jobs on 4 partitions (1,000 keys), 50,000 for BullMQ, best of 3 interleaved
// runs per contender; virtual partitions: 64,000 jobs of 5 ms. About three minutes on 2 cores.
// --quick: 50,000 / 20,000 / 32,000 jobs, one run each (about a minute; for trying changes).
//
// --profile     also runs the partita (processor) contender once more under `node --cpu-prof` (not
//               counted in the table); its top self-time functions are printed and written too.
// --with-state  adds two "partita + state" rows built by partitaWorkerOptions({ withState: true })
//               in worker-partita.js (the job-state store in the local Redis), run in the same
//               rounds as the other rows, and the issue-6 goal lines: state on the Queue and the
//               Worker (each run reads a topic of its own, filled by a Queue with state, so its
//               jobs are recorded as waiting before the worker starts), and state on the Worker
//               only (the shared topic; the worker records each job first, data included).
//
// Prints the tables and rewrites the "Worker" section of BENCHMARKS.md (unless --no-write). The
// bench topics and consumer groups are deleted afterwards, the BullMQ queue obliterated.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork, execSync } = require('node:child_process');
const Kafka = require('@confluentinc/kafka-javascript');
const { partitaWorkerOptions, stateStoreFor } = require('./worker-partita');
const { loadPackage } = require('./partita-packages');
const { summariseProfile, formatProfile } = require('./worker-profile');
const { fillTopic } = require('./fill-topic');

const ROOT = path.resolve(__dirname, '../..');
const BROKERS = process.env.PARTITA_BROKERS || '127.0.0.1:9092';
const REDIS_URL = process.env.PARTITA_REDIS_URL || 'redis://127.0.0.1:6379';

// ---- command line ----------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
function numberArg(name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer`);
  return value;
}
const QUICK = flag('--quick');
const WRITE = !flag('--no-write');
const PROFILE = flag('--profile');
const WITH_STATE = flag('--with-state');

// Sized so that the whole run (fills included) stays around two minutes on a 2-core machine.
const JOBS = numberArg('--jobs', QUICK ? 50_000 : 200_000);
const BULLMQ_JOBS = numberArg('--bullmq-jobs', QUICK ? 20_000 : 50_000);
const PARTITIONS = 4;
const KEYS = 1_000;
const CONCURRENCY = numberArg('--concurrency', 100);
const BATCH_SIZE = numberArg('--batch-size', 500);
const JOB_NAME = 'bench-noop';

// Virtual partitions: 1 partition, 64 keys, 5 ms jobs, 32 lanes → ideal 32 × 200/s = 6,400 jobs/s.
const VP = { jobs: numberArg('--vp-jobs', QUICK ? 32_000 : 64_000), keys: 64, lanes: 32, sleepMs: 5 };
VP.ideal = VP.lanes * (1000 / VP.sleepMs);

// VP rows: the worker's default back-pressure marks (the goal row), and, as a diagnostic, marks
// VP_WIDE times higher (shows whether pause/resume cycles cost lane time).
const VP_WIDE = 4;

/** Idle CPU share below which the machine counts as busy with someone else's work. */
const QUIET_IDLE = 0.8;
const RUNS = numberArg('--runs', QUICK ? 1 : 3);
const SETTLE_MS = QUICK ? 1_000 : 3_000;

const GOALS = { vsRaw: 0.7, vsBullmq: 5, vpEfficiency: 0.85, stateCost: 0.25 };

// ---- helpers ---------------------------------------------------------------------------------
function loadPackages() {
  return { enqueuer: loadPackage('enqueuer'), kafka: loadPackage('kafka'), worker: loadPackage('worker') };
}

/** The settings a partita row really ran with: partitaWorkerOptions() resolved by the worker's own config code. */
function describePartita(worker, options) {
  // A Worker resolves its options when constructed; it connects only in run().
  const c = new worker.Worker(['bench'], async () => undefined, options).config;
  return {
    config: c,
    text:
      `concurrency ${c.concurrency}, batchSize ${c.batchSize}, virtual partitions maxPartitions ${c.maxPartitions} (${c.distribution}), ` +
      `back-pressure marks ${c.highWatermark}/${c.lowWatermark}`,
  };
}

// ---- contention: the benchmark's own processes besides the contender (see worker-cpu.js) ------
const ownPids = [process.pid];
function findOwnPids() {
  try {
    const m = execSync(`bash ${path.join(ROOT, 'scripts/kafka/status')}`, { encoding: 'utf8' }).match(/pid (\d+)/);
    if (m) ownPids.push(Number(m[1]));
  } catch {
    /* unknown: the broker's CPU then counts as "others" */
  }
  try {
    const m = execSync(`redis-cli -u ${REDIS_URL} INFO server`, { encoding: 'utf8' }).match(/process_id:(\d+)/);
    if (m) ownPids.push(Number(m[1]));
  } catch {
    /* unknown: Redis's CPU then counts as "others" */
  }
}

/** Runs one contender in a fresh Node process once the machine is quiet; resolves with its result. */
async function runChild(kind, params, options = {}) {
  await waitForQuiet();
  return spawnChild(kind, params, options);
}

function spawnChild(kind, params, { cpuProfDir, timeoutMs = 240_000 } = {}) {
  const execArgv = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'worker-contender.js'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} contender did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('message', (message) => (reply = message));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (reply && reply.ok) resolve(reply.result);
      else reject(new Error(`${kind} contender failed (exit ${code}): ${reply ? reply.error : 'no reply'}`));
    });
    child.send({ kind, params, ownPids });
  });
}

function rdAdmin() {
  return Kafka.AdminClient.create({ 'bootstrap.servers': BROKERS, 'client.id': 'partita-bench-worker-admin' });
}

/** True when `groupId` committed the high watermark of every partition (everything consumed is committed). */
function committedAll(admin, groupId, topic, marks) {
  return new Promise((resolve) => {
    const partitions = marks.map((m) => ({ topic, partition: m.partition }));
    admin.listConsumerGroupOffsets([{ groupId, partitions }], { timeout: 10_000 }, (err, results) => {
      if (err || !results || !results[0] || results[0].error) {
        resolve(false);
        return;
      }
      const byPartition = new Map(results[0].partitions.map((p) => [p.partition, p.offset]));
      resolve(marks.every((m) => byPartition.get(m.partition) === m.high));
    });
  });
}

function deleteGroups(admin, groups) {
  if (groups.length === 0) return Promise.resolve();
  return new Promise((resolve) => admin.deleteGroups(groups, { timeout: 10_000 }, () => resolve()));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Share of CPU time idle over `ms`, over all cores. */
async function idleShare(ms = 500) {
  const sum = () =>
    os
      .cpus()
      .reduce((acc, c) => ({ idle: acc.idle + c.times.idle, total: acc.total + Object.values(c.times).reduce((a, b) => a + b, 0) }), { idle: 0, total: 0 });
  const a = sum();
  await sleep(ms);
  const b = sum();
  return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/**
 * This is a shared 2-core machine: before each timed run, waits (up to `maxWaitMs`) until the CPUs
 * are mostly idle, so another process does not eat into the run. Records what it saw.
 */
const quiet = { waits: 0, busyStarts: 0, lowestIdle: 1 };
async function waitForQuiet(maxWaitMs = QUICK ? 5_000 : 15_000) {
  const until = Date.now() + maxWaitMs;
  let idle = await idleShare();
  while (idle < QUIET_IDLE && Date.now() < until) {
    quiet.waits++;
    await sleep(1_000);
    idle = await idleShare();
  }
  if (idle < QUIET_IDLE) quiet.busyStarts++;
  quiet.lowestIdle = Math.min(quiet.lowestIdle, idle);
  return idle;
}

/** The fastest of several runs, with every run's rate kept for the report. */
function bestOf(runs) {
  const best = runs.reduce((a, b) => (b.rate > a.rate ? b : a));
  return { ...best, runs, rates: runs.map((r) => r.rate), committed: runs.every((r) => r.committed !== false) && best.committed };
}

/** A run's rate, with the CPU share others used meanwhile when it is notable. */
const fmtRun = (r) => `${Math.round(r.rate).toLocaleString('en-US')}${r.othersCpu >= 0.05 ? ` (others ${Math.round(100 * r.othersCpu)}%)` : ''}`;
/** CPU time per job in the timed window: the contender's process, and the broker (Kafka) or Redis (BullMQ). */
const fmtCpu = (r) => (r.cpuUsPerJob === undefined ? '—' : `${r.cpuUsPerJob.toFixed(1)} + ${r.infraUsPerJob.toFixed(1)}`);
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtRatio = (r) => (r === undefined || !Number.isFinite(r) ? '—' : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`);
const pct = (r) => `${(100 * r).toFixed(0)}%`;
/** One decimal, for values compared against a goal (84.8% must not print as 85%). */
const pct1 = (r) => `${(100 * r).toFixed(1)}%`;

function markdownTable(header, rows, numericFrom) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i >= numericFrom ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Replaces the worker bench's part of BENCHMARKS.md (between its markers, else its "## Worker" section). */
function writeSection(file, body) {
  const START = '<!-- worker-bench:start -->';
  const END = '<!-- worker-bench:end -->';
  const block = `${START}\n${body.trimEnd()}\n${END}`;
  let text = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Benchmarks\n\nNumbers from the scripts in `scripts/bench/`, each run on the machine it names. Rerun a script to refresh its section.\n';
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  if (s !== -1 && e > s) {
    text = text.slice(0, s) + block + text.slice(e + END.length);
  } else {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.trim() === '## Worker');
    if (start === -1) {
      text = `${text.trimEnd()}\n\n## Worker\n\n${block}\n`;
    } else {
      let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
      if (end === -1) end = lines.length;
      text = [...lines.slice(0, start), '## Worker', '', block, '', ...lines.slice(end)].join('\n');
    }
  }
  fs.writeFileSync(file, `${text.trimEnd()}\n`);
}

// ---- the run ---------------------------------------------------------------------------------
async function main() {
  const { enqueuer, kafka, worker } = loadPackages();
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  findOwnPids();
  if (loadAtStart > os.cpus().length * 0.5) {
    console.warn(`warning: load average ${loadAtStart.toFixed(2)} at start; other work on this machine will lower every row`);
  }
  const stamp = Date.now().toString(36);
  const topic = `partita-bench-worker-${stamp}`;
  const vpTopic = `partita-bench-worker-vp-${stamp}`;
  const admin = kafka.createTopicAdmin({ brokers: BROKERS });
  const kafkaAdmin = rdAdmin();
  const topics = [];
  const groups = [];
  const group = (name) => {
    const id = `partita-bench-worker-${stamp}-${name}`;
    groups.push(id);
    return id;
  };
  const settings = (groupId, extra = {}) => ({ brokers: BROKERS, groupId, concurrency: CONCURRENCY, batchSize: BATCH_SIZE, ...extra });

  console.log(
    `worker benchmark: Kafka ${BROKERS}, Redis ${REDIS_URL}${QUICK ? ' (quick)' : ''}; ${fmtInt(JOBS)} no-op jobs on ${PARTITIONS} partitions, ${KEYS} keys`,
  );
  const rows = [];
  const vp = [];
  let vpConfig;
  let timers;
  let profile;
  try {
    topics.push(topic, `${topic}.dlq`);
    await admin.ensureTopic(topic, { partitions: PARTITIONS, replicationFactor: 1 });
    const marks = await fillTopic({ enqueuer, admin, brokers: BROKERS, topic, count: JOBS, keys: KEYS, jobName: JOB_NAME });

    // Let the broker settle after the fill (log flush, page cache) before the first timed run.
    await sleep(SETTLE_MS);

    // The throughput contenders. Each row is the best of RUNS runs, each run a fresh process (and a
    // fresh consumer group or BullMQ queue). The runs are interleaved (raw, partita, …, BullMQ, then
    // again), so a slow spell of this shared 2-core machine hits every contender alike.
    const contenders = [
      {
        id: 'raw',
        contender: 'raw librdkafka KafkaConsumer',
        settings: `consume(${BATCH_SIZE}) loop; offsetsStore per batch + auto-commit`,
        run: (groupId) => runChild('raw', { brokers: BROKERS, topic, groupId, expected: JOBS, batchSize: BATCH_SIZE }),
      },
      ...['processor', 'job-class'].map((variant) => ({
        id: `partita-${variant}`,
        contender: variant === 'processor' ? 'partita Worker, processor `async () => {}`' : 'partita Worker, registered no-op Job class',
        settings: `${describePartita(worker, partitaWorkerOptions(settings('probe'))).text} (worker defaults but concurrency)`,
        run: (groupId) => runChild('partita', { variant, topic, jobName: JOB_NAME, expected: JOBS, settings: settings(groupId) }),
      })),
    ];
    // Hook: a "partita + state" row, once a job-state store exists (see partitaWorkerOptions).
    let stateRow;
    if (WITH_STATE) {
      try {
        partitaWorkerOptions(settings('probe', { withState: true }));
        let stateTopics = 0;
        const runWithState = (groupId, t) =>
          runChild('partita', { variant: 'processor', topic: t, jobName: JOB_NAME, expected: JOBS, settings: settings(groupId, { withState: true }) });
        contenders.push(
          {
            id: 'partita-state-queue',
            contender: 'partita Worker + state, jobs enqueued by a Queue with state, processor `async () => {}`',
            settings:
              'as the processor row, with the job-state store on the Queue and the Worker: a topic of its own per run, same jobs, recorded as waiting by the fill',
            run: async (groupId) => {
              const own = `${topic}-state-${++stateTopics}`;
              topics.push(own, `${own}.dlq`);
              await admin.ensureTopic(own, { partitions: PARTITIONS, replicationFactor: 1 });
              const store = stateStoreFor(groupId);
              let ownMarks;
              try {
                ownMarks = await fillTopic({ enqueuer, admin, brokers: BROKERS, topic: own, count: JOBS, keys: KEYS, jobName: JOB_NAME, stateStore: store });
              } finally {
                await store.close();
              }
              await sleep(SETTLE_MS);
              return { ...(await runWithState(groupId, own)), topic: own, marks: ownMarks };
            },
          },
          {
            id: 'partita-state',
            contender: 'partita Worker + state, jobs enqueued without state, processor `async () => {}`',
            settings: 'as the processor row, with the job-state store on the Worker only (the worker records each job first, with its data)',
            run: (groupId) => runWithState(groupId, topic),
          },
        );
      } catch (error) {
        console.log(`  --with-state: ${error.message}`);
        stateRow = { id: 'partita-state', contender: 'partita Worker + state', settings: `not available (${error.message})`, unavailable: error.message };
      }
    }
    contenders.push({
      id: 'bullmq',
      contender: 'BullMQ Worker, `async () => {}`',
      settings: `concurrency ${CONCURRENCY}, default job options, queue pre-filled with addBulk`,
      kafka: false,
      run: () => runChild('bullmq', { redisUrl: REDIS_URL, expected: BULLMQ_JOBS, concurrency: CONCURRENCY }),
    });

    const runsOf = new Map(contenders.map((c) => [c.id, []]));
    for (let round = 1; round <= RUNS; round++) {
      for (const c of contenders) {
        console.log(`  round ${round}/${RUNS}: ${c.contender}…`);
        if (c.kafka === false) {
          runsOf.get(c.id).push(await c.run());
          continue;
        }
        const groupId = group(`${c.id}-${round}`);
        const r = await c.run(groupId);
        r.committed = await committedAll(kafkaAdmin, groupId, r.topic ?? topic, r.marks ?? marks);
        runsOf.get(c.id).push(r);
      }
    }
    // eslint-disable-next-line no-unused-vars -- run and kafka are taken out so that the row keeps only the contender's labels
    for (const { run, kafka, ...c } of contenders) rows.push({ ...c, ...bestOf(runsOf.get(c.id)) });
    if (stateRow) rows.splice(rows.length - 1, 0, stateRow);

    // 4. Virtual partition efficiency: the issue's scenario with the worker's defaults, then the same
    //    with wider back-pressure marks (diagnostic: shows what the default marks cost).
    {
      topics.push(vpTopic, `${vpTopic}.dlq`);
      await admin.ensureTopic(vpTopic, { partitions: 1, replicationFactor: 1 });
      const vpMarks = await fillTopic({ enqueuer, admin, brokers: BROKERS, topic: vpTopic, count: VP.jobs, keys: VP.keys, jobName: JOB_NAME });
      await sleep(SETTLE_MS);
      const vpDefaults = (vpConfig = describePartita(
        worker,
        partitaWorkerOptions(settings('probe', { concurrency: VP.lanes, maxPartitions: VP.lanes })),
      ).config);
      const variants = [
        { id: 'default', label: `worker defaults: back-pressure marks ${vpDefaults.highWatermark}/${vpDefaults.lowWatermark}`, marks: {} },
        {
          id: 'wide',
          label: `diagnostic: marks ${VP_WIDE}× higher, ${VP_WIDE * vpDefaults.highWatermark}/${(VP_WIDE - 1) * vpDefaults.highWatermark}`,
          marks: { highWatermark: VP_WIDE * vpDefaults.highWatermark, lowWatermark: (VP_WIDE - 1) * vpDefaults.highWatermark },
        },
      ];
      for (const variant of variants) {
        const groupId = group(`vp-${variant.id}`);
        console.log(`  partita virtual partitions (${variant.label})…`);
        const r = await runChild('partita', {
          variant: 'processor',
          topic: vpTopic,
          jobName: JOB_NAME,
          expected: VP.jobs,
          sleepMs: VP.sleepMs,
          settings: settings(groupId, { concurrency: VP.lanes, maxPartitions: VP.lanes, ...variant.marks }),
        });
        r.committed = await committedAll(kafkaAdmin, groupId, vpTopic, vpMarks);
        vp.push({ ...variant, ...r });
      }
      timers = await runChild('timers', { lanes: VP.lanes, sleepMs: VP.sleepMs, seconds: QUICK ? 2 : 3 });
    }

    // 5. Optional: the partita contender once more, under the CPU profiler (not in the table).
    if (PROFILE) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partita-worker-prof-'));
      console.log(`  partita Worker (processor) under --cpu-prof → ${dir}…`);
      const r = await runChild(
        'partita',
        { variant: 'processor', topic, jobName: JOB_NAME, expected: JOBS, settings: settings(group('profile')) },
        { cpuProfDir: dir },
      );
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      profile = { file: path.join(dir, file), rate: r.rate, summary: summariseProfile(path.join(dir, file), 25) };
    }
  } finally {
    for (const t of topics) await admin.deleteTopic(t).catch(() => undefined);
    await deleteGroups(kafkaAdmin, groups);
    admin.close();
    kafkaAdmin.disconnect();
  }

  // ---- report --------------------------------------------------------------------------------
  const byId = (id) => rows.find((r) => r.id === id);
  const raw = byId('raw');
  const bull = byId('bullmq');
  const primary = byId('partita-processor');
  const runsLabel = RUNS > 1 ? ` (best of ${RUNS})` : '';
  const table = markdownTable(
    ['contender', 'settings', 'jobs', 'seconds', `jobs/s${runsLabel}`, 'all runs, jobs/s', 'CPU µs/job: process + broker/Redis', 'vs raw', 'vs BullMQ'],
    rows.map((r) =>
      r.unavailable
        ? [r.contender, r.settings, '—', '—', '—', '—', '—', '—', '—']
        : [
            r.contender,
            r.settings,
            fmtInt(r.count),
            r.seconds.toFixed(2),
            fmtInt(r.rate),
            r.runs.map(fmtRun).join(' / '),
            fmtCpu(r),
            r === raw ? '1.00×' : fmtRatio(r.rate / raw.rate),
            r === bull ? '1.00×' : fmtRatio(r.rate / bull.rate),
          ],
    ),
    2,
  );
  const goalRow = vp[0];
  const efficiency = goalRow.rate / VP.ideal;
  const vpTable = markdownTable(
    ['scenario', 'jobs', 'seconds', 'jobs/s', 'ideal jobs/s', 'efficiency'],
    [
      ...vp.map((r) => [
        `partita, 1 partition, ${VP.keys} keys, ${VP.sleepMs} ms jobs, maxPartitions ${VP.lanes}, concurrency ${VP.lanes}; ${r.label}`,
        fmtInt(r.count),
        r.seconds.toFixed(2),
        fmtInt(r.rate),
        `${fmtInt(VP.ideal)} (${VP.lanes} × ${1000 / VP.sleepMs}/s)`,
        `${pct1(r.rate / VP.ideal)}${r.othersCpu >= 0.05 ? ` (others ${Math.round(100 * r.othersCpu)}%)` : ''}`,
      ]),
      [
        `reference, no Kafka: ${VP.lanes} loops awaiting a ${VP.sleepMs} ms timer`,
        fmtInt(timers.count),
        timers.seconds.toFixed(2),
        fmtInt(timers.rate),
        fmtInt(VP.ideal),
        pct1(timers.rate / VP.ideal),
      ],
    ],
    1,
  );
  const vsRaw = primary.rate / raw.rate;
  const vsBull = primary.rate / bull.rate;
  const verdict = (ok) => (ok ? 'PASS' : 'MISS');
  const goals = [
    `- partita ≥ 70% of the raw consumer: ${pct1(vsRaw)} — **${verdict(vsRaw >= GOALS.vsRaw)}**`,
    `- partita ≥ 5× BullMQ: ${vsBull.toFixed(1)}× — **${verdict(vsBull >= GOALS.vsBullmq)}**` +
      ` (here 5× BullMQ is ${pct((GOALS.vsBullmq * bull.rate) / raw.rate)} of the raw consumer's rate: the raw consumer itself reaches ${(raw.rate / bull.rate).toFixed(1)}× BullMQ)`,
    `- virtual-partition efficiency ≥ 85% (worker defaults): ${pct1(efficiency)} of ${fmtInt(VP.ideal)} jobs/s — **${verdict(efficiency >= GOALS.vpEfficiency)}**` +
      ` (with wider back-pressure marks: ${vp
        .slice(1)
        .map((r) => pct1(r.rate / VP.ideal))
        .join(', ')}; the timer-only reference reaches ${pct1(timers.rate / VP.ideal)})`,
  ].join('\n');
  // Issue 6: what enabling the job-state store costs, best against best and per round (the state
  // run against the processor run of the same round: neighbours in time on this shared machine).
  const stateLines = (row, label) => {
    const best = 1 - row.rate / primary.rate;
    const perRound = row.runs.map((r, i) => 1 - r.rate / primary.runs[i].rate);
    const median = [...perRound].sort((a, b) => a - b)[Math.floor(perRound.length / 2)];
    return [
      `- ${label}: enabling job state costs ≤ 25% of no-op throughput: best of ${RUNS} against best of ${RUNS}: ${pct1(best)} — **${verdict(best <= GOALS.stateCost)}**`,
      `  - per round, against the processor run of the same round: ${perRound.map(pct).join(' / ')}; median ${pct1(median)} — **${verdict(median <= GOALS.stateCost)}**`,
      `  - CPU µs per job, worker process + broker/Redis: ${fmtCpu(row)} with state, ${fmtCpu(primary)} without`,
    ];
  };
  const stateRows = [
    [byId('partita-state-queue'), 'state on the Queue and the Worker (as the README enables it)'],
    [byId('partita-state'), 'state on the Worker only (jobs enqueued without state)'],
  ].filter(([row]) => row && !row.unavailable);
  const stateGoal = stateRows.flatMap(([row, label]) => stateLines(row, label)).join('\n');
  console.log(`\n${table}\n\n${vpTable}\n\nGoals (primary partita row: processor function):\n${goals}\n${stateGoal ? `\nJob state:\n${stateGoal}\n` : ''}`);

  const kafkaRows = [
    ...rows.filter((r) => r.committed !== undefined),
    ...vp.map((r) => ({ contender: `virtual partitions (${r.id})`, committed: r.committed })),
  ];
  const commitNote = kafkaRows.every((r) => r.committed)
    ? 'After every Kafka run, its consumer group had committed the end offset of every partition (checked).'
    : `Committed offsets check FAILED for: ${kafkaRows
        .filter((r) => !r.committed)
        .map((r) => r.contender)
        .join(', ')}.`;
  console.log(commitNote);
  for (const r of [...rows, ...vp]) if (r.errors && r.errors.length > 0) console.log(`errors reported by ${r.contender || r.id}: ${r.errors.join('; ')}`);
  if (profile)
    console.log(
      `\nCPU profile of the partita contender (${fmtInt(profile.rate)} jobs/s under the profiler), ${profile.file}\n${formatProfile(profile.summary)}\n`,
    );

  const cpus = os.cpus();
  const allRuns = [...rows.flatMap((r) => r.runs || []), ...vp].filter((r) => r.othersCpu !== undefined);
  const worstOthers = allRuns.reduce((m, r) => Math.max(m, r.othersCpu), 0);
  const load =
    `load average (1 min) ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at the end. ` +
    (quiet.busyStarts === 0
      ? `Every timed run started on a quiet machine (≥ ${pct(QUIET_IDLE)} idle CPU)`
      : `${quiet.busyStarts} timed run(s) started on a busy machine (lowest idle ${pct(quiet.lowestIdle)})`) +
    (allRuns.length > 0
      ? `; while contenders were timed, processes outside the benchmark used at most ${pct(worstOthers)} of the CPUs (sampled from /proc)`
      : '') +
    (quiet.busyStarts > 0 || worstOthers >= 0.1 ? ' — rows marked "others" ran beside other work: treat them as lower bounds' : '');
  const machine = `${cpus.length} cores (${cpus[0] ? cpus[0].model.trim() : 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`;
  let redisVersion = 'Redis';
  try {
    redisVersion = `Redis ${execSync(`redis-cli -u ${REDIS_URL} INFO server`, { encoding: 'utf8' }).match(/redis_version:(\S+)/)[1]}`;
  } catch {
    /* reported without version */
  }
  // What the numbers say about partita (kept with the table; revise when the worker changes).
  const wide = vp[1];
  const vpFinding =
    wide && wide.rate > goalRow.rate * 1.1
      ? `- Virtual partitions: the default back-pressure marks (${vpConfig.highWatermark}/${vpConfig.lowWatermark}) cost lane time: with ${VP_WIDE}× higher marks ` +
        `the same jobs run at ${pct(wide.rate / VP.ideal)} instead of ${pct(efficiency)}. Over its high mark a partition is paused; librdkafka drops ` +
        `the messages it had prefetched, and after the resume new ones arrive only when the fetch parked at the end of the log returns ` +
        `(up to \`fetch.wait.max.ms\`, 500 ms by default). The ${fmtInt(vpConfig.lowWatermark)} jobs left at the resume last ` +
        `${Math.round((1000 * vpConfig.lowWatermark) / VP.ideal)} ms at the ideal rate; when that is shorter, the lanes run dry.`
      : `- Virtual partitions: the default back-pressure marks (${vpConfig.highWatermark}/${vpConfig.lowWatermark}) keep the lanes busy ` +
        `(${VP_WIDE}× higher marks: ${wide ? pct(wide.rate / VP.ideal) : '—'}). The gap to the ideal is mostly timers firing late on a busy ` +
        `event loop: ${VP.sleepMs} ms timers alone reach ${pct(timers.rate / VP.ideal)}.`;
  const cpuFinding =
    `- No-op throughput is CPU-bound: the worker process spends ${primary.cpuUsPerJob === undefined ? '?' : primary.cpuUsPerJob.toFixed(1)} µs of CPU per job ` +
    `against ${raw.cpuUsPerJob === undefined ? '?' : raw.cpuUsPerJob.toFixed(1)} µs for the raw consumer (whose main cost, the binding's native ` +
    `message conversion, partita pays too), on 2 cores shared with the broker.` +
    (profile ? " Top self time in the worker process, from this run's profile:" : ' `--profile` lists where it goes.');
  const profileTable = profile
    ? markdownTable(
        ['self ms', 'self %', 'function', 'where'],
        profile.summary.rows
          .filter((r) => r.fn !== '(idle)')
          .slice(0, 12)
          .map((r) => [r.selfMs.toFixed(0), r.pct.toFixed(1), `\`${r.fn}\``, r.where ? `\`${r.where}\`` : '']),
        0,
      )
    : '';
  const findings = ['**Where partita loses time:**', '', vpFinding, cpuFinding, ...(profile ? ['', profileTable] : [])].join('\n');
  const date = execSync('date -u', { encoding: 'utf8' }).trim();
  const command = `node scripts/bench/worker.js${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const section = [
    `Command: \`${command}\` (or \`npm run bench:worker\`, after \`npx turbo run build\`). Run ${date}, ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
    '',
    `Machine: ${machine}; Node ${process.version}. Kafka 4.1.1, local single broker (scripts/kafka), librdkafka ${Kafka.librdkafkaVersion}; ${redisVersion} local; BullMQ ${require('bullmq/package.json').version}; ${load}.`,
    '',
    `### Throughput, no-op jobs`,
    '',
    table,
    '',
    `### Virtual partitions`,
    '',
    vpTable,
    '',
    `### Goals`,
    '',
    'Against the primary partita row (processor function):',
    '',
    goals,
    '',
    ...(stateGoal ? ['### Job state', '', stateGoal, ''] : []),
    `How it is measured: one fresh ${PARTITIONS}-partition topic, filled once with ${fmtInt(JOBS)} no-op jobs (partita's \`Queue.addBulk\`, ${KEYS} keys), ` +
      `is read by each Kafka contender in its own consumer group, one contender at a time, each run in a fresh Node process` +
      `${RUNS > 1 ? `; each throughput row is the best of ${RUNS} runs (all runs shown)` : ''}. ` +
      `Rates are jobs (messages) divided by the time from the first completed job (first message for the raw consumer) to the last, ` +
      `so connecting and joining the group are not counted. BullMQ runs ${fmtInt(BULLMQ_JOBS)} jobs pre-filled with \`addBulk\` into a fresh queue ` +
      `(obliterated afterwards). "CPU µs/job" is the CPU time of the contender's process (all threads) and of the broker or Redis during ` +
      `the timed window, per job, sampled from /proc; "others" marks runs during which processes outside the benchmark used that share ` +
      `of the CPUs. The virtual-partition rows use their own 1-partition topic of ${fmtInt(VP.jobs)} jobs; the timer-only reference shows what ${VP.sleepMs} ms ` +
      `timers allow without any Kafka (Node's timers fire a little late, so 100% is out of reach). ${commitNote} ` +
      `Topics and consumer groups of the run are deleted at the end.`,
    '',
    findings,
  ].join('\n');
  if (WRITE) {
    writeSection(path.join(ROOT, 'BENCHMARKS.md'), section);
    console.log('BENCHMARKS.md: Worker section updated');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
