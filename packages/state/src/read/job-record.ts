import { JobRecordData } from '../codec';
import { WaitOptions } from './finish-watcher';
import { isFinishedState, JobState } from '../states';

/** What a {@link JobRecord} needs of its store. */
export interface JobRecordSource {
  getState(queue: string, id: string): Promise<JobState | 'unknown'>;
  waitUntilFinished(queue: string, id: string, options?: WaitOptions): Promise<unknown>;
}

/**
 * A job as the state store knows it, BullMQ style: the fields are a snapshot taken by `getJob`;
 * `getState()` and `waitUntilFinished()` ask Redis again.
 */
export class JobRecord<TData = unknown, TResult = unknown> implements JobRecordData<TData, TResult> {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly state: JobState;
  readonly data: TData;
  readonly opts: Record<string, unknown>;
  readonly key: string | null;
  readonly partition: number | undefined;
  readonly offset: number | undefined;
  readonly timestamp: number;
  readonly processedOn: number | undefined;
  readonly finishedOn: number | undefined;
  readonly attemptsStarted: number;
  readonly attemptsMade: number;
  readonly progress: number | object;
  readonly returnvalue: TResult | undefined;
  readonly failedReason: string | undefined;
  readonly stacktrace: string[];
  readonly logs: string[];
  readonly workerId: string | undefined;
  readonly deadLetterTopic: string | undefined;

  constructor(
    record: JobRecordData<TData, TResult>,
    private readonly source: JobRecordSource,
  ) {
    this.id = record.id;
    this.queue = record.queue;
    this.name = record.name;
    this.state = record.state;
    this.data = record.data;
    this.opts = record.opts;
    this.key = record.key;
    this.partition = record.partition;
    this.offset = record.offset;
    this.timestamp = record.timestamp;
    this.processedOn = record.processedOn;
    this.finishedOn = record.finishedOn;
    this.attemptsStarted = record.attemptsStarted;
    this.attemptsMade = record.attemptsMade;
    this.progress = record.progress;
    this.returnvalue = record.returnvalue;
    this.failedReason = record.failedReason;
    this.stacktrace = record.stacktrace;
    this.logs = record.logs;
    this.workerId = record.workerId;
    this.deadLetterTopic = record.deadLetterTopic;
  }

  /** The job's state now (read from Redis); `unknown` once the job was removed. */
  getState(): Promise<JobState | 'unknown'> {
    return this.source.getState(this.queue, this.id);
  }

  /** Whether the snapshot is finished (completed, failed or dead). */
  isFinished(): boolean {
    return isFinishedState(this.state);
  }

  /**
   * Resolves with the job's `returnvalue` once it completed; rejects with a `JobFailedError`
   * (carrying `failedReason`) once it failed or went to the dead letter topic, with a
   * `WaitTimeoutError` after `timeoutMs`. Works whichever process runs the job.
   */
  waitUntilFinished(options: WaitOptions = {}): Promise<TResult> {
    return this.source.waitUntilFinished(this.queue, this.id, options) as Promise<TResult>;
  }

  toJSON(): JobRecordData<TData, TResult> {
    // the record's fields as they are, without the store it reads through
    const { source, ...fields } = this;
    void source;
    return fields;
  }
}
