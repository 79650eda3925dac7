import { PartitaError } from '@partita/job';

/** A state store option is invalid. Thrown by `createStateStore` before anything connects. */
export class StateConfigError extends PartitaError {
  constructor(
    /** The option at fault, e.g. `removeOnComplete` or `prefix`. */
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Redis did not answer a call that needs an answer (a read, or `reserveJobIds`). Recorded writes
 * never raise it: they are buffered, retried and, past the bound, dropped and counted.
 */
export class StateUnavailableError extends PartitaError {}

/** The store (or a `QueueEvents`) was closed; nothing more can be read or written through it. */
export class StateStoreClosedError extends PartitaError {}

/** A job finished in a failed state (`failed` or `dead`): the rejection of `waitUntilFinished`. */
export class JobFailedError extends PartitaError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    /** `dead` when the job went to the dead letter topic, `failed` when dead-lettering was off. */
    readonly state: 'failed' | 'dead',
    /** The message of the last error the job threw. */
    readonly failedReason: string,
    /** Tries made. */
    readonly attemptsMade: number,
  ) {
    super(`job ${jobId} of queue ${queue} ${state === 'dead' ? 'was dead-lettered' : 'failed'} after ${attemptsMade} attempt(s): ${failedReason}`);
  }
}

/** `waitUntilFinished` gave up: the job did not finish within `timeoutMs`. */
export class WaitTimeoutError extends PartitaError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} of queue ${queue} did not finish within ${timeoutMs} ms`);
  }
}

/** `waitUntilFinished` was aborted through its `signal`. */
export class WaitAbortedError extends PartitaError {}
