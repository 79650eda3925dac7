'use strict';
// Child process of scripts/bench/worker.js: runs one contender in a fresh process (own heap, own
// JIT state, optional --cpu-prof) and reports its result over IPC. Not meant to be run by hand.

const { runRawConsumer } = require('./raw-consumer');
const { runPartitaWorker, runTimerBaseline } = require('./worker-partita');
const { runBullmqWorker } = require('./bullmq-worker');
const { startCpuSampler } = require('./worker-cpu');

const CONTENDERS = {
  raw: runRawConsumer,
  partita: runPartitaWorker,
  bullmq: runBullmqWorker,
  timers: runTimerBaseline,
};

process.once('message', async ({ kind, params, ownPids = [] }) => {
  let reply;
  // Samples the machine's CPU while the contender runs: what other processes took meanwhile.
  const sampler = startCpuSampler(ownPids);
  try {
    const run = CONTENDERS[kind];
    if (!run) throw new Error(`unknown contender ${kind}`);
    const result = await run(params);
    sampler.stop();
    const cpu = result.window ? sampler.window(...result.window) : undefined;
    if (cpu) {
      result.othersCpu = cpu.othersShare;
      // CPU per job in the timed window: this process (librdkafka's threads included), and the broker + Redis.
      result.cpuUsPerJob = (1e6 * cpu.selfSeconds * (result.seconds / cpu.seconds)) / result.count;
      result.infraUsPerJob = (1e6 * cpu.ownSeconds * (result.seconds / cpu.seconds)) / result.count;
      // The JS thread alone: what limits a partita worker's rate (librdkafka's threads are apart).
      result.mainUsPerJob = (1e6 * cpu.mainSeconds * (result.seconds / cpu.seconds)) / result.count;
    }
    reply = { ok: true, result };
  } catch (error) {
    reply = { ok: false, error: error && error.stack ? error.stack : String(error) };
  }
  // Exit once the reply is out; with --cpu-prof, Node writes the profile on this exit.
  process.send(reply, () => process.exit(reply.ok ? 0 : 1));
});
