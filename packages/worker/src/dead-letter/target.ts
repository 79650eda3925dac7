import type { ResolvedWorkerConfig } from '../config';

/** Where a dead job goes, and the topic its message asked for in vain, if it did. */
export interface DeadLetterTarget {
  /** The topic to write to, or false to drop the job. */
  topic: string | false;
  /** The `deadLetter` the message asked for, when this worker does not allow it. */
  refused?: string;
}

/**
 * Picks the dead letter topic of a job of `queue`. The job's `deadLetter` comes from its message,
 * so from whoever could write to the queue: it is honoured only if the worker allows it, that is,
 * if it is the worker's own dead letter topic of the queue, the `deadLetter` declared on the job's
 * registered class, or listed in the `deadLetterTopics` option, and never a queue the worker
 * consumes. `false` (drop the job) is honoured: it loses only the message that asks for it.
 * Otherwise the job goes where it would without the option: its class's topic, else the worker's.
 */
export function deadLetterTarget(
  config: Pick<ResolvedWorkerConfig, 'queues' | 'deadLetter' | 'deadLetterTopics' | 'declaredDeadLetter'>,
  queue: string,
  jobName: string | undefined,
  requested: string | false | undefined,
): DeadLetterTarget {
  if (requested === false) return { topic: false };
  const declared = jobName === undefined ? undefined : config.declaredDeadLetter(jobName);
  // A class registered after the worker was made was not checked against the queues: check it here.
  const usable = declared !== undefined && (declared === false || (declared !== queue && !config.queues.includes(declared))) ? declared : undefined;
  const fallback = usable ?? config.deadLetter(queue);
  if (requested === undefined || requested === fallback) return { topic: fallback };
  const allowed =
    requested !== queue &&
    !config.queues.includes(requested) &&
    (requested === usable || requested === config.deadLetter(queue) || config.deadLetterTopics.has(requested));
  return allowed ? { topic: requested } : { topic: fallback, refused: requested };
}

/** Topics already warned about, per worker: one warning per topic, not one per job. */
const warned = new WeakMap<object, Set<string>>();
/** Past this many distinct refused topics, a worker stops warning (a flood of forged names). */
const MAX_WARNED_TOPICS = 100;

/**
 * The warning for a refused `deadLetter`, or undefined when this worker already gave it for that
 * topic. Names the topic, where the job went, and the option that would allow it.
 */
export function refusedDeadLetterWarning(config: object, queue: string, target: DeadLetterTarget): string | undefined {
  const refused = target.refused;
  if (refused === undefined) return undefined;
  let seen = warned.get(config);
  if (!seen) warned.set(config, (seen = new Set()));
  if (seen.has(refused) || seen.size >= MAX_WARNED_TOPICS) return undefined;
  seen.add(refused);
  const where = target.topic === false ? 'was dropped (deadLetter: false)' : `went to ${target.topic}`;
  return (
    `[partita] a job of ${queue} asked for dead letter topic ${refused}, which this worker does not allow; it ${where} instead ` +
    `(so do later jobs asking for ${refused}, without a warning). To allow it, add it to the worker's deadLetterTopics option ` +
    `or declare it as the job class's deadLetter; a queue this worker consumes is never allowed.`
  );
}
