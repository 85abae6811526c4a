import type { Database } from 'better-sqlite3';
import knexFactory from 'knex';
import type { DatabaseConfig } from '../../config/types.js';
import { canonicalTimestamp } from '../../core/timestamp.js';
import type { CanonicalRow, CanonicalValue, ColumnShape, TableShape } from '../../core/types.js';
import type { Adapter, Db } from '../adapter.js';
import { quietKnex } from '../log.js';
import { boundValue } from '../values.js';
import { keyTextWith, parseKeyTextFor } from '../keys.js';
import { columnList, keyInMatch, placeholderRows } from '../sql.js';
import { sqliteCaptureDdl } from './capture.js';
import { introspectSqlite } from './introspect.js';
import { prepared, runStatement, withConnection } from './statements.js';

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export function createSqliteAdapter(config: DatabaseConfig, label: string): Adapter {
  if (!('filename' in config.connection)) throw new Error('sqlite needs a filename');
  const db = knexFactory({
    log: quietKnex,
    client: 'better-sqlite3',
    // Integers beyond 2^53 come back as BigInt instead of losing digits.
    connection: { filename: config.connection.filename, options: { safeIntegers: true } },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: Database, done: (err: Error | null, conn: Database) => void) => {
        try {
          conn.pragma('busy_timeout = 10000');
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });

  const adapter: Adapter = {
    dialect: 'sqlite',
    caps: { maxRowsPerStatement: 500, maxBindings: 32_766, changeLogDigits: 3, rowLocks: false },
    db,
    label,
    query: (on: Db, sql: string, bindings: readonly unknown[] = []) =>
      withConnection(on, (connection) => runStatement(connection, sql, bindings)),
    quote,
    introspect: (table) => introspectSqlite(adapter, table),
    async leadingIndexColumns(table) {
      const rows = await adapter.query(
        db,
        `SELECT ii.name AS name FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii WHERE ii.seqno = 0`,
        [table],
      );
      return rows.map((r) => String(r.name));
    },
    async hasCapture(table) {
      const rows = await adapter.query(
        db,
        `SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
        [`nsync_${table}_ai`],
      );
      return rows.length > 0;
    },
    async now(on = db) {
      const [row] = await adapter.query(on, `SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now`);
      return canonicalTimestamp(String(row?.now));
    },
    fromDriver(column: ColumnShape, value: unknown): unknown {
      if (value === null || value === undefined) return null;
      if (typeof value === 'bigint' && column.kind !== 'integer') return Number(value);
      return value;
    },
    toDriver(column: ColumnShape, value: CanonicalValue): unknown {
      // Integers beyond 2^53 travel as strings; SQLite binds them as 64-bit integers.
      if (column.kind === 'integer' && typeof value === 'string') return BigInt(value);
      return boundValue(column, value);
    },
    keyMatch: (shape, keys) => keyInMatch(quote, shape, keys, adapter.toDriver),
    keyText: (_shape, key) => keyTextWith(',', key),
    parseKeyText: (shape, text) => parseKeyTextFor(shape, text),
    captureDdl: sqliteCaptureDdl,
    async assignRound() {
      return db.transaction(async (trx) => {
        await trx.raw(
          `UPDATE nsync_changes SET seq = m.value + n.rn
           FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) AS rn FROM nsync_changes WHERE seq IS NULL) AS n,
                nsync_meta AS m
           WHERE m.name = 'seq' AND nsync_changes.rowid = n.rid`,
        );
        await trx.raw(
          `UPDATE nsync_meta SET value = max(value, (SELECT coalesce(max(seq), 0) FROM nsync_changes)) WHERE name = 'seq'`,
        );
        const [row] = await adapter.query(trx, `SELECT value AS hw FROM nsync_meta WHERE name = 'seq'`);
        return Number(row?.hw ?? 0);
      });
    },
    async setOrigin(trx, origin) {
      await trx.raw(`UPDATE nsync_session SET origin = ?`, [origin]);
    },
    async writeRows(trx, shape: TableShape, rows: CanonicalRow[], mode) {
      if (rows.length === 0) return 0;
      const names = shape.columns.map((c) => c.name);
      const rest = names.filter((n) => !shape.primaryKey.includes(n));
      const onConflict =
        mode !== 'upsert' || rest.length === 0
          ? 'DO NOTHING'
          : `DO UPDATE SET ${rest.map((n) => `${quote(n)} = excluded.${quote(n)}`).join(', ')}`;
      // One prepared single-row statement, run per row inside the batch's transaction: in
      // SQLite (in-process) that is as fast as multi-row VALUES, without building them.
      const sql = `INSERT INTO ${quote(shape.name)} (${columnList(quote, names)}) VALUES ${placeholderRows(1, names.length)}
        ON CONFLICT (${columnList(quote, shape.primaryKey)}) ${onConflict}`;
      return withConnection(trx, (connection) => {
        const statement = prepared(connection, sql);
        let written = 0;
        for (const row of rows)
          written += statement.run(
            shape.columns.map((c) => adapter.toDriver(c, row[c.name] ?? null)),
          ).changes;
        return written;
      });
    },
    deferFlush: async () => undefined,
    transaction: (fn) => db.transaction(fn),
    close: () => db.destroy(),
  };
  return adapter;
}
