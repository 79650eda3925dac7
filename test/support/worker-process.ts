import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait';

const CLI = path.join(__dirname, '../../packages/worker/bin/partita.js');

export interface WorkerProcessOptions {
  /** Path of the jobs module (a JS fixture). */
  jobs: string;
  queue: string;
  group: string;
  concurrency?: number;
  maxPartitions?: number;
  longRunning?: boolean;
  shutdownTimeoutMs?: number;
  revokeGraceMs?: number;
  /** librdkafka properties (`--kafka k=v`). */
  kafka?: Record<string, string | number>;
  env?: Record<string, string>;
  /** Record job state in this Redis (`--redis`). */
  redis?: string;
  /** Key prefix of the job state (`--state-prefix`). */
  statePrefix?: string;
}

/** A real `partita worker` process started through the CLI, with its output captured. */
export class WorkerProcess {
  readonly lines: string[] = [];
  /** When each line arrived (epoch ms), parallel to `lines`. */
  readonly times: number[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(options: WorkerProcessOptions) {
    const args = [CLI, 'worker', '--jobs', options.jobs, '--queue', options.queue, '--group', options.group, '--stats-interval', '0'];
    if (options.concurrency) args.push('--concurrency', String(options.concurrency));
    if (options.maxPartitions) args.push('--max-partitions', String(options.maxPartitions));
    if (options.longRunning) args.push('--long-running');
    if (options.shutdownTimeoutMs) args.push('--shutdown-timeout', String(options.shutdownTimeoutMs));
    if (options.revokeGraceMs !== undefined) args.push('--revoke-grace', String(options.revokeGraceMs));
    if (options.redis) args.push('--redis', options.redis);
    if (options.statePrefix) args.push('--state-prefix', options.statePrefix);
    for (const [k, v] of Object.entries(options.kafka ?? {})) args.push('--kafka', `${k}=${v}`);
    this.child = spawn(process.execPath, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Each stream is split into lines on its own: a chunk may end in the middle of a line.
    const collector = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() as string;
        for (const line of parts.filter(Boolean)) {
          this.lines.push(line);
          this.times.push(Date.now());
        }
      };
    };
    this.child.stdout?.on('data', collector());
    this.child.stderr?.on('data', collector());
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Partitions this worker holds now, from its `assigned`/`revoked` log lines. */
  assigned(): Set<string> {
    const held = new Set<string>();
    for (const line of this.lines) {
      const m = line.match(/\[partita\] (assigned|revoked) ([^(]+)/);
      if (!m) continue;
      for (const tp of m[2].trim().split(', ')) {
        if (m[1] === 'assigned') held.add(tp);
        else held.delete(tp);
      }
    }
    return held;
  }

  /** Assignment changes with the time they were seen: [time, 'assigned' | 'revoked', 'topic/partition']. */
  assignmentChanges(): Array<{ at: number; change: 'assigned' | 'revoked'; tp: string }> {
    const changes: Array<{ at: number; change: 'assigned' | 'revoked'; tp: string }> = [];
    this.lines.forEach((line, i) => {
      const m = line.match(/\[partita\] (assigned|revoked) ([^(]+)/);
      if (m) for (const tp of m[2].trim().split(', ')) changes.push({ at: this.times[i], change: m[1] as 'assigned' | 'revoked', tp });
    });
    return changes;
  }

  async waitForLine(pattern: RegExp, timeoutMs = 30000): Promise<string> {
    await waitFor(() => this.lines.some((l) => pattern.test(l)), {
      timeoutMs,
      message: () => `${pattern} in worker output:\n${this.lines.slice(-20).join('\n')}`,
    });
    return this.lines.find((l) => pattern.test(l)) as string;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL and wait for the exit, if still running. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
