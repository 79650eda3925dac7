import type { RunHandle } from './contracts';

/**
 * One try of a job while it runs: its abort signal and timeout timer. It does not point at its job
 * (the engine passes both along): one is made per try on the hot path, and the less it holds, the
 * less the garbage collector has to trace.
 */
export class Run implements RunHandle {
  private controller?: AbortController;
  private aborted: unknown;
  private revoked = false;
  /** The try's timeout timer, while it runs. */
  timer?: NodeJS.Timeout;
  /** The try timed out and was settled as failed; its `perform` may still be running. */
  timedOut = false;

  get signal(): AbortSignal {
    // Created lazily: most jobs never look at their signal, and an AbortController per job costs.
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted !== undefined) this.controller.abort(this.aborted);
    }
    return this.controller.signal;
  }

  isRevoked(): boolean {
    return this.revoked;
  }

  /** The reason the try was aborted with; undefined until it is. */
  get abortReason(): Error | undefined {
    return this.aborted as Error | undefined;
  }

  abort(reason: Error, revoked: boolean): void {
    if (this.aborted !== undefined) return;
    this.revoked ||= revoked;
    this.aborted = reason;
    this.controller?.abort(reason);
  }
}
