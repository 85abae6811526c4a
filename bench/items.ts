import type { Dialect } from '../src/core/types.js';
import type { BenchDatabase } from './databases.js';

/** The benchmark table, ~120 bytes a row on disk, in each dialect's own types. */
const DDL: Record<Dialect, string> = {
  postgres: `CREATE TABLE items (id bigint PRIMARY KEY, name text, qty integer, price numeric(12,2), updated_at timestamp(6))`,
  mysql: `CREATE TABLE items (id bigint PRIMARY KEY, name varchar(200), qty int, price decimal(12,2), updated_at datetime(6)) CHARACTER SET utf8mb4`,
  sqlite: `CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer, price decimal(12,2), updated_at datetime)`,
};

/**
 * Rows 1..n in one statement: a 50-character name, and a time with microseconds that end
 * in 1 (so no dialect trims trailing zeros and the rows compare equal as text).
 */
const SEED: Record<Dialect, (n: number) => string> = {
  postgres: (n) => `INSERT INTO items (id, name, qty, price, updated_at)
    SELECT i, 'item ' || md5(i::text) || ' ' || lpad(i::text, 12, '0'), i % 1000, ((i % 100000) / 100.0)::numeric(12,2),
      timestamp '2024-01-01' + make_interval(secs => i) + ((i * 7919 % 99999) * 10 + 1) * interval '1 microsecond'
    FROM generate_series(1::bigint, ${n}) AS i`,
  mysql: (n) => `INSERT INTO items (id, name, qty, price, updated_at)
    SELECT seq, concat('item ', md5(seq), ' ', lpad(seq, 12, '0')), seq % 1000, (seq % 100000) / 100,
      timestampadd(MICROSECOND, (seq * 7919 % 99999) * 10 + 1, timestampadd(SECOND, seq, cast('2024-01-01' AS datetime(6))))
    FROM seq_1_to_${n}`,
  sqlite: (n) => `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})
    INSERT INTO items (id, name, qty, price, updated_at)
    SELECT i, printf('item %032x %012d', i * 2654435761, i), i % 1000, (i % 100000) / 100.0,
      strftime('%Y-%m-%d %H:%M:%S', 1704067200 + i, 'unixepoch') || printf('.%06d', (i * 7919 % 99999) * 10 + 1)
    FROM s`,
};

const ANALYZE: Record<Dialect, string> = {
  postgres: 'VACUUM ANALYZE items',
  mysql: 'ANALYZE TABLE items',
  sqlite: 'ANALYZE',
};

/** The items table, or one of the same columns under another name. */
export async function createItems(db: BenchDatabase, table = 'items'): Promise<void> {
  await db.knex.raw(DDL[db.dialect].replace('CREATE TABLE items ', `CREATE TABLE ${table} `));
}

export async function seedItems(db: BenchDatabase, rows: number): Promise<void> {
  await db.knex.raw(SEED[db.dialect](rows));
  await db.knex.raw(ANALYZE[db.dialect]);
}

/** Heap bytes per row of the master table (PostgreSQL only; null elsewhere). */
export async function bytesPerRow(db: BenchDatabase, rows: number): Promise<number | null> {
  if (db.dialect !== 'postgres' || rows === 0) return null;
  const result = (await db.knex.raw(`SELECT pg_relation_size('items') AS size`)) as {
    rows: { size: string }[];
  };
  return Number(result.rows[0]?.size ?? 0) / rows;
}

const NOW: Record<Dialect, string> = {
  postgres: 'now()',
  mysql: 'utc_timestamp(6)',
  sqlite: `strftime('%Y-%m-%d %H:%M:%f', 'now')`,
};

/** Applies the brief's update of `count` rows on the master (its capture trigger logs them). */
export async function touchRows(db: BenchDatabase, count: number): Promise<void> {
  await db.knex.raw(`UPDATE items SET updated_at = ${NOW[db.dialect]}, qty = qty + 1 WHERE id <= ${count}`);
}

type Fingerprint = { n: number; h: string };

const FINGERPRINT: Record<'postgres' | 'mysql', string> = {
  postgres: `SELECT count(*)::int AS n, coalesce(sum(hashtext(t::text)::bigint), 0)::text AS h FROM items t`,
  mysql: `SELECT count(*) AS n, CAST(coalesce(sum(crc32(concat_ws('|', id, name, qty, price, updated_at))), 0) AS CHAR) AS h FROM items`,
};

async function fingerprint(db: BenchDatabase & { dialect: 'postgres' | 'mysql' }): Promise<Fingerprint> {
  const result = (await db.knex.raw(FINGERPRINT[db.dialect])) as { rows: Fingerprint[] } | [Fingerprint[]];
  const row = Array.isArray(result) ? result[0][0] : result.rows[0];
  return { n: Number(row?.n), h: String(row?.h) };
}

/** Whether the slave's items hold exactly the master's rows. */
export async function sameRows(master: BenchDatabase, slave: BenchDatabase): Promise<boolean> {
  if (master.dialect === 'sqlite' || slave.dialect === 'sqlite') {
    await slave.knex.raw('ATTACH DATABASE ? AS m', [master.filename ?? '']);
    try {
      const [row] = (await slave.knex.raw(
        `SELECT (SELECT count(*) FROM (SELECT * FROM main.items EXCEPT SELECT * FROM m.items)) +
                (SELECT count(*) FROM (SELECT * FROM m.items EXCEPT SELECT * FROM main.items)) AS diff`,
      )) as { diff: number }[];
      return Number(row?.diff) === 0;
    } finally {
      await slave.knex.raw('DETACH DATABASE m');
    }
  }
  const [a, b] = await Promise.all([
    fingerprint(master as BenchDatabase & { dialect: 'postgres' | 'mysql' }),
    fingerprint(slave as BenchDatabase & { dialect: 'postgres' | 'mysql' }),
  ]);
  return a.n === b.n && a.h === b.h;
}
