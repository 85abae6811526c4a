import { CLOCK_WARN_MS, type RemoteStatus, type StatusReport } from '../../index.js';
import { colorsFor, type Output } from './output.js';

export interface StatusRenderOptions {
  json?: boolean;
  stream: Output;
  isTTY?: boolean;
  /** Now, for "5 min ago" (tests pass their own). */
  now?: number;
}

function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

function remoteLine(remote: RemoteStatus): string {
  if (!remote.reachable) return `unreachable: ${remote.error ?? 'no answer'}`;
  if (!remote.authorised) return `refuses the key: ${remote.error ?? '401'}`;
  if (remote.environment === undefined) return `${remote.version ?? 'unknown server'}`;
  const offset = remote.clockOffsetMs ?? 0;
  return `${remote.environment} · nsync ${remote.version} · clock ${offset >= 0 ? '+' : ''}${(offset / 1000).toFixed(2)} s`;
}

/** Pads every column of `rows` to its widest cell. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * `nsync status`: per remote a heading line, then one row per table and direction (last
 * exchange, pending, conflicts, stale). The same text on a terminal (with colour) and in
 * cron; `--json` prints the report as one JSON object.
 */
export function renderStatus(report: StatusReport, options: StatusRenderOptions): void {
  const { stream } = options;
  if (options.json) {
    stream.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const now = options.now ?? Date.now();
  const color = colorsFor(options.isTTY ?? false);
  for (const remote of report.remotes) {
    const healthy = remote.reachable && remote.authorised;
    const mark = healthy ? color.green('ok   ') : color.red('error');
    stream.write(`${mark}  ${color.bold(remote.name)} ${remote.url}  ${remoteLine(remote)}\n`);
    if (!healthy) continue;
    const rows = [['', 'table', 'direction', 'last exchange', 'pending', 'conflicts', '']];
    for (const table of remote.tables) {
      if (table.error !== undefined) {
        rows.push(['', table.table, '', '', '', '', `error: ${table.error}`]);
        continue;
      }
      for (const d of table.directions) {
        rows.push([
          '',
          table.table,
          d.direction,
          ago(d.lastExchange, now),
          d.pending === null ? '—' : String(d.pending),
          String(table.conflicts),
          d.stale ? 'STALE' : '',
        ]);
      }
    }
    for (const line of columns(rows))
      stream.write(`${line.includes('STALE') || line.includes('error:') ? color.red(line) : line}\n`);
    if (Math.abs(remote.clockOffsetMs ?? 0) > CLOCK_WARN_MS)
      stream.write(color.yellow(`       clock offset above ${CLOCK_WARN_MS / 1000} s\n`));
  }
  for (const warning of report.warnings) stream.write(`${color.yellow('warn ')}  ${warning}\n`);
  stream.write(report.ok ? 'all remotes healthy\n' : 'some remotes or tables need attention\n');
}
