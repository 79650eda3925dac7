/** Kafka's longest topic name. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * What is wrong with a name as a partita queue or dead letter topic, or undefined when nothing is:
 * Kafka's rules (1-249 characters of letters, digits, `.`, `_`, `-`; not `.` or `..`) plus one of
 * partita's: no leading `__`, the prefix of Kafka's internal topics (`__consumer_offsets`,
 * `__transaction_state`), which jobs must never be read from or written to.
 */
export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a Kafka topic name (a string), got ${name === null ? 'null' : typeof name}`;
  if (!LEGAL_TOPIC_NAME.test(name)) {
    return `must be a Kafka topic name: 1-${MAX_TOPIC_NAME_LENGTH} characters of letters, digits, '.', '_', '-', got ${describeName(name)}`;
  }
  if (name === '.' || name === '..') return `must be a Kafka topic name; '.' and '..' are not allowed, got ${describeName(name)}`;
  if (name.startsWith('__')) return `must not start with '__', the prefix of Kafka's internal topics, got ${describeName(name)}`;
  return undefined;
}

/** True for a name {@link topicNameProblem} accepts. */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && LEGAL_TOPIC_NAME.test(name) && name !== '.' && name !== '..' && !name.startsWith('__');
}

/** A name as an error quotes it: JSON-quoted (no raw newlines), and cut short when long. */
function describeName(name: string): string {
  return name.length > 80 ? `${JSON.stringify(name.slice(0, 80))}… (${name.length} characters)` : JSON.stringify(name);
}
