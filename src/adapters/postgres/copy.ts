import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { CanonicalRow, CanonicalValue, ColumnShape, TableShape } from '../../core/types.js';

/** One value in COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2). */
function copyText(column: ColumnShape, value: CanonicalValue): string {
  if (value === null) return '\\N';
  switch (column.kind) {
    case 'binary':
      // COPY text needs the bytea escape's backslash doubled.
      return `\\\\x${Buffer.from(String(value), 'base64').toString('hex')}`;
    case 'json':
      return escapeCopy(JSON.stringify(value));
    case 'text':
      return escapeCopy(String(value));
    case 'boolean':
      return value ? 't' : 'f';
    default:
      // Numbers, decimals, times and dates never hold a backslash, tab or line break.
      return String(value);
  }
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeCopy(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : text;
}

/**
 * Inserts rows with COPY FROM STDIN on the transaction's own connection, under a savepoint.
 * Returns false (nothing written) when a key already exists, so the caller can fall back
 * to an insert that skips existing keys.
 */
export async function copyRows(
  trx: Knex.Transaction,
  quote: (s: string) => string,
  shape: TableShape,
  rows: CanonicalRow[],
): Promise<boolean> {
  const columns = shape.columns;
  const lines = function* () {
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i] as ColumnShape;
        line += (i === 0 ? '' : '\t') + copyText(column, row[column.name] ?? null);
      }
      yield `${line}\n`;
    }
  };
  const sql = `COPY ${quote(shape.name)} (${columns.map((c) => quote(c.name)).join(', ')}) FROM STDIN`;
  return copyLines(trx, sql, lines());
}

/**
 * COPY … FROM STDIN of text-format lines (each ending in a line break), under a savepoint:
 * all of them or none. Returns false when a key already exists.
 */
export async function copyLines(
  trx: Knex.Transaction,
  sql: string,
  lines: Iterable<string>,
): Promise<boolean> {
  const conn = (await (
    trx.client as { acquireConnection(): Promise<pg.Client> }
  ).acquireConnection()) as pg.Client;
  await conn.query('SAVEPOINT nsync_copy');
  try {
    const chunks = function* () {
      let chunk = '';
      for (const line of lines) {
        chunk += line;
        if (chunk.length > 65_536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    await pipeline(Readable.from(chunks()), conn.query(copyFrom(sql)));
    await conn.query('RELEASE SAVEPOINT nsync_copy');
    return true;
  } catch (error) {
    await conn.query('ROLLBACK TO SAVEPOINT nsync_copy');
    if ((error as { code?: string }).code === '23505') return false;
    throw error;
  }
}

/** A text value for COPY's text format, escaped. */
export function copyString(text: string): string {
  return escapeCopy(text);
}
