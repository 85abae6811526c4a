import type { TableConfig } from '../../config/types.js';
import type { TableShape } from '../../core/types.js';
import { sqlString } from '../sql.js';

const q = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/**
 * Per-event triggers (MySQL/MariaDB have no multi-event trigger). The origin comes from
 * the session variable `@nsync_origin`; '-' marks a replica copy that is not logged.
 */
export function mysqlCaptureDdl(
  table: TableConfig,
  shape: TableShape,
): { install: string[]; uninstall: string[] } {
  const t = q(table.name);
  const name = sqlString(table.name);
  const keyOf = (row: string) =>
    `JSON_ARRAY(${shape.primaryKey.map((k) => `CAST(${row}.${q(k)} AS CHAR)`).join(', ')})`;
  const ts = shape.columns.find((c) => c.name === table.timestampColumn);
  const changedAt = ts ? `NEW.${q(ts.name)}` : 'NULL';
  const logged = `NOT (@nsync_origin <=> '-')`;
  const entry = (pk: string, op: string, at: string) =>
    `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES (${name}, ${pk}, '${op}', ${at}, @nsync_origin, NULL)
      ON DUPLICATE KEY UPDATE op = VALUES(op), changed_at = VALUES(changed_at), origin = VALUES(origin), seq = NULL;`;
  const keyChanged = shape.primaryKey.map((k) => `NOT (OLD.${q(k)} <=> NEW.${q(k)})`).join(' OR ');
  const names = ['ai', 'au', 'ad', 'bi', 'bu'].map((s) => q(`nsync_${table.name}_${s}`));
  const [ai, au, ad, bi, bu] = names as [string, string, string, string, string];
  const uninstall = names.map((n) => `DROP TRIGGER IF EXISTS ${n}`);
  const install = [
    ...uninstall,
    `CREATE TRIGGER ${ai} AFTER INSERT ON ${t} FOR EACH ROW BEGIN
  IF ${logged} THEN ${entry(keyOf('NEW'), 'upsert', changedAt)} END IF;
END`,
    `CREATE TRIGGER ${au} AFTER UPDATE ON ${t} FOR EACH ROW BEGIN
  IF ${logged} THEN
    IF ${keyChanged} THEN ${entry(keyOf('OLD'), 'delete', 'UTC_TIMESTAMP(6)')} END IF;
    ${entry(keyOf('NEW'), 'upsert', changedAt)}
  END IF;
END`,
    `CREATE TRIGGER ${ad} AFTER DELETE ON ${t} FOR EACH ROW BEGIN
  IF ${logged} THEN ${entry(keyOf('OLD'), 'delete', 'UTC_TIMESTAMP(6)')} END IF;
END`,
  ];
  if (table.maintainTimestamp && ts) {
    // TIMESTAMP columns convert from the session time zone; DATETIME stores what it is given (UTC here).
    const now = ts.dbType.startsWith('timestamp') ? 'NOW(6)' : 'UTC_TIMESTAMP(6)';
    const stamp = `IF @nsync_origin IS NULL THEN SET NEW.${q(ts.name)} = ${now}; END IF;`;
    install.push(
      `CREATE TRIGGER ${bi} BEFORE INSERT ON ${t} FOR EACH ROW BEGIN ${stamp} END`,
      `CREATE TRIGGER ${bu} BEFORE UPDATE ON ${t} FOR EACH ROW BEGIN ${stamp} END`,
    );
  }
  return { install, uninstall };
}
