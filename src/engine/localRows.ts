import type { Adapter, Db, SqlRow } from '../adapters/index.js';
import { chunks, columnList, keyAfterClause, keyUpToClause } from '../adapters/sql.js';
import { toCanonical } from '../core/canonical.js';
import type { TableConfig } from '../config/types.js';
import type { CanonicalRow, CanonicalValue, Change, ColumnKind, TableShape } from '../core/types.js';

/** Row reads shared by pull and apply: canonical rows in, canonical rows out. */

export function canonicalRow(adapter: Adapter, shape: TableShape, raw: SqlRow): CanonicalRow {
  const row: CanonicalRow = {};
  for (const column of shape.columns)
    row[column.name] = toCanonical(column, adapter.fromDriver(column, raw[column.name]));
  return row;
}

export function keyOf(shape: TableShape, row: CanonicalRow): CanonicalValue[] {
  return shape.primaryKey.map((k) => row[k] ?? null);
}

/** A row's timestamp column (canonical), or null when it has none. */
export function rowTime(table: TableConfig, row: CanonicalRow): string | null {
  const at = row[table.timestampColumn];
  return typeof at === 'string' ? at : null;
}

/** The change that carries a row as it is now. */
export function upsertOf(
  table: TableConfig,
  shape: TableShape,
  row: CanonicalRow,
  key = keyOf(shape, row),
): Change {
  return { op: 'upsert', key, row, at: rowTime(table, row) };
}

function keyBindings(adapter: Adapter, shape: TableShape, key: CanonicalValue[]): unknown[] {
  return shape.primaryKey.map((name, i) => {
    const column = shape.columns.find((c) => c.name === name);
    return column ? adapter.toDriver(column, key[i] ?? null) : null;
  });
}

/**
 * The next page of rows in key order after `after` (keyset paging, never OFFSET), up to and
 * including the key `upTo` when given.
 */
export async function readPage(
  adapter: Adapter,
  shape: TableShape,
  after: CanonicalValue[] | null,
  limit: number,
  upTo: CanonicalValue[] | null = null,
): Promise<CanonicalRow[]> {
  const q = adapter.quote;
  const conditions = [
    ...(after ? [keyAfterClause(q, shape.primaryKey)] : []),
    ...(upTo ? [keyUpToClause(q, shape.primaryKey)] : []),
  ];
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const sql = `SELECT ${columnList(
    q,
    shape.columns.map((c) => c.name),
  )} FROM ${q(shape.name)} ${where}
    ORDER BY ${columnList(q, shape.primaryKey)} LIMIT ${Number(limit)}`;
  const bindings = [
    ...(after ? keyBindings(adapter, shape, after) : []),
    ...(upTo ? keyBindings(adapter, shape, upTo) : []),
  ];
  const rows = await adapter.query(adapter.db, sql, bindings);
  return rows.map((r) => canonicalRow(adapter, shape, r));
}

/** Every row after `after` (up to `upTo`) in key order, `size` rows a page: memory holds one page. */
export async function* pagesInKeyOrder(
  adapter: Adapter,
  shape: TableShape,
  size: number,
  after: CanonicalValue[] | null = null,
  upTo: CanonicalValue[] | null = null,
): AsyncGenerator<CanonicalRow[]> {
  let from = after;
  for (;;) {
    const page = await readPage(adapter, shape, from, size, upTo);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    from = keyOf(shape, page.at(-1) as CanonicalRow);
  }
}

/** The rows that exist for these keys, optionally locked for the rest of the transaction. */
export async function rowsByKeys(
  adapter: Adapter,
  on: Db,
  shape: TableShape,
  keys: CanonicalValue[][],
  lock: boolean,
): Promise<CanonicalRow[]> {
  const q = adapter.quote;
  const columns = columnList(
    q,
    shape.columns.map((c) => c.name),
  );
  const out: CanonicalRow[] = [];
  for (const part of chunks(keys, keysPerStatement(adapter, shape))) {
    const match = adapter.keyMatch(shape, part);
    const sql = `SELECT ${columns} FROM ${q(shape.name)} WHERE ${match.sql}${lock ? ' FOR UPDATE' : ''}`;
    for (const r of await adapter.query(on, sql, match.bindings)) out.push(canonicalRow(adapter, shape, r));
  }
  return out;
}

/** Deletes the rows with these keys. */
export async function deleteKeys(
  adapter: Adapter,
  on: Db,
  shape: TableShape,
  keys: CanonicalValue[][],
): Promise<void> {
  for (const part of chunks(keys, keysPerStatement(adapter, shape))) {
    const match = adapter.keyMatch(shape, part);
    await adapter.query(on, `DELETE FROM ${adapter.quote(shape.name)} WHERE ${match.sql}`, match.bindings);
  }
}

function keysPerStatement(adapter: Adapter, shape: TableShape): number {
  return Math.min(5_000, Math.floor(adapter.caps.maxBindings / shape.primaryKey.length));
}

/**
 * Re-encodes a canonical row from another database for this table, keeping only its columns.
 * Text, floats, JSON and binary are already canonical; times and decimals depend on the
 * column (precision, scale), and integers, booleans and dates are checked so a value that
 * does not fit fails here, before any write.
 */
export function fitRow(shape: TableShape, row: CanonicalRow): CanonicalRow {
  const out: CanonicalRow = {};
  for (const column of shape.columns) {
    const value = row[column.name] ?? null;
    out[column.name] = value === null || !REFIT.has(column.kind) ? value : toCanonical(column, value);
  }
  return out;
}

const REFIT = new Set<ColumnKind>(['timestamp', 'decimal', 'integer', 'boolean', 'date']);
