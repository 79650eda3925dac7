// At the CLI: invalid configuration is rejected at startup with the option named.
import path from 'node:path';
import { uniqueName } from '../../../../test/support/wait';
import { WorkerProcess } from '../../../../test/support/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures/recording-jobs.js');

const cases: Array<{ name: string; extra: Partial<ConstructorParameters<typeof WorkerProcess>[0]>; message: RegExp }> = [
  {
    name: 'more lanes than concurrency',
    extra: { concurrency: 4, maxPartitions: 8 },
    message: /virtualPartitions\.maxPartitions.*raise concurrency or lower maxPartitions/,
  },
  {
    name: 'manual offset store with virtual partitions',
    extra: { kafka: { 'enable.auto.offset.store': 'true' } },
    message: /enable\.auto\.offset\.store.*manual offset management cannot be combined with virtual partitions/,
  },
  {
    name: 'an eager assignment strategy',
    extra: { kafka: { 'partition.assignment.strategy': 'range' } },
    message: /partition\.assignment\.strategy.*cooperative-sticky/,
  },
  {
    name: 'a grace period past max.poll.interval.ms',
    extra: { kafka: { 'max.poll.interval.ms': '1000', 'session.timeout.ms': '1000' }, env: {} },
    message: /revokeGraceMs.*max\.poll\.interval\.ms/,
  },
  {
    name: 'a state prefix without job state',
    extra: { statePrefix: 'app-a', env: { PARTITA_REDIS_URL: '' } },
    message: /--state-prefix needs job state enabled: give --redis <url>/,
  },
  {
    name: 'a state prefix Redis cannot hold',
    extra: { statePrefix: 'bad prefix', redis: 'redis://127.0.0.1:6379' },
    message: /prefix must be a non-empty string without braces or spaces, got "bad prefix"/,
  },
];

test.each(cases)('rejects $name', async ({ extra, message }) => {
  const queue = uniqueName('invalid');
  const worker = new WorkerProcess({ jobs: FIXTURE, queue, group: queue, ...extra, env: { QUEUE: queue, RECORD_FILE: '/dev/null', ...extra.env } });
  const exit = await worker.exited;
  expect(exit.code).toBe(1);
  expect(worker.lines.join('\n')).toMatch(message);
});

test('rejects a jobs module without Job classes, naming the module', async () => {
  const worker = new WorkerProcess({ jobs: __filename.replace(/\.ts$/, '.missing.js'), queue: 'q', group: 'g' });
  expect((await worker.exited).code).toBe(1);
  expect(worker.lines.join('\n')).toMatch(/--jobs .*cli-validation\.test\.missing\.js: no module at/);
});
