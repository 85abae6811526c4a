import { keyId, toCanonical } from '../core/canonical.js';
import { NsyncError, messageOf } from '../core/errors.js';
import { canonicalTimestamp, sqlTimestamp } from '../core/timestamp.js';
import type { TableConfig } from '../config/types.js';
import type { CanonicalRow, CanonicalValue, Change, ColumnShape, TableShape } from '../core/types.js';
import { keyOf, rowTime } from './localRows.js';

/**
 * What arrives over HTTP, checked value by value against the table's shape before anything
 * is written: column names only as the table has them, every key column present, every
 * value of a kind its column can hold. A problem fails the whole request, naming where.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FLOAT_WORDS = new Set(['NaN', 'Infinity', '-Infinity']);

/** How a name from a request appears in a message: quoted, escaped and cut short. */
function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

function fail(where: string, message: string): never {
  throw new NsyncError('INPUT', `${where}: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value already in canonical encoding (nsync's own protocol), checked for its column. */
function canonicalValue(column: ColumnShape, value: unknown): CanonicalValue {
  if (value === null) return null;
  switch (column.kind) {
    case 'text':
      if (typeof value !== 'string') throw new Error('must be a string');
      return value;
    case 'binary':
      if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value))
        throw new Error('must be base64');
      return value;
    case 'float':
      if (typeof value === 'number' || (typeof value === 'string' && FLOAT_WORDS.has(value))) return value;
      throw new Error('must be a number');
    case 'json':
      return value as CanonicalValue;
    default:
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        throw new Error(`must be a ${column.kind} value`);
      return toCanonical(column, value);
  }
}

/** A value as NunezReplication's PHP client sends it (what PDO returned from MySQL). */
function phpValue(column: ColumnShape, value: unknown): CanonicalValue {
  if (value === null) return null;
  if (typeof value === 'object') throw new Error('must not be an object or array');
  if (column.kind === 'json' && typeof value !== 'string') throw new Error('must be JSON text');
  return toCanonical(column, value);
}

type ValueReader = (column: ColumnShape, value: unknown) => CanonicalValue;

function readRow(shape: TableShape, raw: unknown, where: string, read: ValueReader): CanonicalRow {
  if (!isObject(raw)) fail(where, 'must be an object of column values');
  const known = new Map(shape.columns.map((c) => [c.name, c]));
  const unknown = Object.keys(raw).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    fail(
      where,
      `unknown column ${unknown.slice(0, 3).map(shown).join(', ')} (table ${shape.name} has ${[...known.keys()].join(', ')})`,
    );
  }
  const missing = shape.columns.filter((c) => !Object.hasOwn(raw, c.name)).map((c) => c.name);
  if (missing.length > 0) fail(where, `lacks column ${missing.join(', ')}`);
  const row: CanonicalRow = {};
  for (const column of shape.columns) {
    try {
      row[column.name] = read(column, raw[column.name]);
    } catch (error) {
      fail(`${where}.${column.name}`, `${messageOf(error)} for ${column.dbType}`);
    }
  }
  for (const name of shape.primaryKey)
    if (row[name] === null) fail(`${where}.${name}`, 'key column may not be null');
  return row;
}

/** A key (values in primary-key order, canonical), checked for the key's columns; `where` names it in errors. */
export function readKey(shape: TableShape, raw: unknown, where: string): CanonicalValue[] {
  if (!Array.isArray(raw) || raw.length !== shape.primaryKey.length)
    fail(
      where,
      `must be an array of ${shape.primaryKey.length} key value(s) (${shape.primaryKey.join(', ')})`,
    );
  return shape.primaryKey.map((name, i) => {
    const column = shape.columns.find((c) => c.name === name) as ColumnShape;
    const value = raw[i] as unknown;
    if (value === null) fail(`${where}[${i}]`, 'key column may not be null');
    try {
      return canonicalValue(column, value);
    } catch (error) {
      return fail(`${where}[${i}]`, `${messageOf(error)} for ${column.dbType}`);
    }
  });
}

function readTime(raw: unknown, where: string): string {
  if (typeof raw !== 'string') fail(where, 'must be a timestamp string');
  try {
    return canonicalTimestamp(raw);
  } catch (error) {
    return fail(where, messageOf(error));
  }
}

/** `changes` of a `/v1/push`: canonical upserts and deletes (DESIGN §5). */
export function decodeChanges(table: TableConfig, shape: TableShape, changes: unknown[]): Change[] {
  return changes.map((raw, i): Change => {
    const where = `changes[${i}]`;
    if (!isObject(raw)) fail(where, 'must be an object');
    if (raw.op === 'delete')
      return {
        op: 'delete',
        key: readKey(shape, raw.key, `${where}.key`),
        at: readTime(raw.at, `${where}.at`),
      };
    if (raw.op !== 'upsert') fail(`${where}.op`, 'must be "upsert" or "delete"');
    const row = readRow(shape, raw.row, `${where}.row`, canonicalValue);
    const key = keyOf(shape, row);
    if (raw.key !== undefined && keyId(readKey(shape, raw.key, `${where}.key`)) !== keyId(key))
      fail(`${where}.key`, "does not match the row's key columns");
    return { op: 'upsert', key, row, at: rowTime(table, row) };
  });
}

/** `data` of a NunezReplication `/api/push`: whole rows, as its PHP client reads them from MySQL. */
export function decodePhpRows(table: TableConfig, shape: TableShape, rows: unknown[]): Change[] {
  return rows.map((raw, i): Change => {
    const row = readRow(shape, raw, `data[${i}]`, phpValue);
    return { op: 'upsert', key: keyOf(shape, row), row, at: rowTime(table, row) };
  });
}

/**
 * A row as NunezReplication's server sent it and its PHP client expects: integers as numbers,
 * decimals as strings, times as `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds), booleans as 1/0 and JSON as text,
 * as PDO returns them from MySQL. Binary stays base64 (PHP could not send it at all).
 */
export function phpRow(shape: TableShape, row: CanonicalRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of shape.columns) {
    const value = row[column.name] ?? null;
    if (value === null) out[column.name] = null;
    else if (column.kind === 'timestamp') out[column.name] = sqlTimestamp(value as string, 0);
    else if (column.kind === 'boolean') out[column.name] = value ? 1 : 0;
    else if (column.kind === 'json') out[column.name] = JSON.stringify(value);
    else out[column.name] = value;
  }
  return out;
}
