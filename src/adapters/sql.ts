import type { CanonicalValue, ColumnShape, TableShape } from '../core/types.js';

/** SQL fragments every dialect writes the same way, given its identifier quoting. */

export function columnList(quote: (s: string) => string, columns: readonly string[]): string {
  return columns.map(quote).join(', ');
}

/** `(?, ?), (?, ?)` for `rows` tuples of `width` placeholders. */
export function placeholderRows(rows: number, width: number): string {
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => tuple).join(', ');
}

/** `"a" IN (?, ?)` or `("a", "b") IN ((?, ?), (?, ?))` for `count` keys. */
export function keyInClause(
  quote: (s: string) => string,
  keyColumns: readonly string[],
  count: number,
): string {
  if (keyColumns.length === 1) {
    return `${quote(keyColumns[0] as string)} IN (${Array.from({ length: count }, () => '?').join(', ')})`;
  }
  return `(${columnList(quote, keyColumns)}) IN (${placeholderRows(count, keyColumns.length)})`;
}

/** The generic key condition: an IN list of bound key values. */
export function keyInMatch(
  quote: (s: string) => string,
  shape: TableShape,
  keys: CanonicalValue[][],
  toDriver: (column: ColumnShape, value: CanonicalValue) => unknown,
): { sql: string; bindings: unknown[] } {
  const columns = shape.primaryKey.map((name) => shape.columns.find((c) => c.name === name));
  return {
    sql: keyInClause(quote, shape.primaryKey, keys.length),
    bindings: keys.flatMap((key) => columns.map((c, i) => (c ? toDriver(c, key[i] ?? null) : null))),
  };
}

/** `"a" > ?` or `("a", "b") > (?, ?)`: the keyset condition for the page after a key. */
export function keyAfterClause(quote: (s: string) => string, keyColumns: readonly string[]): string {
  if (keyColumns.length === 1) return `${quote(keyColumns[0] as string)} > ?`;
  return `(${columnList(quote, keyColumns)}) > (${keyColumns.map(() => '?').join(', ')})`;
}

/** `"a" <= ?` or `("a", "b") <= (?, ?)`: the upper end of a key range. */
export function keyUpToClause(quote: (s: string) => string, keyColumns: readonly string[]): string {
  return keyAfterClause(quote, keyColumns).replace(/ > /, ' <= ');
}

/** How many rows fit in one statement for this table. */
export function rowsPerStatement(shape: TableShape, maxRows: number, maxBindings: number): number {
  return Math.max(1, Math.min(maxRows, Math.floor(maxBindings / Math.max(1, shape.columns.length))));
}

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A string literal for DDL (trigger bodies cannot take bound parameters). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
