import path from 'node:path';
import { TestAdmin } from './kafka-admin';
import { WorkerProcess, WorkerProcessOptions } from './worker-process';

/** The recording jobs module (packages/worker/test/integration/fixtures/recording-jobs.js). */
export const RECORDING_JOBS = path.join(__dirname, '../../packages/worker/test/integration/fixtures/recording-jobs.js');

/**
 * An admin client and the worker processes a test starts; after the file's tests, every process
 * still running is killed and the admin client closed.
 */
export function workerTestKit() {
  const admin = new TestAdmin();
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    admin.close();
  });
  const spawnWorker = (options: WorkerProcessOptions): WorkerProcess => {
    const worker = new WorkerProcess(options);
    workers.push(worker);
    return worker;
  };
  return { admin, workers, spawnWorker };
}
