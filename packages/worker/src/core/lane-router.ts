import type { RoutableMessage } from './inbound-message';

/**
 * How keys share the lanes of a partition.
 * - `balanced`: every distinct key orders only its own jobs; at most `maxPartitions` keys of a
 *   partition run at once, and a free lane goes to the key that has waited longest. A failing or
 *   slow key holds back only itself.
 * - `consistent`: keys are hashed onto `maxPartitions` fixed lanes, as in Karafka; keys sharing a
 *   lane run one after another, and a key always lands in the same lane.
 */
export type LaneDistribution = 'balanced' | 'consistent';

/** Returns the ordering key of a message (jobs with the same key run one at a time, in order). */
export type VirtualPartitioner = (message: RoutableMessage) => string | null | undefined;

/** The default partitioner: the message key. */
export const byMessageKey: VirtualPartitioner = (message) => message.key;

/**
 * What orders jobs inside a partition (jobs with the same ordering key run one at a time, in offset
 * order): the job's key (balanced), the lane its key hashes to (consistent), or for a keyless
 * message in balanced mode its offset. Numbers and strings never collide as Map keys, so a key that
 * spells a number is still its own, and routing builds no string per message.
 */
export type OrderingKey = string | number;

/** The ordering key of jobs whose partitioner failed: they run one at a time in offset order. No offset or lane is negative. */
export const PARTITIONER_ERROR_KEY: OrderingKey = -1;

/**
 * Gives each message its ordering key, which decides its lane. Keyless messages need no order:
 * each gets one of its own.
 */
export class LaneRouter {
  constructor(
    private readonly partitioner: VirtualPartitioner,
    private readonly distribution: LaneDistribution,
    private readonly maxPartitions: number,
  ) {}

  route(message: RoutableMessage): OrderingKey {
    const key = this.partitioner(message);
    if (key === null || key === undefined || key === '') {
      return this.distribution === 'consistent' ? message.offset % this.maxPartitions : message.offset;
    }
    if (typeof key !== 'string') {
      throw new TypeError(`virtualPartitions.partitioner returned ${typeof key}; it must return a string (or null for no key)`);
    }
    return this.distribution === 'consistent' ? fnv1a(key) % this.maxPartitions : key;
  }
}

/** 32-bit FNV-1a: a fast, stable string hash; lanes only need spread, not cryptographic strength. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
