import type { Worker } from '../worker';

/** Logs a throughput line every `intervalMs`: completed and failed jobs per second, running, partitions. */
export class ThroughputReporter {
  private completed = 0;
  private failed = 0;
  private timer?: NodeJS.Timeout;
  private last = Date.now();

  constructor(
    private readonly worker: Worker,
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {
    worker.on('completed', () => this.completed++);
    worker.on('failed', () => this.failed++);
  }

  start(): void {
    if (this.intervalMs <= 0) return;
    this.last = Date.now();
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private report(): void {
    const now = Date.now();
    const seconds = (now - this.last) / 1000;
    if (this.completed > 0 || this.failed > 0 || this.worker.running > 0) {
      const rate = Math.round(this.completed / seconds);
      this.log(
        `${rate} jobs/s (${this.completed} completed, ${this.failed} failed tries in ${seconds.toFixed(1)} s), ${this.worker.running} running, ${this.worker.assignment().length} partitions`,
      );
    }
    this.completed = 0;
    this.failed = 0;
    this.last = now;
  }
}
