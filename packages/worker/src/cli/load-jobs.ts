import path from 'node:path';
import type { JobClass } from '@partita/job';
import { jobClassesIn } from '@partita/job/registry';
import { JobsModuleError } from '../errors';

/** Loads a module of the app and returns the Job classes it exports (named, default, or in arrays). */
export function loadJobClasses(modulePath: string, cwd = process.cwd()): JobClass[] {
  const resolved = path.resolve(cwd, modulePath);
  let exportsOf: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exportsOf = require(resolved) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(resolved)) {
      throw new JobsModuleError(`--jobs ${modulePath}: no module at ${resolved} (did you build the app?)`);
    }
    throw new JobsModuleError(`--jobs ${modulePath}: loading the module failed: ${(error as Error).message}`, { cause: error });
  }
  const classes = jobClassesIn({
    ...exportsOf,
    ...(typeof exportsOf.default === 'object' && exportsOf.default !== null ? (exportsOf.default as Record<string, unknown>) : { default: exportsOf.default }),
  });
  if (classes.length === 0) {
    throw new JobsModuleError(`--jobs ${modulePath}: the module exports no Job classes (export classes that extend Job from @partita/job)`);
  }
  return classes;
}
