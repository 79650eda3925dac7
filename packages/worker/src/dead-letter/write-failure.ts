import { CODES } from '@confluentinc/kafka-javascript';
import { BrokerUnavailableError, EnqueueTimeoutError, TopicNotFoundError } from '@partita/kafka';

/**
 * What a failed dead-letter write says about trying again:
 * - `record`: the broker (or librdkafka) refuses this record as it is (too large, invalid); the same
 *   bytes will be refused again, so a smaller form is written instead.
 * - `transient`: Kafka or the topic is not available now (broker down, leader moving, topic not
 *   created yet, not authorised yet); writing the same record later is right, for as long as it takes.
 * - `unknown`: anything else; tried a bounded number of times before a smaller form is written.
 */
export type WriteFailureKind = 'record' | 'transient' | 'unknown';

const E = CODES.ERRORS;

/** librdkafka and broker codes that refuse the record itself. */
const RECORD_CODES = new Set<number>([
  E.ERR_MSG_SIZE_TOO_LARGE, // 10: larger than the topic's max.message.bytes (or the client's message.max.bytes)
  E.ERR_RECORD_LIST_TOO_LARGE, // 18
  E.ERR_INVALID_RECORD, // 87: e.g. a compacted topic and a null key
  E.ERR_INVALID_MSG, // 2: corrupt message
  E.ERR_INVALID_MSG_SIZE, // 4
  E.ERR__BAD_MSG, // -199
  E.ERR_INVALID_TIMESTAMP, // 32
  E.ERR_POLICY_VIOLATION, // 44: a broker-side policy refused it
  E.ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, // 43: e.g. headers on an old message format
]);

/** Codes that say Kafka, the partition or the topic is not available now. */
const TRANSIENT_CODES = new Set<number>([
  E.ERR__MSG_TIMED_OUT,
  E.ERR__TIMED_OUT,
  E.ERR__TRANSPORT,
  E.ERR__ALL_BROKERS_DOWN,
  E.ERR__QUEUE_FULL,
  E.ERR__UNKNOWN_TOPIC,
  E.ERR__UNKNOWN_PARTITION,
  E.ERR__FATAL, // the producer must be replaced: no form of the record would do better
  E.ERR__STATE,
  E.ERR_UNKNOWN_TOPIC_OR_PART,
  E.ERR_LEADER_NOT_AVAILABLE,
  E.ERR_NOT_LEADER_FOR_PARTITION,
  E.ERR_REQUEST_TIMED_OUT,
  E.ERR_NETWORK_EXCEPTION,
  E.ERR_NOT_ENOUGH_REPLICAS,
  E.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  E.ERR_KAFKA_STORAGE_ERROR,
  E.ERR_TOPIC_AUTHORIZATION_FAILED, // an operator grants it; the record is not at fault
  E.ERR_CLUSTER_AUTHORIZATION_FAILED,
  E.ERR_THROTTLING_QUOTA_EXCEEDED,
]);

/** Classifies the error a dead-letter produce (or its partition lookup) failed with. */
export function classifyWriteFailure(error: unknown): WriteFailureKind {
  if (error instanceof TopicNotFoundError || error instanceof BrokerUnavailableError || error instanceof EnqueueTimeoutError) return 'transient';
  const code = codeOf(error);
  if (code === undefined) return 'unknown';
  if (RECORD_CODES.has(code)) return 'record';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  return 'unknown';
}

function codeOf(error: unknown): number | undefined {
  try {
    const code: unknown = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'number') return code;
    const cause: unknown = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    return typeof cause === 'number' ? cause : undefined;
  } catch {
    return undefined;
  }
}
