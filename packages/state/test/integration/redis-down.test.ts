// Redis stopped (and frozen) mid-run: the recorder keeps taking events without throwing or
// blocking, buffers within its bound, drops and counts the rest, says so, and writes new state
// again once Redis is back. The test runs its own redis-server on a free port.
import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { attachStateRecorder, createStateStore, StateStore, StateUnavailableError } from '@partita/state';
import { waitFor } from '../../../../test/support/wait';
import { FakeWorker, sleep } from './helpers';

let server: ChildProcess | undefined;
let port = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(p));
    });
  });
}

/** A fake worker recorded into `store`, and the store's degraded/recovered events in order. */
function recordWith(store: StateStore): { events: string[]; worker: FakeWorker } {
  const events: string[] = [];
  store.on('degraded', () => events.push('degraded'));
  store.on('recovered', () => events.push('recovered'));
  const worker = new FakeWorker();
  attachStateRecorder(worker, store);
  return { events, worker };
}

async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  await waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', { timeoutMs: 10_000, message: `redis-server on ${port}` });
  probe.disconnect();
}

async function killRedis(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const proc = server;
  server = undefined;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
});

afterAll(async () => {
  if (server?.pid) process.kill(server.pid, 'SIGCONT');
  await killRedis();
});

/** Emits `count` job life cycles and returns the longest time one `emit` pair took, in ms. */
function runJobs(worker: FakeWorker, from: number, count: number): number {
  let longest = 0;
  for (let i = from; i < from + count; i++) {
    const job = worker.job('mail', `m-${i}`);
    const started = performance.now();
    worker.complete(job, i);
    longest = Math.max(longest, performance.now() - started);
  }
  return longest;
}

test('Redis killed mid-run, then restarted: no throw, bounded buffer, counted drops, state resumes', async () => {
  const warnings: string[] = [];
  const store: StateStore = createStateStore({
    redis: `redis://127.0.0.1:${port}`,
    prefix: 'down',
    maxBufferedWrites: 1000,
    writeTimeoutMs: 500,
    readTimeoutMs: 500,
    retryMinMs: 50,
    retryMaxMs: 200,
    logger: { warn: (line) => warnings.push(line) },
  });
  const { events, worker } = recordWith(store);
  try {
    await store.waitUntilReady();
    runJobs(worker, 0, 500);
    expect(await store.flush()).toBe(true);
    expect(await store.getJob('mail', 'm-499')).toMatchObject({ state: 'completed', returnvalue: 499 });

    await killRedis();
    // The worker goes on: 3,000 more jobs over ~1.5 s while Redis is gone.
    let longest = 0;
    for (let round = 0; round < 15; round++) {
      longest = Math.max(longest, runJobs(worker, 500 + round * 200, 200));
      await sleep(100);
    }
    expect(longest).toBeLessThan(100); // never waits on Redis (writes time out after 500 ms)
    await waitFor(() => events.includes('degraded'), { timeoutMs: 5000, message: 'degraded event' });
    expect(store.degraded).toBe(true);
    expect(store.bufferedWrites).toBeLessThanOrEqual(1000);
    expect(store.droppedWrites).toBeGreaterThan(0);
    expect(warnings.some((w) => /state writes failing/.test(w))).toBe(true);
    expect(warnings.some((w) => /dropping the oldest writes/.test(w))).toBe(true);
    await expect(store.getJob('mail', 'm-0')).rejects.toBeInstanceOf(StateUnavailableError);
    expect(await store.flush(200)).toBe(false); // bounded: gives up, never hangs

    await startRedis(); // same port, empty (no persistence)
    await waitFor(() => events.includes('recovered'), { timeoutMs: 10_000, message: 'recovered event' });
    runJobs(worker, 10_000, 100);
    expect(await store.flush(5000)).toBe(true);
    expect(await store.getJob('mail', 'm-10099')).toMatchObject({ state: 'completed', returnvalue: 10099 });
    // The newest writes buffered during the outage were kept (the oldest were dropped).
    expect(await store.getJob('mail', 'm-3499')).toMatchObject({ state: 'completed' });
    expect(warnings.some((w) => /recovered after/.test(w))).toBe(true);
    expect(events).toEqual(['degraded', 'recovered']);
  } finally {
    await store.close(1000);
  }
});

test('a frozen Redis (SIGSTOP): writes time out and are retried, nothing blocks, all is written after SIGCONT', async () => {
  const store = createStateStore({ redis: `redis://127.0.0.1:${port}`, prefix: 'frozen', writeTimeoutMs: 300, retryMinMs: 50, retryMaxMs: 200, logger: false });
  const { events, worker } = recordWith(store);
  try {
    await store.waitUntilReady();
    process.kill(server!.pid!, 'SIGSTOP');
    const longest = runJobs(worker, 0, 300);
    expect(longest).toBeLessThan(100);
    await waitFor(() => events.includes('degraded'), { timeoutMs: 5000, message: 'degraded event' });
    process.kill(server!.pid!, 'SIGCONT');
    await waitFor(() => events.includes('recovered'), { timeoutMs: 10_000, message: 'recovered event' });
    expect(await store.flush(5000)).toBe(true);
    expect(store.droppedWrites).toBe(0);
    expect(await store.getJobCounts('mail', 'completed')).toEqual({ completed: 300 });
  } finally {
    if (server?.pid) process.kill(server.pid, 'SIGCONT');
    await store.close(1000);
  }
});
