interface Waiter {
  readonly condition: () => boolean;
  readonly resolve: (met: boolean) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Waits for a condition on the running tries (e.g. "none of these partitions runs anything") that
 * only changes when a try ends: whoever ends one calls {@link notify}, which re-checks the waiting
 * conditions. Nobody waits except during revocation and shutdown, so `notify` is a length check on
 * the hot path.
 */
export class Settled {
  private waiters: Waiter[] = [];

  /** Resolves true once `condition` holds, or with its value after `timeoutMs`. */
  wait(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { condition, resolve };
      waiter.timer = setTimeout(
        () => {
          this.remove(waiter);
          resolve(condition());
        },
        Math.max(0, timeoutMs),
      );
      this.waiters.push(waiter);
    });
  }

  /** Something the conditions depend on changed. */
  notify(): void {
    if (this.waiters.length === 0) return;
    for (const waiter of [...this.waiters]) {
      if (!waiter.condition()) continue;
      clearTimeout(waiter.timer);
      this.remove(waiter);
      waiter.resolve(true);
    }
  }

  private remove(waiter: Waiter): void {
    this.waiters = this.waiters.filter((w) => w !== waiter);
  }
}
