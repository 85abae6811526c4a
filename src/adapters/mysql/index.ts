import knexFactory from 'knex';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../../config/types.js';
import { canonicalTimestamp } from '../../core/timestamp.js';
import type { CanonicalRow, ColumnShape, TableShape } from '../../core/types.js';
import type { Adapter, Db, SqlRow } from '../adapter.js';
import { quietKnex } from '../log.js';
import { boundValue } from '../values.js';
import { keyTextWith, parseKeyTextFor } from '../keys.js';
import { chunks, columnList, keyInMatch, placeholderRows, rowsPerStatement } from '../sql.js';
import { mysqlCaptureDdl } from './capture.js';
import { introspectMysql } from './introspect.js';

const quote = (s: string) => `\`${s.replace(/`/g, '``')}\``;
// READ COMMITTED: the assignment round must not wait on, or lock gaps around, entries that
// application transactions hold uncommitted (semi-consistent reads skip them).
const READ_COMMITTED = { isolationLevel: 'read committed' as const };

interface Mysql2Connection {
  query(
    sql: string,
    values: unknown[],
    callback: (error: Error | null, result?: { info?: string }) => void,
  ): void;
}

/**
 * A large insert straight on the transaction's mysql2 connection (knex would first rewrite
 * each of its thousands of placeholders; mysql2 formats the values itself). Returns how
 * many rows it inserted.
 */
async function rawInsert(
  trx: Knex.Transaction,
  sql: string,
  values: unknown[],
  rows: number,
): Promise<number> {
  const client = trx.client as unknown as { acquireConnection(): Promise<Mysql2Connection> };
  const connection = await client.acquireConnection();
  const info = await new Promise<string>((resolve, reject) =>
    connection.query(sql, values, (error, result) => (error ? reject(error) : resolve(result?.info ?? ''))),
  );
  // `Records: 3  Duplicates: 1  Warnings: 0`: a duplicate key was updated (or left), not inserted.
  const duplicates = /Duplicates:\s*(\d+)/.exec(info);
  return rows - Number(duplicates?.[1] ?? 0);
}

export function createMysqlAdapter(config: DatabaseConfig, label: string): Adapter {
  if (!('host' in config.connection)) throw new Error('mysql needs host, user and database');
  const db = knexFactory({
    log: quietKnex,
    client: 'mysql2',
    connection: {
      ...config.connection,
      charset: 'utf8mb4',
      dateStrings: true,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      // JSON as text (as toCanonical expects), not parsed: a JSON string value stays a JSON string.
      jsonStrings: true,
    } as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: 4,
      afterCreate: (
        conn: { query: (sql: string, cb: (err: Error | null) => void) => void },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        conn.query(`SET time_zone = '+00:00'`, (err) => done(err, conn));
      },
    },
  });

  const adapter: Adapter = {
    dialect: 'mysql',
    caps: { maxRowsPerStatement: 5_000, maxBindings: 65_535, changeLogDigits: 6, rowLocks: true },
    db,
    label,
    async query(on: Db, sql: string, bindings: readonly unknown[] = []): Promise<SqlRow[]> {
      const [rows] = (await on.raw(sql, bindings as Knex.RawBinding[])) as [SqlRow[] | SqlRow];
      return Array.isArray(rows) ? rows : [];
    },
    quote,
    introspect: (table) => introspectMysql(adapter, table),
    async leadingIndexColumns(table) {
      const rows = await adapter.query(
        db,
        `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1`,
        [table],
      );
      return rows.map((r) => String(r.name));
    },
    async hasCapture(table) {
      const rows = await adapter.query(
        db,
        `SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? AND TRIGGER_NAME = ?`,
        [table, `nsync_${table}_ai`],
      );
      return rows.length > 0;
    },
    async now(on = db) {
      const [row] = await adapter.query(on, `SELECT CAST(UTC_TIMESTAMP(6) AS CHAR) AS now`);
      return canonicalTimestamp(String(row?.now));
    },
    fromDriver(column: ColumnShape, value: unknown): unknown {
      if (value === null || value === undefined) return null;
      if (column.kind === 'text' && Buffer.isBuffer(value)) return value.toString('utf8');
      return value;
    },
    toDriver: boundValue,
    keyMatch: (shape, keys) => keyInMatch(quote, shape, keys, adapter.toDriver),
    keyText: (_shape, key) => keyTextWith(', ', key),
    parseKeyText: (shape, text) => parseKeyTextFor(shape, text),
    captureDdl: mysqlCaptureDdl,
    async assignRound() {
      return db.transaction(async (trx) => {
        const [meta] = await adapter.query(trx, `SELECT value FROM nsync_meta WHERE name = 'seq' FOR UPDATE`);
        await trx.raw(`SET @nsync_n = ?`, [Number(meta?.value ?? 0)]);
        // An entry an open transaction is rewriting is skipped, not waited for: it gets a
        // number in a later round, after that transaction commits — still after all read so far.
        const pending = await adapter.query(
          trx,
          `SELECT table_name, pk FROM nsync_changes WHERE seq IS NULL FOR UPDATE SKIP LOCKED`,
        );
        if (pending.length > 0) {
          // Numbered through a join with a temporary list of the keys: MariaDB turns a long
          // `(table_name, pk) IN (…)` into a subquery that scans the whole log per statement.
          await trx.raw(
            `CREATE TEMPORARY TABLE IF NOT EXISTS nsync_pending AS SELECT table_name, pk FROM nsync_changes WHERE 1 = 0`,
          );
          await trx.raw(`DELETE FROM nsync_pending`);
          for (const part of chunks(pending, 2_000)) {
            await trx.raw(
              `INSERT INTO nsync_pending (table_name, pk) VALUES ${placeholderRows(part.length, 2)}`,
              part.flatMap((e) => [e.table_name, e.pk]) as Knex.RawBinding[],
            );
          }
          await trx.raw(
            `UPDATE nsync_pending p JOIN nsync_changes c ON c.table_name = p.table_name AND c.pk = p.pk
             SET c.seq = (@nsync_n := @nsync_n + 1)`,
          );
          await trx.raw(`DELETE FROM nsync_pending`);
        }
        await trx.raw(`UPDATE nsync_meta SET value = @nsync_n WHERE name = 'seq'`);
        const [row] = await adapter.query(trx, `SELECT @nsync_n AS hw`);
        return Number(row?.hw ?? 0);
      }, READ_COMMITTED);
    },
    async setOrigin(trx, origin) {
      await trx.raw(`SET @nsync_origin = ?`, [origin]);
    },
    async writeRows(trx, shape: TableShape, rows: CanonicalRow[], mode) {
      const names = shape.columns.map((c) => c.name);
      const rest = names.filter((n) => !shape.primaryKey.includes(n));
      // Never INSERT IGNORE: it also turns bad values into warnings. A no-op update skips existing keys.
      const onDuplicate =
        mode !== 'upsert' || rest.length === 0
          ? `${quote(shape.primaryKey[0] as string)} = ${quote(shape.primaryKey[0] as string)}`
          : rest.map((n) => `${quote(n)} = VALUES(${quote(n)})`).join(', ');
      const size = rowsPerStatement(shape, adapter.caps.maxRowsPerStatement, adapter.caps.maxBindings);
      let inserted = 0;
      for (const part of chunks(rows, size)) {
        const bindings = part.flatMap((row) =>
          shape.columns.map((c) => adapter.toDriver(c, row[c.name] ?? null)),
        );
        inserted += await rawInsert(
          trx,
          `INSERT INTO ${quote(shape.name)} (${columnList(quote, names)}) VALUES ${placeholderRows(part.length, names.length)}
           ON DUPLICATE KEY UPDATE ${onDuplicate}`,
          bindings,
          part.length,
        );
      }
      return inserted;
    },
    deferFlush: async () => undefined,
    transaction: (fn) => db.transaction(fn, READ_COMMITTED),
    close: () => db.destroy(),
  };
  return adapter;
}
