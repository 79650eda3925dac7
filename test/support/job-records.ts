import fs from 'node:fs';

/** One run of a recording fixture job (see packages/worker/test/integration/fixtures/recording-jobs.js). */
export interface JobRecord {
  /** key, seq, partition, offset, attempt, start and end (epoch ms, fractional), pid, revoked at the end */
  k: string;
  s: number;
  p: number;
  o: number;
  a: number;
  t0: number;
  t1: number;
  pid: number;
  rev: boolean;
}

/**
 * The complete records of a file that worker processes may still be appending to. A reader can
 * catch a line while its write is under way: text after the last newline is not a record yet (it
 * is complete on a later read; every record is one write ending in a newline).
 */
export function readRecords(file: string): JobRecord[] {
  return readJsonLines<JobRecord>(file);
}

/** The complete JSON lines of a file that processes may still be appending to (see {@link readRecords}). */
export function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

export function countLines(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Runs grouped by key, in start order. */
export function runsByKey(records: JobRecord[]): Map<string, JobRecord[]> {
  const map = new Map<string, JobRecord[]>();
  for (const r of records) {
    const list = map.get(r.k) ?? [];
    list.push(r);
    map.set(r.k, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.t0 - b.t0);
  return map;
}

/** Keys whose runs overlap in time (two runs of one key at once) — must be empty. */
export function overlappingKeys(records: JobRecord[]): string[] {
  const bad: string[] = [];
  for (const [key, runs] of runsByKey(records)) {
    for (let i = 1; i < runs.length; i++) if (runs[i].t0 < runs[i - 1].t1) bad.push(`${key}: seq ${runs[i - 1].s} and ${runs[i].s}`);
  }
  return bad;
}

/**
 * Order violations: a job of a key that started before every earlier job of that key (seqs count
 * from 0) had finished at least once. Re-runs after a revocation are allowed; skipping ahead is not.
 */
export function orderViolations(records: JobRecord[]): string[] {
  const bad: string[] = [];
  for (const [key, runs] of runsByKey(records)) {
    const byEnd = [...runs].sort((a, b) => a.t1 - b.t1);
    const done = new Set<number>();
    let contiguous = -1; // every seq <= contiguous has finished
    let e = 0;
    for (const run of runs) {
      while (e < byEnd.length && byEnd[e].t1 <= run.t0) done.add(byEnd[e++].s);
      while (done.has(contiguous + 1)) contiguous++;
      if (run.s > contiguous + 1) bad.push(`${key}: seq ${run.s} started before seq ${contiguous + 1} finished`);
    }
  }
  return bad;
}

/** Number of pairs of runs of different keys in one partition that overlapped in time. */
export function crossKeyOverlaps(records: JobRecord[]): number {
  let overlaps = 0;
  const byPartition = new Map<string, JobRecord[]>();
  for (const r of records) {
    const id = `${r.pid}/${r.p}`;
    byPartition.set(id, [...(byPartition.get(id) ?? []), r]);
  }
  for (const runs of byPartition.values()) {
    runs.sort((a, b) => a.t0 - b.t0);
    let maxEnd = -Infinity;
    let maxKey = '';
    for (const run of runs) {
      if (run.t0 < maxEnd && run.k !== maxKey) overlaps++;
      if (run.t1 > maxEnd) {
        maxEnd = run.t1;
        maxKey = run.k;
      }
    }
  }
  return overlaps;
}
