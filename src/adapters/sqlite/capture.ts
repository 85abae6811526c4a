import type { TableConfig } from '../../config/types.js';
import type { TableShape } from '../../core/types.js';
import { sqlString } from '../sql.js';

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const NOW = `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
const ORIGIN = `(SELECT origin FROM nsync_session)`;

/**
 * Per-event triggers. A trigger cannot read a connection's temp tables, so nsync writes its
 * origin into the one-row `nsync_session` inside its own write transaction and clears it
 * before commit; SQLite's single writer means no one else ever sees it set.
 */
export function sqliteCaptureDdl(
  table: TableConfig,
  shape: TableShape,
): { install: string[]; uninstall: string[] } {
  const t = q(table.name);
  const name = sqlString(table.name);
  const keyOf = (row: string) =>
    `json_array(${shape.primaryKey.map((k) => `CAST(${row}.${q(k)} AS TEXT)`).join(', ')})`;
  const ts = shape.columns.find((c) => c.name === table.timestampColumn);
  const changedAt = ts ? `NEW.${q(ts.name)}` : 'NULL';
  const logged = `WHEN coalesce(${ORIGIN}, '') <> '-'`;
  const entry = (pk: string, op: string, at: string) =>
    `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES (${name}, ${pk}, '${op}', ${at}, ${ORIGIN}, NULL)
      ON CONFLICT (table_name, pk) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at, origin = excluded.origin, seq = NULL;`;
  const keyChanged = shape.primaryKey.map((k) => `OLD.${q(k)} IS NOT NEW.${q(k)}`).join(' OR ');
  const names = ['ai', 'au', 'ak', 'ad', 'si', 'su'].map((s) => q(`nsync_${table.name}_${s}`));
  const [ai, au, ak, ad, si, su] = names as [string, string, string, string, string, string];
  const uninstall = names.map((n) => `DROP TRIGGER IF EXISTS ${n}`);
  const install = [
    ...uninstall,
    `CREATE TRIGGER ${ai} AFTER INSERT ON ${t} ${logged} BEGIN ${entry(keyOf('NEW'), 'upsert', changedAt)} END`,
    `CREATE TRIGGER ${ak} AFTER UPDATE ON ${t} ${logged} AND (${keyChanged}) BEGIN ${entry(keyOf('OLD'), 'delete', NOW)} END`,
    `CREATE TRIGGER ${au} AFTER UPDATE ON ${t} ${logged} BEGIN ${entry(keyOf('NEW'), 'upsert', changedAt)} END`,
    `CREATE TRIGGER ${ad} AFTER DELETE ON ${t} ${logged} BEGIN ${entry(keyOf('OLD'), 'delete', NOW)} END`,
  ];
  if (table.maintainTimestamp && ts) {
    // SQLite cannot assign NEW in a BEFORE trigger: stamp the row right after the application's write.
    const col = q(ts.name);
    const match = shape.primaryKey.map((k) => `${q(k)} = NEW.${q(k)}`).join(' AND ');
    const stamp = `UPDATE ${t} SET ${col} = ${NOW} WHERE ${match};`;
    install.push(
      `CREATE TRIGGER ${si} AFTER INSERT ON ${t} WHEN ${ORIGIN} IS NULL AND NEW.${col} IS NULL BEGIN ${stamp} END`,
      `CREATE TRIGGER ${su} AFTER UPDATE ON ${t} WHEN ${ORIGIN} IS NULL AND NEW.${col} IS OLD.${col} BEGIN ${stamp} END`,
    );
  }
  return { install, uninstall };
}
