import type { PartitionWork, QueuedJob } from '../core/partition-work';
import type { Run } from './run';

/** What the parts of the engine call back into it for: the steps every try ends with. */
export interface EngineFlow {
  /** Starts whatever may start now. */
  pump(): void;
  /** The try no longer holds a concurrency slot (done, waiting for a retry, or timed out). */
  endRun(work: PartitionWork, run: Run): void;
  /** The job is done (succeeded or dead-lettered): its offset is finished. */
  finish(work: PartitionWork, job: QueuedJob): void;
  reportError(error: Error): void;
}
