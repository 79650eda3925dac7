import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Notices that the process that launched the worker is gone, so the worker stops instead of
 * running on as an orphan that keeps its partitions.
 *
 * Why it is needed: `npx partita worker` (npm exec) runs the bin through `sh -c`, and on SIGTERM
 * npm forwards the signal to that shell only; the shell dies of it without passing it on, npm
 * exits, and the worker, never signalled, runs on. A `kill -9` of npx leaves the shell and the
 * worker running. Node has no parent-death signal (Linux prctl PR_SET_PDEATHSIG), so the watch
 * polls: the worker's parent must stay its parent, and when that parent is a `sh -c` wrapper, the
 * wrapper's parent (npm) must stay the wrapper's parent and alive. Linux's /proc shows the
 * wrapper's parent; elsewhere only the worker's own parent is watched.
 */
export interface LauncherWatch {
  /** The processes watched, nearest first (the parent, then the launcher behind a `sh -c`). */
  readonly chain: readonly ProcessInfo[];
  stop(): void;
}

export interface ProcessInfo {
  pid: number;
  /** The process's name, e.g. `sh` or `npm exec partit` (the kernel keeps 15 characters); '' when unknown. */
  command: string;
}

/** How often the launcher is checked: a stop is noticed within this long. */
export const LAUNCHER_CHECK_MS = 500;

interface ProcStat {
  ppid: number;
  state: string;
}

/** Reads /proc/<pid>/stat: its parent and its state (`Z` for a zombie); undefined when gone or not on Linux. */
function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** The process's name as the kernel keeps it (at most 15 characters, e.g. `sh`, `npm exec partit`). */
function readName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function readArgv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

/** A shell that runs one command line (`sh -c '...'`): it passes no signal on and dies of SIGTERM. */
function isShellWrapper(argv: string[]): boolean {
  return argv.length >= 2 && /^(ba|da|z|k|a)?sh$/.test(path.basename(argv[0])) && argv[1] === '-c';
}

/**
 * The processes to watch: the parent, and behind a `sh -c` wrapper the wrapper's parent. Empty when
 * the worker has no launcher to lose (it is process 1, or a child of process 1 from the start).
 */
export function launcherChain(ppid = process.ppid): ProcessInfo[] {
  if (ppid <= 1) return [];
  const parentArgv = readArgv(ppid);
  const chain: ProcessInfo[] = [{ pid: ppid, command: readName(ppid) }];
  if (isShellWrapper(parentArgv)) {
    const grandparent = readStat(ppid)?.ppid;
    if (grandparent !== undefined && grandparent > 1) chain.push({ pid: grandparent, command: readName(grandparent) });
  }
  return chain;
}

/**
 * Why the launcher chain is broken, or undefined while it holds. Each link must still be the parent
 * of the one before it (a dead parent's children move to process 1 or a subreaper) and not a zombie.
 */
export function brokenLink(chain: readonly ProcessInfo[], ppid = process.ppid): string | undefined {
  if (chain.length === 0) return undefined;
  if (ppid !== chain[0].pid) return `its parent process (${describe(chain[0])}) exited`;
  for (let i = 0; i < chain.length; i++) {
    const stat = readStat(chain[i].pid);
    // Not on Linux (no /proc): the parent check above is all there is.
    if (stat === undefined && i === 0) return undefined;
    if (stat === undefined || stat.state === 'Z') return `${i === 0 ? 'its parent process' : 'the process that launched it'} (${describe(chain[i])}) exited`;
    const next = chain[i + 1];
    if (next && stat.ppid !== next.pid) return `the process that launched it (${describe(next)}) exited`;
  }
  return undefined;
}

function describe(info: ProcessInfo): string {
  return info.command ? `${info.command}, pid ${info.pid}` : `pid ${info.pid}`;
}

/** Calls `onGone` once, with the reason, when the launcher chain breaks. */
export function watchLauncher(onGone: (reason: string) => void, intervalMs = LAUNCHER_CHECK_MS): LauncherWatch {
  const chain = launcherChain();
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  if (chain.length > 0) {
    timer = setInterval(() => {
      const reason = brokenLink(chain);
      if (reason === undefined) return;
      stop();
      onGone(reason);
    }, intervalMs);
    // The watch alone must not keep a finished process alive.
    timer.unref();
  }
  return { chain, stop };
}
