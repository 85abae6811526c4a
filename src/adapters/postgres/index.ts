import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../../config/types.js';
import { canonicalTimestamp, sqlTimestamp } from '../../core/timestamp.js';
import type { CanonicalRow, CanonicalValue, ColumnShape, TableShape } from '../../core/types.js';
import type { Adapter, Db, FreshLog, SqlRow } from '../adapter.js';
import { quietKnex } from '../log.js';
import { keyTextWith, parseKeyTextFor } from '../keys.js';
import { columnList } from '../sql.js';
import { postgresCaptureDdl } from './capture.js';
import { copyLines, copyRows, copyString } from './copy.js';
import { introspectPostgres } from './introspect.js';

// Times and dates come back as the text PostgreSQL prints (microseconds intact), not as JS Dates;
// JSON as its text, so a JSON string value is not mistaken for JSON text by toCanonical.
const TEXT_TYPES = new Set<number>([
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.DATE,
  pg.types.builtins.JSON,
  pg.types.builtins.JSONB,
]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_TYPES.has(oid)
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Entries numbered in one round from which the log's statistics are refreshed. */
const BIG_ROUND = 50_000;

export function createPostgresAdapter(config: DatabaseConfig, label: string): Adapter {
  if (!('host' in config.connection)) throw new Error('postgres needs host, user and database');
  const db = knexFactory({
    log: quietKnex,
    client: 'pg',
    connection: { ...config.connection, types } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: 4,
      afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
        conn.query(`SET TIME ZONE 'UTC'`, (err) => done(err, conn));
      },
    },
  });

  const adapter: Adapter = {
    dialect: 'postgres',
    caps: { maxRowsPerStatement: 100_000, maxBindings: 65_535, changeLogDigits: 6, rowLocks: true },
    db,
    label,
    async query(on: Db, sql: string, bindings: readonly unknown[] = []): Promise<SqlRow[]> {
      const result = (await on.raw(sql, bindings as Knex.RawBinding[])) as { rows: SqlRow[] };
      return result.rows;
    },
    quote,
    introspect: (table) => introspectPostgres(adapter, table),
    async leadingIndexColumns(table) {
      const rows = await adapter.query(
        db,
        `SELECT a.attname AS name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = to_regclass(quote_ident(?))`,
        [table],
      );
      return rows.map((r) => String(r.name));
    },
    async hasCapture(table) {
      const rows = await adapter.query(
        db,
        `SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(quote_ident(?)) AND tgname = 'nsync_capture'`,
        [table],
      );
      return rows.length > 0;
    },
    async now(on = db) {
      const [row] = await adapter.query(on, `SELECT (clock_timestamp() AT TIME ZONE 'UTC')::text AS now`);
      return canonicalTimestamp(String(row?.now));
    },
    fromDriver: (_column, value) => value,
    toDriver(column: ColumnShape, value: CanonicalValue): unknown {
      if (value === null) return null;
      // Rows reach PostgreSQL as JSON read by json_populate_recordset, so values stay JSON;
      // bytea is read from its hex text form.
      if (column.kind === 'binary') return `\\x${Buffer.from(String(value), 'base64').toString('hex')}`;
      return value;
    },
    keyMatch(shape, keys) {
      // One JSON parameter, typed by the table's own columns, instead of a placeholder per value.
      const cols = columnList(quote, shape.primaryKey);
      const columns = shape.primaryKey.map((name) => shape.columns.find((c) => c.name === name));
      const payload = keys.map((key) =>
        Object.fromEntries(
          shape.primaryKey.map((name, i) => [
            name,
            columns[i] ? adapter.toDriver(columns[i], key[i] ?? null) : null,
          ]),
        ),
      );
      return {
        sql: `(${cols}) IN (SELECT ${cols} FROM json_populate_recordset(null::${quote(shape.name)}, ?::json))`,
        bindings: [JSON.stringify(payload)],
      };
    },
    keyText: (_shape, key) => keyTextWith(', ', key),
    parseKeyText: (shape, text) => parseKeyTextFor(shape, text),
    captureDdl: postgresCaptureDdl,
    async assignRound() {
      const { hw, numbered } = await db.transaction(async (trx) => {
        await trx.raw(`SELECT value FROM nsync_meta WHERE name = 'seq' FOR UPDATE`);
        // An entry an open transaction is rewriting is skipped, not waited for: it gets a
        // number in a later round, after that transaction commits — still after all read so far.
        const update = (await trx.raw(
          `UPDATE nsync_changes c SET seq = nextval('nsync_seq')
           FROM (SELECT ctid FROM nsync_changes WHERE seq IS NULL FOR UPDATE SKIP LOCKED) AS todo
           WHERE c.ctid = todo.ctid`,
        )) as { rowCount: number | null };
        const [row] = await adapter.query(
          trx,
          `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS hw FROM nsync_seq`,
        );
        return { hw: Number(row?.hw ?? 0), numbered: update.rowCount ?? 0 };
      });
      // Statistics taken while these entries waited say most of the log has no number yet,
      // and later rounds would scan the whole log to find none: refresh them after a big round.
      if (numbered >= BIG_ROUND) await db.raw('ANALYZE nsync_changes');
      return hw;
    },
    async setOrigin(trx, origin) {
      await trx.raw(`SELECT set_config('nsync.origin', ?, true)`, [origin ?? '']);
    },
    async writeRows(trx, shape: TableShape, rows: CanonicalRow[], mode, log) {
      if (rows.length === 0) return 0;
      if (mode === 'fresh') {
        // COPY either writes every row or none (a key exists): with the trigger off, one
        // statement then logs them all, instead of one trigger call and insert per row.
        if (log) await adapter.setOrigin(trx, '-');
        const copied = await copyRows(trx, quote, shape, rows);
        if (log) await adapter.setOrigin(trx, log.origin);
        if (copied) {
          if (log) await logFresh(trx, shape, rows, log);
          return rows.length;
        }
      }
      const names = shape.columns.map((c) => c.name);
      const cols = columnList(quote, names);
      const rest = names.filter((n) => !shape.primaryKey.includes(n));
      const onConflict =
        mode !== 'upsert' || rest.length === 0
          ? 'DO NOTHING'
          : `DO UPDATE SET ${rest.map((n) => `${quote(n)} = excluded.${quote(n)}`).join(', ')}`;
      const payload = rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (const c of shape.columns) out[c.name] = adapter.toDriver(c, row[c.name] ?? null);
        return out;
      });
      const result = (await trx.raw(
        `INSERT INTO ${quote(shape.name)} (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${quote(shape.name)}, ?::json)
         ON CONFLICT (${columnList(quote, shape.primaryKey)}) ${onConflict}`,
        [JSON.stringify(payload)],
      )) as { rowCount: number | null };
      return result.rowCount ?? 0;
    },
    async deferFlush(trx) {
      // https://www.postgresql.org/docs/current/wal-async-commit.html: atomic, just not yet durable.
      await trx.raw(`SET LOCAL synchronous_commit TO OFF`);
    },
    transaction: (fn) => db.transaction(fn),
    close: () => db.destroy(),
  };
  /**
   * The change-log entries of rows just copied: what the capture trigger writes, for all of
   * them at once — by COPY, numbered already. The numbers are taken under the numbering lock,
   * held until this transaction commits, so no round numbers anything in between: they are
   * still larger than everything a reader could have read before the commit (DESIGN §2).
   * A key that has an entry already (rare: the table was empty) is logged the usual way.
   */
  async function logFresh(trx: Knex.Transaction, shape: TableShape, rows: CanonicalRow[], log: FreshLog) {
    const entries = rows.map((row) => {
      const at = row[log.timestampColumn];
      const key = shape.primaryKey.map((k) => row[k] ?? null);
      return { pk: adapter.keyText(shape, key), at: typeof at === 'string' ? sqlTimestamp(at) : null };
    });
    await trx.raw(`SELECT value FROM nsync_meta WHERE name = 'seq' FOR UPDATE`);
    const [reserved] = await adapter.query(
      trx,
      `SELECT setval('nsync_seq', nextval('nsync_seq') + ? - 1) AS last`,
      [entries.length],
    );
    const first = Number(reserved?.last) - entries.length + 1;
    const table = copyString(shape.name);
    const origin = copyString(log.origin);
    const lines = entries.map(
      (e, i) => `${table}\t${copyString(e.pk)}\tupsert\t${e.at ?? '\\N'}\t${origin}\t${first + i}\n`,
    );
    const copied = await copyLines(
      trx,
      `COPY nsync_changes (table_name, pk, op, changed_at, origin, seq) FROM STDIN`,
      lines,
    );
    if (copied) return;
    await trx.raw(
      `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq)
       SELECT ?, t.pk, 'upsert', t.at, ?, NULL FROM json_to_recordset(?::json) AS t(pk text, at timestamp)
       ON CONFLICT (table_name, pk) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at,
         origin = excluded.origin, seq = NULL`,
      [shape.name, log.origin, JSON.stringify(entries)],
    );
  }

  return adapter;
}
