import type { DeadJob } from './dead-job';

function cell(text: string, width: number): string {
  const clean = text.replace(/\s+/g, ' ');
  return clean.length <= width ? clean.padEnd(width) : `${clean.slice(0, width - 1)}…`;
}

/** Renders dead jobs as a fixed-width table: job, key, error, attempts, when, where. */
export function formatDeadJobTable(jobs: DeadJob[], width = 140): string {
  const columns = [
    { title: 'JOB', width: 18, value: (j: DeadJob) => j.name ?? '?' },
    { title: 'KEY', width: 14, value: (j: DeadJob) => j.key ?? '-' },
    { title: 'ATTEMPTS', width: 8, value: (j: DeadJob) => (j.attempts === null ? '?' : String(j.attempts)) },
    { title: 'WHEN (UTC)', width: 19, value: (j: DeadJob) => (j.lastFailedAt ? j.lastFailedAt.toISOString().slice(0, 19).replace('T', ' ') : '?') },
    { title: 'SOURCE', width: 16, value: (j: DeadJob) => (j.sourcePartition === null ? '?' : `${j.sourcePartition}@${j.sourceOffset}`) },
  ];
  const fixed = columns.reduce((n, c) => n + c.width + 2, 0);
  const errorWidth = Math.max(20, width - fixed);
  const error = (j: DeadJob) => (j.reason && j.reason !== 'failed' ? `poison (${j.reason}): ` : '') + `${j.errorClass ?? 'Error'}: ${j.errorMessage ?? ''}`;
  const header = [...columns.map((c) => cell(c.title, c.width)), 'ERROR'].join('  ');
  const rows = jobs.map((j) => [...columns.map((c) => cell(c.value(j), c.width)), cell(error(j), errorWidth).trimEnd()].join('  '));
  return [header, ...rows].join('\n');
}
