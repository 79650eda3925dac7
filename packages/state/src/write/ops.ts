import { encodeKey, encodeValue, ENVELOPE_WRAP, flatJsonText, PLAIN_JSON_WRAP, storableEnvelope } from '../codec';
import { OpListWriter } from '../redis/op-list-writer';

/**
 * A state change to write, as the recorder and the enqueuer hooks produce it. Writes are
 * buffered and applied in order, in batches, by one Lua script call per queue and batch.
 */
export type StateOp = WaitingOp | ActiveOp | ProgressOp | LogOp | RetryingOp | TryFailedOp | CompletedOp | FinishedFailedOp | DataOp;

interface OpBase {
  queue: string;
  id: string;
}

/** The job was enqueued. */
export interface WaitingOp extends OpBase {
  kind: 'waiting';
  name: string;
  data: unknown;
  opts: Record<string, unknown> | undefined;
  key: string | null | undefined;
  partition: number | undefined;
  offset: number | undefined;
  /** Enqueue time, epoch ms. */
  timestamp: number;
}

/** A try started. */
export interface ActiveOp extends OpBase {
  kind: 'active';
  attempt: number;
  at: number;
  workerId: string;
  name: string;
  /**
   * The job's data, recorded when the job has no record yet (its enqueuer does not record
   * state). The store sends it with the op when the queue's recent jobs had no records, else
   * only for the jobs the apply script reports as created, in a {@link DataOp}: the data is
   * encoded only when it is needed.
   */
  data: unknown;
  /**
   * The job's message value (its encoded envelope, see `ENCODED_ENVELOPE` of @partita/job), when
   * the worker read the job from it: recorded in place of encoding `data` again.
   */
  envelope?: Buffer;
  /** False to never record the data from the worker side (see the recorder's `recordData`). */
  withData: boolean;
  key: string | null;
  partition: number;
  offset: number;
  enqueuedAt: number;
  /**
   * Set when the try completed while this op still waited to be sent (see `try-join.ts`): the op
   * is then written as the start and the completion in one change.
   */
  completedAt?: number;
  /** With `completedAt`: what the try returned. */
  result?: unknown;
  /** Set by the store when the op was kept back from one seal to wait for its completion. */
  heldBack?: boolean;
  /** True while the try's completion may still join this op (see `try-join.ts`). */
  joinable?: boolean;
}

export interface ProgressOp extends OpBase {
  kind: 'progress';
  at: number;
  /** The progress, already encoded (it is encoded when reported: the object may change later). */
  progressText: string;
}

export interface LogOp extends OpBase {
  kind: 'log';
  line: string;
}

/** A try failed and another one follows. */
export interface RetryingOp extends OpBase {
  kind: 'retrying';
  attempt: number;
  at: number;
  failedReason: string;
  stack: string;
  delayMs: number;
}

/** The last try failed; the job is being dead-lettered (its state changes with {@link FinishedFailedOp}). */
export interface TryFailedOp extends OpBase {
  kind: 'tryFailed';
  attempt: number;
  at: number;
  failedReason: string;
  stack: string;
}

export interface CompletedOp extends OpBase {
  kind: 'completed';
  attempt: number;
  at: number;
  returnvalue: unknown;
  workerId: string;
}

/** The job's tries are over: `dead` with a dead letter topic, else `failed`. */
export interface FinishedFailedOp extends OpBase {
  kind: 'deadLettered';
  attempt: number;
  at: number;
  failedReason: string;
  /** The last try's stack. */
  stack: string;
  deadLetterTopic: string | null;
  /** Written only when the job has no record yet (a poison message never became active). */
  name: string;
  key: string | null;
  partition: number;
  offset: number;
  enqueuedAt: number;
}

/** The data of a job that a worker recorded first (see {@link ActiveOp.data}); set unless already there. */
export interface DataOp extends OpBase {
  kind: 'data';
  data: unknown;
  /** The job's envelope bytes (see {@link ActiveOp.envelope}): sent instead of encoding `data`. */
  envelope?: Buffer;
}

/** The op codes of the apply script. */
const CODES = {
  waiting: 'W',
  active: 'A',
  progress: 'P',
  log: 'L',
  retrying: 'R',
  tryFailed: 'T',
  completed: 'C',
  deadLettered: 'D',
  data: 'X',
  /** An `active` and its `completed` in one batch: written as one change (half the work in Redis). */
  activeCompleted: 'AC',
  /** First tries that started and completed, their records joined (see `encodeOps`). */
  firstTries: 'B',
  /** First tries that started and completed, their records without data, of jobs most likely waiting (see `encodeOps`). */
  firstTriesOfWaiting: 'BW',
} as const;

/**
 * The apply script's op list for `ops` (all of one queue), as MessagePack bytes: an array of
 * string arrays, one per op (see `APPLY_SCRIPT` for each layout). An `active` op whose try
 * completed before it was sent (`completedAt`, see `try-join.ts`) is one `AC` op, its values
 * joined as one record when the data goes inline, else apart. With `inlineData`, `active` ops
 * carry the job's data (worth it when the jobs' enqueuers do not record state); else it is left
 * out (`''`). Then the first tries among those completed ones go last, together, as one `B` op
 * (joined records) or without inline data one `BW` op (joined records without data): the script
 * writes them with a command per batch rather than per job when none of their jobs has a record
 * (B), or when all of them are waiting, recorded by their enqueuer (BW). Moving them is safe: every write carries an ordering stamp (see `APPLY_SCRIPT`),
 * and a later op of the same job has a later stamp or is skipped in either order, except a first
 * try's `completed` or `deadLettered` op (the same stamp): the AC op of such a job keeps its place.
 */
export function encodeOps(ops: readonly StateOp[], options: EncodeOptions = {}): Buffer {
  const inlineData = options.inlineData ?? false;
  const tied = finishedAgainOnFirstTry(ops);
  const out = scratch.reset(options.nextBuffer ? (options.headroom ?? 0) : 0).open();
  let firstTries = 0;
  for (const op of ops) {
    if (op.kind !== 'active') {
      writeOp(out, op);
      continue;
    }
    const done = op.completedAt;
    if (done === undefined) {
      out.open().str(CODES.active).str(op.id).num(op.attempt).num(op.at);
      out.numberList(op.at, op.attempt, op.partition, op.offset, op.enqueuedAt).stringList(op.workerId, op.name, op.key);
      out.str(inlineData && op.withData ? dataField(op.data, op.envelope) : '').close();
      continue;
    }
    if (isMovedFirstTry(op, tied)) {
      firstTries++; // written below, in the B or BW op
    } else if (!inlineData) {
      // the job most likely has a record (its enqueuer's): the values apart, as its hash takes them
      out.completedTryApart(CODES.activeCompleted, op, done, '', encodeResult(op));
    } else {
      writeJoined(out, op, done, true);
    }
  }
  if (firstTries > 0) {
    out.open().str(inlineData ? CODES.firstTries : CODES.firstTriesOfWaiting);
    for (const op of ops) {
      if (op.kind !== 'active' || op.completedAt === undefined || !isMovedFirstTry(op, tied)) continue;
      // (without inline data, records without data: the job's enqueuer recorded it)
      writeJoined(out, op, op.completedAt, false, inlineData);
    }
    out.close();
  }
  out.close();
  // Copied out at its size unless the caller gives the writer a buffer to go on with: a fresh
  // writer per call, sized for the worst case, cost page faults.
  return options.nextBuffer ? out.detach(options.nextBuffer(), options.tailroom) : Buffer.from(out.bytes());
}

/** Options of {@link encodeOps}. */
export interface EncodeOptions {
  /** Whether `active` ops carry the job's data (see {@link encodeOps}). */
  inlineData?: boolean;
  /**
   * Gives the encoder a Buffer of at least `WRITER_CAPACITY` bytes that nothing else uses: the
   * list is then returned in the encoder's own Buffer (no copy), which the caller owns from then
   * on (and may give back through `nextBuffer` once it is done with the list).
   */
  nextBuffer?: () => Buffer;
  /**
   * With `nextBuffer`: bytes left free in the returned list's Buffer before and after it (for a
   * command around the list, see `apply-command.ts`).
   * @defaultValue 0
   */
  headroom?: number;
  /** @defaultValue 0 */
  tailroom?: number;
}

/** A completed first try that goes in the list's B or BW op (see {@link encodeOps}). */
function isMovedFirstTry(op: ActiveOp, tied: Set<string> | undefined): boolean {
  return op.attempt === 1 && tied?.has(op.id) !== true;
}

/**
 * The jobs of `ops` with a `completed` or `deadLettered` op of a first try (a redelivered job):
 * those ops carry the same ordering stamp as a first try's AC op, so the later one wins and the
 * AC op must keep its place (not go to the B op). Undefined when there are none, the usual case.
 */
function finishedAgainOnFirstTry(ops: readonly StateOp[]): Set<string> | undefined {
  let ids: Set<string> | undefined;
  for (const op of ops) {
    if ((op.kind === 'completed' || op.kind === 'deadLettered') && op.attempt === 1) (ids ??= new Set()).add(op.id);
  }
  return ids;
}

/**
 * A completed try with run, who, data and result joined as one record (see compact-record.ts),
 * which the script stores as it is when the job had no record: the commonest op of a busy
 * worker. As an AC op, or (`asOp` false) as the entries of the open B or BW op. The data goes as
 * the job's envelope bytes when the worker has them, else flat data as its JSON text, wrapped by
 * the writer: no superjson text built and copied per job. `withData` false leaves it out.
 */
function writeJoined(out: OpListWriter, op: ActiveOp, done: number, asOp: boolean, withData = true): void {
  let data: string | Buffer = '';
  let wrap: readonly [string, string] | undefined;
  const recordData = withData && op.withData;
  const envelope = recordData ? storableEnvelope(op.envelope) : undefined;
  if (envelope !== undefined) {
    data = envelope;
    wrap = ENVELOPE_WRAP;
  } else if (recordData) {
    const flat = flatJsonText(op.data);
    data = flat ?? encodeValue(op.data);
    if (flat !== undefined) wrap = PLAIN_JSON_WRAP;
  }
  if (asOp) out.completedTry(CODES.activeCompleted, op, done, data, encodeResult(op), wrap);
  else out.completedTryEntry(op, done, data, encodeResult(op), wrap);
}

function encodeResult(op: ActiveOp): string {
  return op.result === undefined ? '' : encodeValue(op.result);
}

/** The writer of every `encodeOps` call (calls do not nest); its buffer and its caches are kept. */
const scratch = new OpListWriter();

/** One op other than `active` as the apply script reads it (see `APPLY_SCRIPT` for the layouts). */
function writeOp(out: OpListWriter, op: Exclude<StateOp, ActiveOp>): void {
  out.open();
  for (const field of encodeOp(op)) out.str(field);
  out.close();
}

/** One op other than `active` as the apply script reads it (see `APPLY_SCRIPT` for the layouts). */
export function encodeOp(op: Exclude<StateOp, ActiveOp>): string[] {
  switch (op.kind) {
    case 'waiting':
      return [
        CODES.waiting,
        op.id,
        String(op.timestamp),
        op.name,
        encodeValue(op.data),
        op.opts === undefined ? '' : encodeValue(op.opts),
        op.key === undefined ? '' : encodeKey(op.key),
        optional(op.partition),
        optional(op.offset),
      ];
    case 'progress':
      return [CODES.progress, op.id, String(op.at), op.progressText];
    case 'log':
      return [CODES.log, op.id, op.line];
    case 'retrying':
      return [CODES.retrying, op.id, String(op.attempt), String(op.at), op.failedReason, op.stack, String(op.delayMs)];
    case 'tryFailed':
      return [CODES.tryFailed, op.id, String(op.attempt), String(op.at), op.failedReason, op.stack];
    case 'completed':
      return [CODES.completed, op.id, String(op.attempt), String(op.at), encodeValue(op.returnvalue), op.workerId];
    case 'data':
      return [CODES.data, op.id, dataField(op.data, op.envelope)];
    case 'deadLettered':
      return [
        CODES.deadLettered,
        op.id,
        String(op.attempt),
        String(op.at),
        op.failedReason,
        op.stack,
        op.deadLetterTopic ?? '',
        op.name,
        encodeKey(op.key),
        String(op.partition),
        String(op.offset),
        String(op.enqueuedAt),
      ];
  }
}

/** A data field: the envelope bytes marked as such when they can be stored, else the data's superjson text. */
function dataField(data: unknown, envelope: Buffer | undefined): string {
  const storable = storableEnvelope(envelope);
  return storable === undefined ? encodeValue(data) : ENVELOPE_WRAP[0] + storable.toString('utf8') + ENVELOPE_WRAP[1];
}

function optional(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}
