// Process lifecycle of `partita worker`, driven from outside as an operator's tools drive it:
// SIGTERM and kill -9 of the `npx` that launched it (the README's way, what Docker, systemd and
// Kubernetes signal), stdout/stderr pipes closed under it, SIGTERM with a job that never settles,
// before its first assignment, and while a rebalance waits on a member killed with -9. Each time
// the worker process must be gone within its shutdown timeout and its partitions free for others.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from '@partita/enqueuer';
import { ChaosBroker } from '../support/chaos-broker';
import { BROKERS, TestAdmin } from '../support/kafka-admin';
import { uniqueName, waitFor } from '../support/wait';
import { WorkerProcess } from '../support/worker-process';
import { RECORDING_JOBS } from '../support/worker-test-kit';

const REPO = path.join(__dirname, '../..');
// The CLI under test; PARTITA_TEST_CLI points it at another build (to see these tests fail without a fix).
const CLI = process.env.PARTITA_TEST_CLI ?? path.join(REPO, 'packages/worker/bin/partita.js');
const PARTITIONS = 2;

const admin = new TestAdmin();
const started: ChildProcess[] = [];
const workers: WorkerProcess[] = [];
const strays: number[] = [];

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.kill()));
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
  admin.close();
});

/** Timings, for whoever reads the run's output. */
function report(line: string): void {
  process.stdout.write(`[lifecycle] ${line}\n`);
}

/** Running and not a zombie (an orphan's zombie lingers when process 1 does not reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every process below `pid`, from /proc. */
function descendants(pid: number): Array<{ pid: number; argv: string[] }> {
  const all = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
        return [{ pid: Number(name), ppid, argv }];
      } catch {
        return [];
      }
    });
  const found: Array<{ pid: number; argv: string[] }> = [];
  const walk = (parent: number) => {
    for (const p of all.filter((x) => x.ppid === parent)) {
      found.push(p);
      walk(p.pid);
    }
  };
  walk(pid);
  return found;
}

interface Launched {
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
}

function launch(command: string, args: string[], env: Record<string, string>, cwd = REPO): Launched {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, lines, exited };
}

function workerArgs(queue: string, group: string, extra: string[] = []): string[] {
  return ['worker', '--jobs', RECORDING_JOBS, '--queue', queue, '--group', group, '--stats-interval', '0', ...extra];
}

async function newQueue(prefix: string): Promise<{ queue: string; group: string; env: Record<string, string> }> {
  const queue = uniqueName(prefix);
  await admin.createTopic(queue, PARTITIONS);
  const env = { QUEUE: queue, RECORD_FILE: path.join(os.tmpdir(), `${queue}.jsonl`), STARTED_LOG: '1' };
  return { queue, group: uniqueName(`${prefix}-group`), env };
}

const assignedAll = (lines: string[]) => lines.some((l) => new RegExp(`now ${PARTITIONS} partitions`).test(l));

/**
 * A new worker in the group gets every partition quickly: the stopped one left the group (else the
 * broker would wait for its session to time out, 45 s by default). Returns how long it took.
 */
async function successorTakesOver(queue: string, group: string, env: Record<string, string>, withinMs: number, { thenKill = false } = {}): Promise<number> {
  const since = Date.now();
  const successor = new WorkerProcess({ jobs: RECORDING_JOBS, queue, group, env });
  workers.push(successor);
  await waitFor(() => successor.assigned().size === PARTITIONS, {
    timeoutMs: withinMs,
    message: () => `a successor to hold all partitions:\n${successor.lines.join('\n')}`,
  });
  const took = Date.now() - since;
  if (thenKill) {
    await successor.kill();
  } else {
    // Stopped gracefully, so that it too leaves the group for the next round.
    successor.signal('SIGTERM');
    await successor.exited;
  }
  return took;
}

/** Waits until `pid` is gone; returns how long that took after `since`. */
async function goneWithin(pid: number, since: number, timeoutMs: number, output: () => string[]): Promise<number> {
  await waitFor(() => !alive(pid), { timeoutMs, intervalMs: 20, message: () => `worker pid ${pid} to exit; it said:\n${output().slice(-15).join('\n')}` });
  return Date.now() - since;
}

describe('launched with npx, as the README says', () => {
  // `npx --no-install partita` from the repository resolves the workspace's bin, as in an app.
  const viaNpx = (queue: string, group: string, env: Record<string, string>): Launched =>
    process.env.PARTITA_TEST_CLI
      ? launch('npx', ['--no-install', 'node', CLI, ...workerArgs(queue, group)], env)
      : launch('npx', ['--no-install', 'partita', ...workerArgs(queue, group)], env);

  /** The node process below npx (and its `sh -c`) that runs this group's worker. */
  const workerBelow = (npx: ChildProcess, group: string): number => {
    const worker = descendants(npx.pid as number).find((p) => /(^|\/)node$/.test(p.argv[0] ?? '') && p.argv.includes('worker') && p.argv.includes(group));
    if (!worker) throw new Error(`no worker process below npx (pid ${npx.pid}): ${JSON.stringify(descendants(npx.pid as number))}`);
    return worker.pid;
  };

  test.each(['SIGTERM', 'SIGKILL'] as const)('%s to npx: the worker stops too and leaves the group', async (signal) => {
    const { queue, group, env } = await newQueue(`npx-${signal.toLowerCase()}`);
    const npx = viaNpx(queue, group, env);
    await waitFor(() => assignedAll(npx.lines), { timeoutMs: 60000, message: () => `the worker's assignment:\n${npx.lines.join('\n')}` });
    const worker = workerBelow(npx.child, group);
    strays.push(worker);

    const signalledAt = Date.now();
    npx.child.kill(signal);
    // The graceful path: noticed within 0.5 s, nothing running, so well under the 30 s timeout.
    const took = await goneWithin(worker, signalledAt, 10000, () => npx.lines);
    report(`${signal} to npx: worker gone after ${took} ms`);
    expect(took).toBeLessThan(10000);
    expect(npx.lines.join('\n')).toMatch(/exited: running jobs get up to/);
    expect(await successorTakesOver(queue, group, env, 10000)).toBeLessThan(10000);
    await admin.deleteTopic(queue);
  });
});

describe('a worker whose stdout and stderr were closed', () => {
  test('still stops on SIGTERM, every time, and leaves the group', async () => {
    const { queue, group, env } = await newQueue('closed-pipes');
    // Several rounds: a hang here came and went with timing (2 of 3 runs).
    for (let round = 0; round < 3; round++) {
      const worker = launch(process.execPath, [CLI, ...workerArgs(queue, group)], env);
      await waitFor(() => assignedAll(worker.lines), { timeoutMs: 60000, message: () => `assignment:\n${worker.lines.join('\n')}` });
      // The reader goes away: every later write of the worker fails with EPIPE.
      worker.child.stdout?.destroy();
      worker.child.stderr?.destroy();
      const signalledAt = Date.now();
      worker.child.kill('SIGTERM');
      const took = await goneWithin(worker.child.pid as number, signalledAt, 15000, () => worker.lines);
      const takeover = await successorTakesOver(queue, group, env, 10000);
      report(`closed pipes, round ${round + 1}: gone ${took} ms after SIGTERM, successor held all partitions after ${takeover} ms`);
      expect(took).toBeLessThan(15000);
      expect(takeover).toBeLessThan(10000);
    }
    await admin.deleteTopic(queue);
  });
});

describe('shutdownTimeoutMs bounds the whole shutdown', () => {
  // Exit within the timeout plus this: process teardown and the test's polling, no more.
  const SLACK_MS = 700;

  test('a job that never settles: exit within shutdownTimeoutMs, and a restart gets the partitions at once', async () => {
    const { queue, group, env } = await newQueue('never-settles');
    const shutdownTimeoutMs = 6000;
    const worker = launch(process.execPath, [CLI, ...workerArgs(queue, group, ['--shutdown-timeout', String(shutdownTimeoutMs)])], env);
    await waitFor(() => assignedAll(worker.lines), { timeoutMs: 60000, message: () => `assignment:\n${worker.lines.join('\n')}` });
    const q = new Queue(queue, { connection: { brokers: BROKERS } });
    // 1e9 ms and deaf to ctx.signal (HONOUR_SIGNAL unset): it settles neither on time nor on abort.
    await q.add('Record', { key: 'stuck', seq: 0, ms: 1e9 }, { key: 'stuck' });
    await q.close();
    await waitFor(() => worker.lines.some((l) => l.startsWith('[started] stuck')), { timeoutMs: 30000, message: 'the job to start' });

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const took = await goneWithin(worker.child.pid as number, signalledAt, shutdownTimeoutMs + 10000, () => worker.lines);
    // Killed after: it runs the stuck job again, and nobody needs the group afterwards.
    const takeover = await successorTakesOver(queue, group, env, 10000, { thenKill: true });
    report(`never-settling job, shutdownTimeoutMs ${shutdownTimeoutMs}: gone after ${took} ms, successor held all partitions after ${takeover} ms`);
    expect(took).toBeLessThan(shutdownTimeoutMs + SLACK_MS);
    expect(takeover).toBeLessThan(10000);
    await admin.deleteTopic(queue);
  });

  /** A member of the group that is killed with -9: the group waits for it until its session times out. */
  async function deadMember(queue: string, group: string, env: Record<string, string>, sessionTimeoutMs: number): Promise<number> {
    const member = launch(
      process.execPath,
      [CLI, ...workerArgs(queue, group, ['--kafka', `session.timeout.ms=${sessionTimeoutMs}`, '--kafka', 'heartbeat.interval.ms=1000'])],
      env,
    );
    await waitFor(() => member.lines.some((l) => /\[partita\] assigned/.test(l)), {
      timeoutMs: 60000,
      message: () => `the member's assignment:\n${member.lines.join('\n')}`,
    });
    member.child.kill('SIGKILL');
    await member.exited;
    return Date.now();
  }

  test('SIGTERM before the first assignment (the group waits on a dead member): exit within shutdownTimeoutMs', async () => {
    const { queue, group, env } = await newQueue('before-assignment');
    await deadMember(queue, group, env, 30000);
    const shutdownTimeoutMs = 3000;
    const worker = launch(process.execPath, [CLI, ...workerArgs(queue, group, ['--shutdown-timeout', String(shutdownTimeoutMs)])], env);
    await waitFor(() => worker.lines.some((l) => l === '[partita] running'), {
      timeoutMs: 30000,
      message: () => `the worker to start:\n${worker.lines.join('\n')}`,
    });
    // Its JoinGroup is now waiting at the broker for the dead member.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(worker.lines.some((l) => /\[partita\] assigned/.test(l))).toBe(false);

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const took = await goneWithin(worker.child.pid as number, signalledAt, 60000, () => worker.lines);
    report(`before the first assignment, shutdownTimeoutMs ${shutdownTimeoutMs}: gone after ${took} ms`);
    expect(took).toBeLessThan(shutdownTimeoutMs + SLACK_MS);
    await admin.deleteTopic(queue);
  });

  test('SIGTERM while a rebalance waits on a member killed with -9: exit within shutdownTimeoutMs; the group does not wait for the stopped worker', async () => {
    const { queue, group, env } = await newQueue('rebalance-dead');
    const shutdownTimeoutMs = 3000;
    const stopping = launch(process.execPath, [CLI, ...workerArgs(queue, group, ['--shutdown-timeout', String(shutdownTimeoutMs)])], env);
    await waitFor(() => assignedAll(stopping.lines), { timeoutMs: 60000, message: () => `assignment:\n${stopping.lines.join('\n')}` });
    const memberSessionMs = 15000;
    const killedAt = await deadMember(queue, group, env, memberSessionMs);
    // A newcomer starts a rebalance that cannot end before the dead member's session does.
    const newcomer = new WorkerProcess({ jobs: RECORDING_JOBS, queue, group, env });
    workers.push(newcomer);
    await newcomer.waitForLine(/\[partita\] running/);
    // The stopping worker learns of the rebalance by its next heartbeat (3 s apart) and rejoins;
    // the rebalance cannot end before the dead member's session does.
    await new Promise((resolve) => setTimeout(resolve, 4000));

    const signalledAt = Date.now();
    stopping.child.kill('SIGTERM');
    const took = await goneWithin(stopping.child.pid as number, signalledAt, 60000, () => stopping.lines);
    report(`rebalance waiting on a killed member, shutdownTimeoutMs ${shutdownTimeoutMs}: gone after ${took} ms`);
    expect(took).toBeLessThan(shutdownTimeoutMs + SLACK_MS);
    // The newcomer gets everything once the dead member's session ends; had the stopped worker not
    // left, the broker would also wait out its session (45 s) after it exited.
    await waitFor(() => newcomer.assigned().size === PARTITIONS, {
      timeoutMs: 60000,
      message: () => `the newcomer's assignment:\n${newcomer.lines.join('\n')}`,
    });
    report(`newcomer held all partitions ${Date.now() - killedAt} ms after the member was killed (its session: ${memberSessionMs} ms)`);
    expect(Date.now() - killedAt).toBeLessThan(memberSessionMs + 15000);
    await newcomer.kill();
    await admin.deleteTopic(queue);
  });
});

describe('a worker that loses its broker', () => {
  // A broker of this file's own (ports and data apart from the other chaos tests'), killed with -9.
  const broker = new ChaosBroker({ port: 19192, controllerPort: 19193, stateDir: '.kafka/chaos-lifecycle' });

  afterAll(async () => {
    await broker.stop();
  });

  test('says once that the brokers are gone and once that they are back, and goes on running jobs', async () => {
    await broker.startFresh();
    const queue = uniqueName('broker-loss');
    const env = { QUEUE: queue, RECORD_FILE: path.join(os.tmpdir(), `${queue}.jsonl`), PARTITA_BROKERS: broker.brokers };
    await promisify(execFile)(process.execPath, [CLI, 'topic', 'create', queue, '--partitions', '1', '--brokers', broker.brokers]);
    const worker = launch(process.execPath, [CLI, ...workerArgs(queue, uniqueName('broker-loss-group'), ['--brokers', broker.brokers])], env);
    await waitFor(() => worker.lines.some((l) => /\[partita\] assigned/.test(l)), {
      timeoutMs: 60000,
      message: () => `assignment:\n${worker.lines.join('\n')}`,
    });
    const ran = () =>
      fs.existsSync(env.RECORD_FILE)
        ? fs
            .readFileSync(env.RECORD_FILE, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { k: string; pid: number })
        : [];
    const enqueue = async (key: string) => {
      const q = new Queue(queue, { connection: { brokers: broker.brokers } });
      await q.add('Record', { key, seq: 0, ms: 0 }, { key });
      await q.close();
    };
    await enqueue('before');
    await waitFor(() => ran().some((r) => r.k === 'before'), { timeoutMs: 30000, message: 'the job before the outage' });

    await broker.kill9();
    const lost = /\[partita\] lost every Kafka broker/;
    await waitFor(() => worker.lines.some((l) => lost.test(l)), {
      timeoutMs: 30000,
      message: () => `the worker to say the brokers are gone:\n${worker.lines.slice(-10).join('\n')}`,
    });
    await broker.restart();
    const back = /\[partita\] Kafka brokers are back after \d+\.\d s/;
    await waitFor(() => worker.lines.some((l) => back.test(l)), {
      timeoutMs: 60000,
      message: () => `the worker to say the brokers are back:\n${worker.lines.slice(-10).join('\n')}`,
    });

    // It recovered by itself: the same process runs a job enqueued after the outage.
    await enqueue('after');
    await waitFor(() => ran().some((r) => r.k === 'after'), {
      timeoutMs: 60000,
      message: () => `the job after the outage:\n${worker.lines.slice(-10).join('\n')}`,
    });
    expect(ran().find((r) => r.k === 'after')?.pid).toBe(worker.child.pid);
    // Once each, not a line per reconnect attempt.
    expect(worker.lines.filter((l) => lost.test(l))).toHaveLength(1);
    expect(worker.lines.filter((l) => back.test(l))).toHaveLength(1);
    report(`broker loss: ${worker.lines.filter((l) => lost.test(l) || back.test(l)).join(' / ')}`);

    worker.child.kill('SIGTERM');
    await worker.exited;
  });
});
