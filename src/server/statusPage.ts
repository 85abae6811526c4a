import type { EndpointInfo, NsyncConfig } from '../index.js';
import type { Activity } from './activity.js';

const escape = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const when = (at: Date): string => at.toISOString().replace('T', ' ').slice(0, 19);

function table(headers: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escape(empty)}</p>`;
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${escape(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * The read-only page at `/`: environment, tables, last exchange per peer and recent errors.
 * Plain HTML, no script, nothing secret (no keys, no addresses, no row data).
 */
export function statusPage(view: {
  config: NsyncConfig;
  info: EndpointInfo | null;
  healthy: boolean;
  activity: Activity;
}): string {
  const { config, info, healthy, activity } = view;
  const tables = config.tables.map((t) => {
    const served = info?.tables.find((i) => i.name === t.name);
    return [
      t.name,
      t.primaryKey.join(', '),
      t.capture,
      t.conflict,
      served?.columns ? `${served.columns.length} columns` : (served?.error ?? 'unknown'),
    ];
  });
  const exchanges = activity
    .lastExchanges()
    .map((e) => [
      e.peer,
      e.table,
      e.direction === 'push' ? 'pushed to us' : 'pulled from us',
      e.rows,
      when(e.at),
    ]);
  const errors = activity
    .recentErrors()
    .map((e) => [when(e.at), `${e.method} ${e.route}`, e.status, e.message]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>nsync · ${escape(config.environment)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-bottom:1.5rem}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.ok{color:#176317}.bad{color:#a40000}.empty{color:#666}
</style></head><body>
<h1>nsync · <span id="environment">${escape(config.environment)}</span></h1>
<p>Version ${escape(info?.version ?? '?')} · mode ${escape(config.mode)} · up since ${when(activity.startedAt)} UTC ·
database <span id="database" class="${healthy ? 'ok' : 'bad'}">${healthy ? 'reachable' : 'unreachable'}</span>
${info ? ` · database clock ${escape(info.clock)}` : ''}</p>
<h2>Tables</h2>
<div id="tables">${table(['table', 'key', 'capture', 'conflict', 'state'], tables, 'No tables configured.')}</div>
<h2>Last exchange per peer</h2>
<div id="exchanges">${table(['peer', 'table', 'direction', 'rows', 'at (UTC)'], exchanges, 'No exchange since the server started.')}</div>
<h2>Recent errors</h2>
<div id="errors">${table(['at (UTC)', 'request', 'status', 'message'], errors, 'No errors since the server started.')}</div>
</body></html>
`;
}
