import { Backoff, PoisonMessageError, UnrecoverableError } from '@partita/job';
import { backoffDelay, clampDelay } from '@partita/job/options';

/** A custom backoff: milliseconds until the next try (at most 2^31-1, more is waited as that), or -1 to stop retrying. */
export type BackoffStrategy = (attempt: number, error: Error, job: { id: string; name: string; data: unknown }) => number;

export type FailureDecision = { action: 'retry'; delayMs: number } | { action: 'dead-letter' };

export interface FailureContext {
  /** The try that failed, 1-based. */
  attempt: number;
  /** Total tries allowed. */
  attempts: number;
  error: Error;
  backoff?: Backoff;
  strategy?: BackoffStrategy;
  job: { id: string; name: string; data: unknown };
}

/**
 * Errors that end a job's tries at once: subclasses included (PartitaError names an error after its
 * own class, so a subclass of UnrecoverableError is not named 'UnrecoverableError'), and matched by
 * name too, in case of duplicate package copies.
 */
function isFinal(error: Error): boolean {
  return (
    error instanceof UnrecoverableError || error instanceof PoisonMessageError || error.name === 'UnrecoverableError' || error.name === 'PoisonMessageError'
  );
}

/** Decides what follows a failed try: another try after a delay, or the dead letter queue. */
export function decideAfterFailure(ctx: FailureContext, random: () => number = Math.random): FailureDecision {
  if (isFinal(ctx.error) || ctx.attempt >= ctx.attempts) return { action: 'dead-letter' };
  if (ctx.strategy) {
    const ms = ctx.strategy(ctx.attempt, ctx.error, ctx.job);
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) return { action: 'dead-letter' };
    // Past 2^31-1 ms setTimeout fires after 1 ms: a strategy's huge (or infinite) wait would become a hot loop.
    return { action: 'retry', delayMs: clampDelay(ms) };
  }
  return { action: 'retry', delayMs: backoffDelay(ctx.backoff, ctx.attempt, random) };
}
