import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../src/core/types.js';

/** A throwaway database for one benchmark run (same servers as test/helpers/databases.ts). */
export interface BenchDatabase {
  dialect: Dialect;
  name: string;
  /** Connection URL as a config file takes it. */
  url: string;
  /** Set-up and inspection handle (not the one nsync uses). */
  knex: Knex;
  /** SQLite only: the database file. */
  filename?: string;
  drop(): Promise<void>;
}

const SERVER = {
  postgres: { client: 'pg', host: '127.0.0.1', port: 5432, user: 'postgres', password: undefined },
  mysql: { client: 'mysql2', host: '127.0.0.1', port: 3306, user: 'root', password: '' },
} as const;

const live = new Set<BenchDatabase>();

function serverKnex(dialect: 'postgres' | 'mysql', database: string, poolMax: number): Knex {
  const { client, ...connection } = SERVER[dialect];
  const extra = dialect === 'mysql' ? { dateStrings: true, timezone: 'Z' } : {};
  return knexFactory({
    client,
    connection: { ...connection, ...extra, database },
    pool: { min: 0, max: poolMax },
  });
}

async function createSqlite(name: string): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'nsync-bench-'));
  const filename = join(dir, `${name}.db`);
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  await knex.raw('SELECT 1');
  return {
    dialect: 'sqlite',
    name,
    url: `sqlite:${filename}`,
    knex,
    filename,
    drop: async () => {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createServer(dialect: 'postgres' | 'mysql', name: string): Promise<BenchDatabase> {
  const admin = serverKnex(dialect, 'test', 1);
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const { user, host, port } = SERVER[dialect];
  const knex = serverKnex(dialect, name, 4);
  return {
    dialect,
    name,
    url: `${dialect}://${user}@${host}:${port}/${name}`,
    knex,
    drop: async () => {
      await knex.destroy();
      const cleanup = serverKnex(dialect, 'test', 1);
      try {
        const force = dialect === 'postgres' ? ' WITH (FORCE)' : '';
        await cleanup.raw(`DROP DATABASE IF EXISTS ${name}${force}`);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}

/** A fresh, empty database; it is dropped by `drop()` or, if still alive, by `dropAll()`. */
export async function createDatabase(dialect: Dialect, label: string): Promise<BenchDatabase> {
  const name = `nsync_bench_${label}_${randomBytes(4).toString('hex')}`;
  const db = dialect === 'sqlite' ? await createSqlite(name) : await createServer(dialect, name);
  const tracked: BenchDatabase = {
    ...db,
    drop: async () => {
      if (live.delete(tracked)) await db.drop();
    },
  };
  live.add(tracked);
  return tracked;
}

/** Runs `fn` with fresh databases, dropping them afterwards whether it succeeds or fails. */
export async function withDatabases<T>(
  dialect: Dialect,
  labels: string[],
  fn: (dbs: BenchDatabase[]) => Promise<T>,
): Promise<T> {
  const dbs: BenchDatabase[] = [];
  try {
    for (const label of labels) dbs.push(await createDatabase(dialect, label));
    return await fn(dbs);
  } finally {
    for (const db of dbs) await db.drop().catch(() => undefined);
  }
}

/** Drops every database still alive (on SIGINT / SIGTERM). */
export async function dropAll(): Promise<void> {
  for (const db of [...live]) await db.drop().catch(() => undefined);
}
