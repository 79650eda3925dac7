import type { PartitionWork, PauseReason } from '../core/partition-work';
import type { ResolvedWorkerConfig } from '../config';
import type { ConsumerControl } from './contracts';

/**
 * Pauses and resumes fetching per partition. A partition may be paused for several reasons at once
 * (back-pressure, a long-running job, `worker.pause()`, metadata back-pressure); it resumes when the
 * last one is gone.
 */
export class Pauses {
  constructor(
    private readonly control: Pick<ConsumerControl, 'pause' | 'resume'>,
    private readonly config: Pick<ResolvedWorkerConfig, 'highWatermark' | 'lowWatermark' | 'longRunning'>,
  ) {}

  add(work: PartitionWork, reason: PauseReason): void {
    if (work.pause(reason)) this.control.pause([{ topic: work.topic, partition: work.partition }]);
  }

  remove(work: PartitionWork, reason: PauseReason): void {
    if (work.unpause(reason)) this.control.resume([{ topic: work.topic, partition: work.partition }]);
  }

  /** Jobs of `work` were received: pauses it when too many are unfinished, or while long-running jobs run. */
  afterReceive(work: PartitionWork): void {
    if (work.unfinished >= this.config.highWatermark) this.add(work, 'backpressure');
    if (this.config.longRunning) this.add(work, 'longRunning');
  }

  /** A message of `work` is held until its committed state arrives: held messages count toward back-pressure too. */
  afterHold(work: PartitionWork): void {
    if (work.heldCount >= this.config.highWatermark) this.add(work, 'backpressure');
  }

  /** Lifts the back-pressure and long-running pauses of a partition once its unfinished work allows. */
  relieve(work: PartitionWork): void {
    if (work.isPausedFor('backpressure') && work.unfinished <= this.config.lowWatermark) this.remove(work, 'backpressure');
    if (work.isPausedFor('longRunning') && work.unfinished === 0) this.remove(work, 'longRunning');
  }
}
