import { decodeCommitMetadata } from '../core/commit-metadata';
import type { InboundMessage } from '../core/inbound-message';
import type { PartitionWork } from '../core/partition-work';
import type { Scheduler } from '../core/scheduler';
import { RevokedError } from '../errors';
import type { TopicPartition, TypedEmitter, WorkerEvents } from '../events';
import type { Commits } from './commits';
import type { AssignmentControl, TopicPartitionOffset } from './contracts';
import type { Partitions } from './partitions';
import type { Pauses } from './pauses';
import type { RetryTimers } from './retry-timers';

/** What a rebalance needs of the rest of the engine. */
export interface RebalanceHost {
  readonly config: { readonly revokeGraceMs: number };
  /** True once `worker.pause()` was called (until `resume()`): new partitions start paused. */
  readonly userPaused: boolean;
  /** True once shutdown began: revoked partitions are not waited for. */
  readonly closing: boolean;
  /** True once shutdown committed: a revocation that leaving the group causes has nothing to add. */
  readonly committedOnClose: boolean;
  /** Buffers messages a restored partition held back. */
  enqueue(messages: InboundMessage[]): void;
  pump(): void;
  /** Stops a partition: nothing of it starts, its retry timers are cancelled, its running tries aborted with `reason`. */
  stopPartition(work: PartitionWork, reason: Error | undefined, revoked: boolean): void;
  checkDrained(): void;
}

/**
 * Rebalances, both halves: what the consumer must do (take the new partitions, read their committed
 * offsets, release revoked partitions once drained) and what the engine does (start tracking a
 * partition, restore what its previous owner finished, stop and drain a revoked one, commit it).
 * Assignment: take → track (`assigned` event) → fetch committed → restore (held messages start).
 * Revocation: stop (signals aborted) → `revoked` event → wait up to `revokeGraceMs` for running
 * tries → commit the handover (not when lost) → forget → release.
 */
export class Rebalance {
  constructor(
    private readonly host: RebalanceHost,
    private readonly events: TypedEmitter<WorkerEvents>,
    private readonly partitions: Partitions,
    private readonly scheduler: Scheduler,
    private readonly retries: RetryTimers,
    private readonly pauses: Pauses,
    private readonly commits: Commits,
  ) {}

  /** The group assigned `assignment` to this consumer (called inside the rebalance callback). */
  assigned(assignment: TopicPartition[], control: AssignmentControl): void {
    // The client's own objects go back to it as they came.
    control.take(assignment);
    const partitions = assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    this.assign(partitions);
    void control.fetchCommitted(partitions).then((committed) => this.restore(committed));
  }

  /** The group revokes `assignment`; resolves once the partitions were released. */
  async revoked(assignment: TopicPartition[], control: AssignmentControl): Promise<void> {
    const lost = control.assignmentLost();
    const partitions = assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    try {
      await this.revoke(partitions, { lost });
    } finally {
      // Meanwhile the poll loop kept polling and running jobs drained.
      control.release(assignment);
    }
  }

  /** Starts tracking newly assigned partitions. Nothing of them starts before {@link restore}. */
  assign(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      const work = this.partitions.add(tp);
      if (!work) continue;
      this.retries.add(work);
      this.scheduler.add(work);
      if (this.host.userPaused) this.pauses.add(work, 'user');
    }
    if (partitions.length > 0) this.events.emit('assigned', partitions);
  }

  /**
   * The committed state of newly assigned partitions (offset and metadata, as fetched from the
   * group). Until it arrives, their messages are held and nothing of them starts; offsets a previous
   * owner finished above its commit point are then finished at once instead of run again.
   */
  restore(committed: TopicPartitionOffset[]): void {
    for (const entry of committed) {
      const work = this.partitions.get(entry);
      if (!work || work.isRestored) continue;
      const progress = decodeCommitMetadata(entry.offset, entry.offset >= 0 ? entry.metadata : undefined);
      const held = work.restore(progress);
      if (held.length > 0) this.host.enqueue(held);
    }
    this.host.pump();
  }

  /**
   * Partitions taken away. Nothing of them starts any more, buffered jobs are dropped, running jobs
   * see their signal aborted and get `revokeGraceMs` to finish; then the finished commit point is
   * committed (unless the assignment was lost). Resolves when the partitions may be released.
   */
  async revoke(partitions: TopicPartition[], { lost }: { lost: boolean }): Promise<void> {
    const works = partitions.map((tp) => this.partitions.get(tp)).filter((w): w is PartitionWork => w !== undefined);
    for (const work of works) this.host.stopPartition(work, new RevokedError(work), true);
    if (partitions.length > 0) this.events.emit('revoked', partitions);
    if (!lost && !this.host.closing) {
      await this.partitions.whenSettled(() => works.every((w) => this.partitions.runningOf(w) === 0), this.host.config.revokeGraceMs);
    }
    if (!lost && !this.host.committedOnClose) await this.commits.commitNow(works);
    for (const work of works) {
      this.partitions.forget(work);
      this.retries.forget(work);
      this.commits.forget(work);
      this.scheduler.remove(work);
    }
    this.host.checkDrained();
  }
}
