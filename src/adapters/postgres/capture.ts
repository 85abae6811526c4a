import type { TableConfig } from '../../config/types.js';
import type { TableShape } from '../../core/types.js';
import { sqlString } from '../sql.js';

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** PL/pgSQL capture triggers (DESIGN §2): one change-log entry per row, origin from `nsync.origin`. */
export function postgresCaptureDdl(
  table: TableConfig,
  shape: TableShape,
): { install: string[]; uninstall: string[] } {
  const fn = q(`nsync_capture_${table.name}`);
  const stampFn = q(`nsync_stamp_${table.name}`);
  const name = sqlString(table.name);
  const keyOf = (row: string) =>
    `json_build_array(${shape.primaryKey.map((k) => `${row}.${q(k)}::text`).join(', ')})::text`;
  const ts = shape.columns.find((c) => c.name === table.timestampColumn);
  const utc = ts?.dbType.includes('with time zone') ? ` AT TIME ZONE 'UTC'` : '';
  const changedAt = ts ? `NEW.${q(ts.name)}${utc}` : 'NULL';
  const keyChanged = shape.primaryKey.map((k) => `OLD.${q(k)} IS DISTINCT FROM NEW.${q(k)}`).join(' OR ');
  const upsert = (pk: string, op: string, at: string) =>
    `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES (${name}, ${pk}, '${op}', ${at}, o, NULL)
      ON CONFLICT (table_name, pk) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at, origin = excluded.origin, seq = NULL;`;
  const install = [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $nsync$
DECLARE
  o text := nullif(current_setting('nsync.origin', true), '');
BEGIN
  IF o = '-' THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (${keyChanged})) THEN
    ${upsert(keyOf('OLD'), 'delete', `clock_timestamp() AT TIME ZONE 'UTC'`)}
  END IF;
  IF TG_OP <> 'DELETE' THEN
    ${upsert(keyOf('NEW'), 'upsert', changedAt)}
  END IF;
  RETURN NULL;
END $nsync$`,
    `DROP TRIGGER IF EXISTS nsync_capture ON ${q(table.name)}`,
    // The WHEN keeps nsync's replica writes out of PL/pgSQL altogether.
    `CREATE TRIGGER nsync_capture AFTER INSERT OR UPDATE OR DELETE ON ${q(table.name)} FOR EACH ROW ` +
      `WHEN (coalesce(current_setting('nsync.origin', true), '') <> '-') EXECUTE FUNCTION ${fn}()`,
    `DROP TRIGGER IF EXISTS nsync_stamp ON ${q(table.name)}`,
  ];
  if (table.maintainTimestamp && ts) {
    const now = utc ? 'clock_timestamp()' : `clock_timestamp() AT TIME ZONE 'UTC'`;
    install.push(
      `CREATE OR REPLACE FUNCTION ${stampFn}() RETURNS trigger LANGUAGE plpgsql AS $nsync$
BEGIN
  IF nullif(current_setting('nsync.origin', true), '') IS NULL THEN NEW.${q(ts.name)} := ${now}; END IF;
  RETURN NEW;
END $nsync$`,
      `CREATE TRIGGER nsync_stamp BEFORE INSERT OR UPDATE ON ${q(table.name)} FOR EACH ROW EXECUTE FUNCTION ${stampFn}()`,
    );
  }
  const uninstall = [
    `DROP TRIGGER IF EXISTS nsync_capture ON ${q(table.name)}`,
    `DROP TRIGGER IF EXISTS nsync_stamp ON ${q(table.name)}`,
    `DROP FUNCTION IF EXISTS ${fn}()`,
    `DROP FUNCTION IF EXISTS ${stampFn}()`,
  ];
  return { install, uninstall };
}
