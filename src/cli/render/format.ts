import type { RunResult, TableResult } from '../../index.js';

/** `0.42s`, `12.3s` or `2m05s`. */
export function formatDuration(ms: number, digits = 2): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(digits)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line per table, short enough for a cron mail. */
export function formatTableLine(result: TableResult): string {
  const head = `${result.table}  ${result.direction}`;
  if (!result.ok) {
    // The engine's message names table and direction too, for readers of RunResult alone.
    const error = (result.error ?? 'unknown error').replace(`${result.table} (${result.direction}): `, '');
    return `${head}  FAILED: ${error}`;
  }
  const c = result.counts;
  // With a remote: what crossed the network (directions read `here → hq` or `hq → here`).
  const moved =
    result.remote === undefined ? 'read' : result.direction.startsWith('here') ? 'pushed' : 'pulled';
  const fields: [string, number][] = [
    [moved, result.read],
    ['inserted', c.inserted],
    ['updated', c.updated],
    ['deleted', c.deleted],
    // Older and identical incoming versions are both left alone.
    ['skipped', c.skippedOlder + c.unchanged],
    ['conflicts', c.conflicts],
  ];
  if (c.overwritten > 0) fields.push(['overwritten', c.overwritten]);
  const counts = fields.map(([name, n]) => `${name} ${n}`).join('  ');
  return `${head}  ${counts}  ${formatDuration(result.durationMs)}`;
}

/** Spinner text while a table runs. */
export function formatProgress(table: string, direction: string, rows: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0;
  return `${table}  ${direction}  ${plural(rows, 'row')}  ${rate} rows/s`;
}

export function formatSummary(result: RunResult): string {
  const failed = result.tables.filter((t) => !t.ok).length;
  const done = result.tables.length - failed;
  const took = formatDuration(result.durationMs, 1);
  if (result.dryRun) {
    const failures = failed > 0 ? `, ${failed} failed` : '';
    return `dry run: nothing written (${plural(result.tables.length, 'table')} compared${failures} in ${took})`;
  }
  const failures = failed > 0 ? `, ${failed} failed` : '';
  return `${plural(done, 'table')} synced${failures} in ${took}`;
}
