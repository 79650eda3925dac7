import type { EnqueueResult } from '@partita/job';
import { JobRequest, setJobDispatcher } from '@partita/job/dispatch';
import { Enqueuer, EnqueuerOptions } from './enqueuer';

/** Options of {@link configure}: those of every enqueuer. */
export type ConfigureOptions = EnqueuerOptions;

let configured: ConfigureOptions | undefined;
let current: Enqueuer | undefined;
/** Closing of enqueuers replaced by `configure`, awaited by {@link closeDefaultEnqueuer}. */
const retiring = new Set<Promise<void>>();

/**
 * Configures the enqueuer behind `Job.performLater` / `performAllLater`. Optional: without it the
 * brokers come from env `PARTITA_BROKERS`, else `127.0.0.1:9092`. Calling it again replaces the
 * enqueuer; the previous one is flushed and closed in the background.
 */
export function configure(options: ConfigureOptions = {}): void {
  // Validate before anything is replaced: a bad configuration must not disable a working one.
  const next = new Enqueuer(options);
  const previous = current;
  configured = options;
  current = next;
  if (previous) retire(previous);
}

/** The enqueuer behind `Job.performLater`, created on first use. */
export function getDefaultEnqueuer(): Enqueuer {
  if (!current) current = new Enqueuer(configured ?? {});
  return current;
}

/**
 * Flushes the jobs enqueued with `performLater` (async ones included) and disconnects. Call it
 * when the process shuts down: an open producer keeps the process alive. Rejects when jobs could
 * not be delivered. `performLater` afterwards opens a new enqueuer with the same configuration.
 */
export async function closeDefaultEnqueuer(): Promise<void> {
  const closing = current;
  current = undefined;
  if (closing) retire(closing);
  const pending = [...retiring];
  retiring.clear();
  const results = await Promise.allSettled(pending);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

function retire(enqueuer: Enqueuer): void {
  const closing = enqueuer.close();
  retiring.add(closing);
  // Failures are reported by closeDefaultEnqueuer; until then keep them from being unhandled.
  closing.then(
    () => retiring.delete(closing),
    () => undefined,
  );
}

// performLater finds the enqueuer through @partita/job's dispatcher slot; loading this module
// (it is loaded by @partita/enqueuer's index) installs it.
setJobDispatcher({
  enqueue: (request: JobRequest): Promise<EnqueueResult> => getDefaultEnqueuer().enqueue(request),
  enqueueAll: (requests: JobRequest[]): Promise<EnqueueResult[]> => getDefaultEnqueuer().enqueueAll(requests),
});
