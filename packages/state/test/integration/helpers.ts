import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { RecordedJob, RecordedWorkerEvents } from '../../src/write/recorder';

/** The Redis the integration tests use (scripts/dev/test.sh starts it). */
export const REDIS_URL = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test (or earlier run) uses. */
export function uniquePrefix(name: string): string {
  return `ptest-${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Every key under `prefix`, by SCAN. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/**
 * A stand-in for a Worker: emits the events a real worker emits, with the same arguments, so a
 * test drives a job's life cycle without Kafka.
 */
export class FakeWorker extends EventEmitter {
  private offset = 0;

  override emit<K extends keyof RecordedWorkerEvents>(event: K, ...args: RecordedWorkerEvents[K]): boolean {
    return super.emit(event, ...args);
  }

  job(queue: string, id: string, overrides: Partial<RecordedJob> = {}): RecordedJob {
    return {
      id,
      name: 'test-job',
      data: { n: id },
      queue,
      partition: 0,
      offset: this.offset++,
      key: null,
      attempt: 1,
      enqueuedAt: Date.now(),
      ...overrides,
    };
  }

  /** One job that succeeds on its first try. */
  complete(job: RecordedJob, result: unknown): void {
    this.emit('active', job);
    this.emit('completed', job, result);
  }

  /** One job that fails every one of `attempts` tries, then is dead-lettered to `topic` (or dropped: null). */
  failAll(job: RecordedJob, attempts: number, topic: string | null, message = 'boom'): void {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const info = { ...job, attempt };
      this.emit('active', info);
      const last = attempt === attempts;
      this.emit('failed', info, new Error(`${message} #${attempt}`), { attempt, willRetry: !last, delayMs: last ? undefined : 10 });
      if (last) this.emit('deadLettered', info, { topic, error: new Error(`${message} #${attempt}`) });
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { spawn } from 'node:child_process';
import path from 'node:path';

const REGISTER = path.join(__dirname, 'fixtures/ts-register.js');

/** Runs a fixture script in a child process (TypeScript sources loaded through ts-register). */
export function runChild(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, path.join(__dirname, 'fixtures', script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A child's stderr without the store's warning that Redis has no persistence: the test Redis has
 * none by design, and a short-lived child may exit before or after the check answers.
 */
export function stderrBesidesPersistenceWarning(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^\[partita:state\] Redis at .* has no persistence/.test(line))
    .join('\n');
}
