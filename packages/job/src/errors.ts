/** Base class of every error partita throws, so `instanceof PartitaError` catches them all. */
export class PartitaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A job option, enqueue option or job class is invalid. Thrown before anything is produced. */
export class JobValidationError extends PartitaError {
  constructor(
    /** The option or field at fault, e.g. `attempts` or `partitioner`. */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Job data (or a result) cannot be turned into the wire format. */
export class SerializationError extends PartitaError {}

/**
 * Thrown from `perform` to fail the job at once: the remaining attempts are skipped and the job
 * goes straight to the dead letter queue.
 */
export class UnrecoverableError extends PartitaError {}

/**
 * Why a message on the wire cannot be run as a job: `undecodable` (not a partita envelope, or one
 * lacking or mistyping id, name or enqueuedAt, or with a `__proto__` key), `unknown-version`,
 * `invalid-options` (its `opts` break the rules the API enforces, e.g. `attempts: 1e9`),
 * `unknown-job` (no job of that name is registered with the worker).
 */
export type PoisonReason = 'undecodable' | 'unknown-version' | 'invalid-options' | 'unknown-job';

/** A message on a queue topic that is not a job this worker can run. It goes to the DLQ, no retries. */
export class PoisonMessageError extends PartitaError {
  constructor(
    readonly reason: PoisonReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `performLater` was called but no enqueuer is available. */
export class EnqueuerMissingError extends PartitaError {}

/**
 * A try ran longer than its `timeout`: it is the reason `ctx.signal` aborts with, and the try fails
 * with it (retried or dead-lettered like any failure).
 */
export class JobTimeoutError extends PartitaError {
  constructor(
    /** The timeout that passed, in milliseconds. */
    readonly timeoutMs: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A job's tries ended with the death of the worker running them (e.g. `process.exit` or a crash in
 * its `perform`) as often as its `attempts` allow: it goes to the dead letter queue with reason
 * `worker-crashed` instead of crash-looping the group.
 */
export class WorkerCrashedError extends PartitaError {
  readonly reason = 'worker-crashed';
}

/**
 * Job state was asked for (a `state` option or `PARTITA_REDIS_URL`) but @partita/state is not
 * installed: it is an optional peer dependency of the enqueuer and the worker, so that apps without job
 * state do not install a Redis client. `option` names what asked for it.
 */
export class StateModuleMissingError extends PartitaError {
  constructor(option: string, cause: unknown) {
    super(`job state needs @partita/state, which is not installed: run \`npm install @partita/state\`, or unset PARTITA_REDIS_URL and ${option}`, { cause });
  }
}
