/** What a running job can see of and do to its surroundings. The worker provides it. */
export interface JobContext {
  /** Aborted when the job's partition is revoked or the worker is forced to shut down. */
  readonly signal: AbortSignal;
  /** True once the job's partition was revoked from this worker; finish or stop soon. */
  isRevoked(): boolean;
  /** This try's number, 1 for the first run. */
  readonly attempt: number;
  /** The job's id. */
  readonly jobId: string;
  /** The queue (topic) the job came from. */
  readonly queue: string;
  /** The Kafka partition the job came from. */
  readonly partition: number;
  /** The job's offset in its partition. */
  readonly offset: number;
  /** The job's key, or null when it has none. */
  readonly key: string | null;
  /** Appends a line to the job's log (emitted as a `log` event, kept by the state store). */
  log(...args: unknown[]): void;
  /** Reports progress (emitted as a `progress` event). */
  updateProgress(progress: number | object): void;
}
