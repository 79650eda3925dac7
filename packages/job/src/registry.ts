import { Job, JobClass, jobNameOf, queueOf, resolveJobOptions } from './job';
import { JobValidationError } from './errors';

/** Job classes by name: a worker runs only the jobs registered here. */
export class JobRegistry {
  private readonly byName = new Map<string, JobClass>();

  constructor(classes: Iterable<JobClass> = []) {
    for (const c of classes) this.register(c);
  }

  /** Adds a job class; validates its queue and options. Registering one name twice is an error. */
  register(jobClass: JobClass): this {
    if (!isJobClass(jobClass)) {
      throw new JobValidationError('jobs', `${String((jobClass as { name?: string })?.name ?? jobClass)} is not a subclass of Job`);
    }
    queueOf(jobClass);
    resolveJobOptions(jobClass);
    const name = jobNameOf(jobClass);
    const existing = this.byName.get(name);
    if (existing && existing !== jobClass) {
      throw new JobValidationError('jobName', `two job classes are named '${name}'; set static jobName on one of them`);
    }
    this.byName.set(name, jobClass);
    return this;
  }

  get(name: string): JobClass | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The distinct queues of the registered jobs. */
  queues(): string[] {
    return [...new Set([...this.byName.values()].map(queueOf))];
  }

  get size(): number {
    return this.byName.size;
  }
}

/** Finds the Job subclasses among a module's exports (for `partita worker --jobs <module>`). */
export function jobClassesIn(moduleExports: Record<string, unknown>): JobClass[] {
  const found = new Set<JobClass>();
  const consider = (value: unknown) => {
    if (isJobClass(value)) found.add(value);
  };
  for (const value of Object.values(moduleExports)) {
    if (Array.isArray(value)) value.forEach(consider);
    else consider(value);
  }
  return [...found];
}

/**
 * True for a Job subclass. Also accepts a class from another copy of @partita/job (an app with its
 * own node_modules): a class with a static `queue` and a `perform` method.
 */
export function isJobClass(value: unknown): value is JobClass {
  if (typeof value !== 'function' || value === Job) return false;
  if (value.prototype instanceof Job) return true;
  return typeof (value.prototype as { perform?: unknown })?.perform === 'function' && typeof (value as { queue?: unknown }).queue === 'string';
}
