import { DEFAULT_METADATA_MAX_CHARS, encodeCommitMetadata } from '../core/commit-metadata';
import type { PartitionWork } from '../core/partition-work';
import { toError } from '../core/thrown-value';
import { CommitError } from '../errors';
import type { ConsumerControl, TopicPartitionOffset } from './contracts';
import type { Pauses } from './pauses';

/**
 * Commit metadata this long (of its limit) stops a partition from starting anything but the job at
 * its commit point, until it shrinks below the low mark: finished offsets that no longer fit would
 * run again after a restart.
 */
const METADATA_HIGH_MARK = 0.75 * DEFAULT_METADATA_MAX_CHARS;
const METADATA_LOW_MARK = 0.5 * DEFAULT_METADATA_MAX_CHARS;

/**
 * Periodic commits mark as running only the tries that have run this long: a worker killed
 * outright (kill -9, out of memory) then leaves its long tries as suspects, while the many short
 * ones are neither recorded on every poll nor run alone by the next owner. (`process.exit` and
 * uncaught errors mark every running try, see {@link Commits.commitOnExit}.)
 */
const RECORD_RUNNING_AFTER_MS = 500;
/** How long the periodic record of tries is reused before it is taken again. */
const TRIES_REFRESH_MS = 250;

/**
 * How a commit records running tries: `periodic` (after polls: long tries only, record reused for
 * a while), `handover` (revocation, shutdown: running tries were aborted and do not count), `all`.
 */
export type TriesRecord = 'periodic' | 'handover' | 'all';

/**
 * Commit points and their metadata: stores the ones that moved after each poll, commits at once on
 * handovers, synchronously on exit, and keeps the metadata under its size limit (metadata
 * back-pressure).
 */
export class Commits {
  /** Partitions whose commit point or metadata changed since the last store. */
  private readonly dirty = new Set<PartitionWork>();

  constructor(
    private readonly control: ConsumerControl,
    private readonly pauses: Pauses,
    /** Starts whatever may start now (after metadata back-pressure ends). */
    private readonly pump: () => void,
    private readonly reportError: (error: Error) => void,
  ) {}

  /** The commit point or metadata of `work` changed. */
  changed(work: PartitionWork): void {
    this.dirty.add(work);
  }

  /** A job of `work` finished; `moved` says whether the commit point moved. */
  finished(work: PartitionWork, offset: number, moved: boolean): void {
    // Even when the commit point stays, the metadata (finished offsets above it) changed.
    if (!moved) this.growMetadata(work, offset);
    this.dirty.add(work);
  }

  forget(work: PartitionWork): void {
    this.dirty.delete(work);
  }

  /** Stores the commit points that moved since the last call (called after each poll). */
  flush(): void {
    if (this.dirty.size === 0) return;
    const offsets: TopicPartitionOffset[] = [];
    for (const work of this.dirty) {
      if (!work.revoked) {
        const offset = this.offsetOf(work);
        if (offset) offsets.push(offset);
      }
    }
    this.dirty.clear();
    if (offsets.length > 0) this.control.storeOffsets(offsets);
  }

  /** Commits `works` now, as a handover (revocation, shutdown). */
  async commitNow(works: Iterable<PartitionWork>): Promise<void> {
    const offsets: TopicPartitionOffset[] = [];
    for (const work of works) {
      // A handover: tries still running were aborted, and do not count as used.
      const offset = this.offsetOf(work, 'handover');
      if (offset) offsets.push(offset);
      this.dirty.delete(work);
    }
    if (offsets.length === 0) return;
    await this.commit(offsets);
  }

  /** Commits `work` with every running try marked as running (before a suspect runs alone). */
  commitRunning(work: PartitionWork): Promise<void> {
    const offset = this.offsetOf(work, 'all');
    return offset ? this.commit([offset]) : Promise.resolve();
  }

  /**
   * The process is exiting: commits, synchronously, the progress of `works` with their running
   * tries marked as running (nothing asynchronous runs any more).
   */
  commitOnExit(works: Iterable<PartitionWork>): void {
    const offsets: TopicPartitionOffset[] = [];
    for (const work of works) {
      if (work.revoked) continue;
      const offset = this.offsetOf(work, 'all');
      if (offset) offsets.push(offset);
    }
    if (offsets.length === 0) return;
    try {
      this.control.storeOffsets(offsets);
      this.control.commitBlocking(offsets);
    } catch {
      // Exiting: nothing left to tell.
    }
  }

  private async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    try {
      // Store first: librdkafka's auto-commit (and its commit on unassign) writes the stored offsets,
      // and a stale stored offset would otherwise overwrite this commit.
      this.control.storeOffsets(offsets);
      await this.control.commit(offsets);
    } catch (error) {
      this.reportError(new CommitError(offsets, toError(error)));
    }
  }

  /** The commit point with the finished offsets and the tries of unfinished jobs above it as metadata. */
  private offsetOf(work: PartitionWork, record: TriesRecord = 'periodic'): TopicPartitionOffset | undefined {
    const offset = work.commitPoint;
    if (offset === undefined) return undefined;
    const metadata = encodeCommitMetadata(offset, work.finishedAboveCommitPoint(offset), this.triesOf(work, record));
    work.measuredMetadata(metadata.length);
    this.applyMetadataPressure(work, metadata.length);
    return { topic: work.topic, partition: work.partition, offset, metadata };
  }

  private triesOf(work: PartitionWork, record: TriesRecord) {
    if (record !== 'periodic') return work.triesToRecord(Infinity, record === 'handover');
    const now = Date.now();
    return work.periodicTriesToRecord(now, TRIES_REFRESH_MS, now - RECORD_RUNNING_AFTER_MS);
  }

  /**
   * A finish above the commit point adds an offset to the metadata. Its length is measured when
   * offsets are stored (after each poll); in between, thousands of jobs may finish, so each adds an
   * upper bound of its cost, and once that bound reaches the mark the length is measured now (which
   * starts the pressure in time, and only when it is due).
   */
  private growMetadata(work: PartitionWork, offset: number): void {
    const estimate = work.estimateMetadataAfterFinish(offset);
    // The bound overestimates (the commit point may have moved since): measure before pausing.
    if (!work.startsOnlyCommitPoint && estimate >= METADATA_HIGH_MARK) this.offsetOf(work);
  }

  /**
   * Near its size limit, the metadata would soon drop finished offsets (which would then run again
   * after a restart): until it shrinks, fetching pauses and only the job at the commit point starts.
   */
  private applyMetadataPressure(work: PartitionWork, length: number): void {
    if (!work.startsOnlyCommitPoint && length >= METADATA_HIGH_MARK) {
      work.setOnlyCommitPoint(true);
      this.pauses.add(work, 'metadata');
    } else if (work.startsOnlyCommitPoint && length < METADATA_LOW_MARK) {
      work.setOnlyCommitPoint(false);
      this.pauses.remove(work, 'metadata');
      // Deferred: this runs inside offset bookkeeping; starting jobs here would re-enter it.
      setImmediate(this.pump);
    }
  }
}
