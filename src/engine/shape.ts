import type { Adapter } from '../adapters/index.js';
import type { TableConfig } from '../config/types.js';
import { NsyncError } from '../core/errors.js';
import type { TableShape } from '../core/types.js';

/**
 * The shape nsync syncs for a configured table on one database: its columns minus
 * `ignoreColumns`, its key, and a timestamp column. Fails naming what is missing.
 */
export async function resolveShape(adapter: Adapter, table: TableConfig): Promise<TableShape> {
  const found = await adapter.introspect(table.name);
  const where = `${table.name} on ${adapter.label}`;
  if (!found) throw new NsyncError('TABLE', `table ${where} does not exist`);
  const names = found.columns.map((c) => c.name);
  const bad = names.filter((n) => !/^[A-Za-z0-9_$ -]+$/.test(n));
  if (bad.length > 0)
    throw new NsyncError(
      'SCHEMA',
      `table ${where} has column names nsync cannot quote safely: ${bad.join(', ')}`,
    );
  if (found.primaryKey.length === 0) throw new NsyncError('SCHEMA', `table ${where} has no primary key`);
  const key = table.primaryKey;
  if (key.join(',') !== found.primaryKey.join(',')) {
    throw new NsyncError(
      'SCHEMA',
      `table ${where}: configured primaryKey (${key.join(', ')}) is not the table's primary key (${found.primaryKey.join(', ')})`,
    );
  }
  if (!names.includes(table.timestampColumn)) {
    throw new NsyncError('SCHEMA', `table ${where} has no timestamp column ${table.timestampColumn}`);
  }
  const ts = found.columns.find((c) => c.name === table.timestampColumn);
  if (ts && ts.kind !== 'timestamp') {
    throw new NsyncError(
      'SCHEMA',
      `table ${where}: timestamp column ${table.timestampColumn} is ${ts.dbType}, not a date-time`,
    );
  }
  // The change log stores a key as the text each database prints for it; only these kinds
  // print the same way everywhere (a timestamp or REAL decimal key would not match).
  const badKey = found.columns.filter(
    (c) => key.includes(c.name) && !['integer', 'text', 'date'].includes(c.kind),
  );
  if (badKey.length > 0) {
    throw new NsyncError(
      'SCHEMA',
      `table ${where}: key column ${badKey[0]?.name} (${badKey[0]?.dbType}) cannot be a sync key`,
    );
  }
  return {
    name: table.name,
    columns: found.columns.filter((c) => !table.ignoreColumns.includes(c.name)),
    primaryKey: found.primaryKey,
  };
}

/** Fractional digits a table's timestamp column keeps. */
export function timestampDigits(shape: TableShape, table: TableConfig): number {
  return shape.columns.find((c) => c.name === table.timestampColumn)?.precision ?? 6;
}
