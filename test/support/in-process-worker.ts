import { Worker, WorkerOptions, Processor, JobInfo } from '@partita/worker';
import { BROKERS } from './kafka-admin';
import { waitFor } from './wait';

/** One try of a job as a test processor saw it. */
export interface Run {
  key: string | null;
  seq: number;
  attempt: number;
  partition: number;
  offset: number;
  t0: number;
  t1: number;
  ok: boolean;
}

/**
 * A real Worker in the test process around a processor that records every try. `behaviour` decides
 * per try whether it throws (return an Error) and how long it takes.
 */
export async function startRecordingWorker(
  queue: string,
  behaviour: (job: JobInfo<{ seq: number }>) => { ms?: number; error?: Error },
  options: WorkerOptions = {},
) {
  const runs: Run[] = [];
  const processor: Processor<{ seq: number }> = async (job) => {
    const t0 = performance.timeOrigin + performance.now();
    const { ms = 0, error } = behaviour(job);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    runs.push({
      key: job.key,
      seq: job.data.seq,
      attempt: job.attempt,
      partition: job.partition,
      offset: job.offset,
      t0,
      t1: performance.timeOrigin + performance.now(),
      ok: !error,
    });
    if (error) throw error;
    return job.data.seq;
  };
  const worker = new Worker(queue, processor as Processor, { connection: { brokers: BROKERS }, ...options });
  const errors: Error[] = [];
  const deadLettered: Array<{ job: JobInfo; at: number; topic: string | null; partition?: number; offset?: number }> = [];
  worker.on('error', (e) => errors.push(e));
  worker.on('deadLettered', (job, info) =>
    deadLettered.push({ job, at: performance.timeOrigin + performance.now(), topic: info.topic, partition: info.partition, offset: info.offset }),
  );
  const failed: Array<{ job: JobInfo; error: Error; willRetry: boolean; delayMs?: number }> = [];
  worker.on('failed', (job, error, info) => failed.push({ job, error, willRetry: info.willRetry, delayMs: info.delayMs }));
  await worker.run();
  await waitFor(() => worker.assignment().length > 0, { timeoutMs: 60000, message: `assignment of ${queue}` });
  return { worker, runs, errors, deadLettered, failed };
}

/** Per-key order with retries: every try of seq n of a key starts after the last try of seq n-1 ended. */
export function retryOrderViolations(runs: Run[], deadAt: Map<string, number> = new Map()): string[] {
  const bad: string[] = [];
  const byKey = new Map<string, Run[]>();
  for (const r of runs) byKey.set(String(r.key), [...(byKey.get(String(r.key)) ?? []), r]);
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.t0 - b.t0);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      if (cur.seq < prev.seq) bad.push(`${key}: seq ${cur.seq} after ${prev.seq}`);
      if (cur.t0 < prev.t1) bad.push(`${key}: seq ${cur.seq} overlapped seq ${prev.seq}`);
      const dead = deadAt.get(`${key}/${prev.seq}`);
      if (cur.seq > prev.seq && dead !== undefined && cur.t0 < dead) bad.push(`${key}: seq ${cur.seq} started before seq ${prev.seq} was dead-lettered`);
    }
  }
  return bad;
}
