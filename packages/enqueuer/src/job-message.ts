import { randomUUID } from 'node:crypto';
import { partitionForKey } from '@partita/kafka';
import { DispatchMethod, EnqueueOptions, JobDescriptor, JobOptions, JobValidationError, PartitionKeyType } from '@partita/job';
import type { JobRequest } from '@partita/job/dispatch';
import { mergeJobOptions, validateAttempts, validateBackoff, validateDeadLetter, validatePartition, validateTimeout } from '@partita/job/options';
import { encodeEnvelope, Envelope, ENVELOPE_VERSION, envelopeHeaders, JobHeaders, WireJobOptions } from '@partita/job/wire';

/** A job turned into a Kafka message, ready for the producer. */
export interface JobMessage {
  topic: string;
  /** The partition, or undefined to let librdkafka's `murmur2_random` partitioner pick it from the key. */
  partition: number | undefined;
  /** The Kafka message key, or null for none. */
  key: string | null;
  value: Buffer;
  headers: JobHeaders;
  /** The job's id. */
  id: string;
  /** The job's name. */
  name: string;
  dispatch: DispatchMethod;
}

/**
 * A job with everything decided that needs no broker: options merged and validated, key chosen,
 * envelope encoded. What is left (the partition) needs the topic's partition count.
 */
export interface PreparedJob {
  topic: string;
  name: string;
  id: string;
  /** The job's key whatever its use: stored, hashed to a partition, or neither. */
  routingKey: string | null;
  partitionKeyType: PartitionKeyType;
  /** A partition fixed by `opts.partition` or by the class's `partition` option. */
  explicitPartition: number | undefined;
  value: Buffer;
  headers: JobHeaders;
  dispatch: DispatchMethod;
}

/** Injectable sources of time and ids, for deterministic tests. */
export interface PrepareJobDeps {
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue `crypto.randomUUID` */
  newId?: () => string;
}

const ENQUEUE_OPTION_KEYS = ['key', 'partition', 'jobId', 'attempts', 'backoff', 'dispatch', 'deadLetter', 'timeout'] as const;

/** Throws a {@link JobValidationError} naming the first invalid per-call option. */
export function validateEnqueueOptions(opts: unknown, where = 'opts'): asserts opts is EnqueueOptions | undefined {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new JobValidationError(where, `${where} must be an object, got ${opts === null ? 'null' : typeof opts}`);
  }
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(ENQUEUE_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new JobValidationError(key, `unknown option '${key}' in ${where}; allowed: ${ENQUEUE_OPTION_KEYS.join(', ')}`);
    }
  }
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key === '')) {
    throw new JobValidationError('key', `${where}.key must be a non-empty string, got ${describe(o.key)}`);
  }
  if (o.partition !== undefined) validatePartition(o.partition, `${where}.partition`);
  if (o.jobId !== undefined && (typeof o.jobId !== 'string' || o.jobId === '')) {
    throw new JobValidationError('jobId', `${where}.jobId must be a non-empty string, got ${describe(o.jobId)}`);
  }
  if (o.attempts !== undefined) validateAttempts(o.attempts, `${where}.attempts`);
  if (o.timeout !== undefined) validateTimeout(o.timeout, `${where}.timeout`);
  if (o.backoff !== undefined) validateBackoff(o.backoff, `${where}.backoff`);
  if (o.dispatch !== undefined && o.dispatch !== 'async' && o.dispatch !== 'sync') {
    throw new JobValidationError('dispatch', `${where}.dispatch must be 'async' or 'sync', got ${describe(o.dispatch)}`);
  }
  if (o.deadLetter !== undefined) validateDeadLetter(o.deadLetter, `${where}.deadLetter`);
}

/**
 * Everything about a job that needs no broker. Throws ({@link JobValidationError},
 * `SerializationError`) on bad input, so that nothing of a bad job (or of a bad batch) is produced.
 *
 * `defaults` are enqueuer-level job options (a queue's `defaultJobOptions`); the request's class
 * options win over them and the per-call `opts` win over both.
 */
export function prepareJob(request: JobRequest, defaults?: JobOptions, deps: PrepareJobDeps = {}): PreparedJob {
  const opts = request.opts;
  validateEnqueueOptions(opts);
  const options = mergeJobOptions<unknown>(defaults, request.classOptions);
  const id = opts?.jobId ?? (deps.newId ?? randomUUID)();
  const descriptor: JobDescriptor = { name: request.name, data: request.data, id };

  const partitionKeyType = options.partitionKeyType ?? 'key';
  const routingKey = opts?.key ?? keyFromPartitioner(options, descriptor);
  const explicitPartition = opts?.partition ?? (partitionKeyType === 'partition' ? partitionFromOptions(options, descriptor) : undefined);

  const wireOptions: WireJobOptions = {};
  const attempts = opts?.attempts ?? options.attempts;
  if (attempts !== undefined) wireOptions.attempts = attempts;
  const backoff = opts?.backoff ?? options.backoff;
  if (backoff !== undefined) wireOptions.backoff = backoff;
  const deadLetter = opts?.deadLetter ?? options.deadLetter;
  // Never the job's own queue: its dead jobs would run again, for ever (the Worker refuses it too).
  if (deadLetter === request.queue) validateDeadLetter(deadLetter, opts?.deadLetter !== undefined ? 'opts.deadLetter' : 'deadLetter', request.queue);
  if (deadLetter !== undefined) wireOptions.deadLetter = deadLetter;
  const timeout = opts?.timeout ?? options.timeout;
  if (timeout !== undefined) wireOptions.timeout = timeout;

  const envelope: Envelope = {
    v: ENVELOPE_VERSION,
    id,
    name: request.name,
    data: request.data,
    enqueuedAt: (deps.now ?? Date.now)(),
    opts: wireOptions,
  };
  return {
    topic: request.queue,
    name: request.name,
    id,
    routingKey,
    partitionKeyType,
    explicitPartition,
    value: encodeEnvelope(envelope),
    headers: envelopeHeaders(envelope),
    dispatch: opts?.dispatch ?? options.dispatch ?? 'async',
  };
}

/** Whether {@link placeJob} needs the topic's partition count to place this job. */
export function needsPartitionCount(job: PreparedJob): boolean {
  return job.explicitPartition !== undefined || (job.partitionKeyType === 'partitionKey' && job.routingKey !== null);
}

/**
 * Decides the job's partition and message key. `partitionCount` is the topic's partition count;
 * it may be omitted only when {@link needsPartitionCount} is false.
 */
export function placeJob(job: PreparedJob, partitionCount: number | undefined): JobMessage {
  let partition: number | undefined;
  if (job.explicitPartition !== undefined) {
    partition = job.explicitPartition;
    const count = requireCount(job, partitionCount);
    if (partition >= count) {
      throw new JobValidationError(
        'partition',
        `partition ${partition} of job ${job.name} is out of range: topic ${job.topic} has ${count} partition(s), 0..${count - 1}`,
      );
    }
  } else if (job.partitionKeyType === 'partitionKey' && job.routingKey !== null) {
    // The key only chooses the partition, the same one librdkafka's murmur2 would choose.
    partition = partitionForKey(job.routingKey, requireCount(job, partitionCount));
  }
  return {
    topic: job.topic,
    partition,
    key: job.partitionKeyType === 'partitionKey' ? null : job.routingKey,
    value: job.value,
    headers: job.headers,
    id: job.id,
    name: job.name,
    dispatch: job.dispatch,
  };
}

/** librdkafka's default `message.max.bytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;

/**
 * Refuses a job whose message librdkafka would refuse (`message.max.bytes`), so that the refusal
 * happens with the other input checks, before any job of a batch is produced.
 */
export function assertMessageSize(message: JobMessage, maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): void {
  let size = message.value.length + (message.key === null ? 0 : Buffer.byteLength(message.key));
  for (const name in message.headers) size += name.length + Buffer.byteLength(message.headers[name]);
  if (size > maxBytes) {
    throw new JobValidationError(
      'data',
      `job ${message.name} is ${size} bytes on the wire, more than message.max.bytes (${maxBytes}); ` +
        'store large payloads elsewhere and enqueue a reference, or raise message.max.bytes (producer and topic)',
    );
  }
}

/** {@link prepareJob} then {@link placeJob}, for callers that already know the partition count. */
export function buildJobMessage(request: JobRequest, partitionCount: number | undefined, defaults?: JobOptions, deps?: PrepareJobDeps): JobMessage {
  return placeJob(prepareJob(request, defaults, deps), partitionCount);
}

function requireCount(job: PreparedJob, partitionCount: number | undefined): number {
  if (partitionCount === undefined) {
    // A programming error in the caller, not bad user input.
    throw new Error(`placing job ${job.name} needs the partition count of topic ${job.topic}`);
  }
  return partitionCount;
}

function keyFromPartitioner(options: JobOptions, job: JobDescriptor): string | null {
  const partitioner = options.partitioner;
  if (partitioner === undefined) return null;
  let key: unknown;
  try {
    key = partitioner(job);
  } catch (error) {
    throw new JobValidationError('partitioner', `the partitioner of job ${job.name} threw: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  if (typeof key !== 'string' || key === '') {
    throw new JobValidationError(
      'partitioner',
      `the partitioner of job ${job.name} returned ${describe(key)}; it must return a non-empty string (the job's key)`,
    );
  }
  return key;
}

function partitionFromOptions(options: JobOptions, job: JobDescriptor): number {
  const partition = options.partition;
  if (partition === undefined) {
    throw new JobValidationError(
      'partition',
      `job ${job.name} has partitionKeyType 'partition' but no partition: set options.partition (a number or (job) => number) or pass opts.partition`,
    );
  }
  if (typeof partition === 'number') return partition;
  let value: unknown;
  try {
    value = partition(job);
  } catch (error) {
    throw new JobValidationError('partition', `the partition function of job ${job.name} threw: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new JobValidationError('partition', `the partition function of job ${job.name} returned ${describe(value)}; it must return an integer >= 0`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}
