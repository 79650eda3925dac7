/**
 * `@partita/job/options`: validation and resolution of job options, backoff arithmetic and topic
 * name rules, shared by the enqueuer and the worker. For partita's own packages; no semver promise.
 * @packageDocumentation
 */
export {
  DEFAULT_ATTEMPTS,
  MAX_ATTEMPTS,
  mergeJobOptions,
  validateAttempts,
  validateDeadLetter,
  validateJobOptions,
  validatePartition,
  validateTimeout,
} from '../options';
export { describeValue } from '../describe-value';
export { backoffDelay, backoffProblem, clampDelay, MAX_DELAY_MS, validateBackoff } from '../backoff';
export type { BackoffProblem } from '../backoff';
export { isTopicName, MAX_TOPIC_NAME_LENGTH, topicNameProblem } from '../topic-name';
export { jobNameOf, queueOf, resolveJobOptions } from '../job';
