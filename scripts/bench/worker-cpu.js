'use strict';
// CPU accounting for scripts/bench/worker.js on a shared machine: how much of the CPUs processes
// outside the benchmark (not the contender, the broker, Redis or the bench itself) used while a
// contender was being timed. Linux /proc only; elsewhere the numbers are simply left out.

const fs = require('node:fs');
const os = require('node:os');

const CLK_TCK = 100; // USER_HZ of /proc (100 on Linux)

/**
 * CPU seconds the machine's processes used so far (user + nice + system; interrupt time, mostly the
 * benchmark's own loopback traffic, and steal are left out), or undefined off Linux.
 */
function machineBusySeconds() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2]) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** CPU seconds of one process so far, all its threads included; 0 when unknown. */
function processSeconds(pid) {
  if (!pid) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's main thread (the JS thread) so far; 0 when unknown. */
function mainThreadSeconds() {
  return processSeconds(`${process.pid}/task/${process.pid}`);
}

/**
 * Samples, every `intervalMs`, the machine's busy time, this process's CPU time, that of the
 * benchmark's other processes (`ownPids`: the bench itself, the broker, Redis) and the time.
 * `window(startNs, endNs)` then tells, between two hrtime instants: the share of the machine's
 * CPU capacity other processes used, and the CPU seconds this process and `ownPids` used.
 */
function startCpuSampler(ownPids, intervalMs = 50) {
  const samples = [];
  const take = () => {
    const busy = machineBusySeconds();
    if (busy === undefined) return;
    const self = process.cpuUsage();
    const selfSeconds = (self.user + self.system) / 1e6;
    const own = ownPids.reduce((sum, pid) => sum + processSeconds(pid), 0);
    samples.push({ t: process.hrtime.bigint(), busy, self: selfSeconds, own, main: mainThreadSeconds() });
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
    },
    /** { othersShare (0..1), selfSeconds, ownSeconds, mainSeconds (this process's JS thread), seconds } over [startNs, endNs], or undefined. */
    window(startNs, endNs) {
      if (samples.length < 2 || startNs === undefined || endNs === undefined) return undefined;
      const start = BigInt(startNs);
      const end = BigInt(endNs);
      // The tightest sampled span that covers the window.
      let a = samples[0];
      for (const s of samples) if (s.t <= start) a = s;
      let b = samples[samples.length - 1];
      for (let i = samples.length - 1; i >= 0; i--) if (samples[i].t >= end) b = samples[i];
      const seconds = Number(b.t - a.t) / 1e9;
      if (seconds <= 0) return undefined;
      const selfSeconds = b.self - a.self;
      const ownSeconds = b.own - a.own;
      const mainSeconds = b.main - a.main;
      const others = b.busy - a.busy - selfSeconds - ownSeconds;
      return { othersShare: Math.min(1, Math.max(0, others / (seconds * os.cpus().length))), selfSeconds, ownSeconds, mainSeconds, seconds };
    },
  };
}

module.exports = { startCpuSampler, machineBusySeconds, processSeconds };
