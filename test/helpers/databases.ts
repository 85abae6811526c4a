import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../../src/core/types.js';

/** The dialects integration tests loop over; NSYNC_TEST_DIALECTS narrows them (e.g. `sqlite`). */
export const DIALECTS: Dialect[] = (process.env.NSYNC_TEST_DIALECTS ?? 'postgres,mysql,sqlite')
  .split(',')
  .map((d) => d.trim() as Dialect);

const HOW_TO_START: Record<Dialect, string> = {
  postgres:
    'PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres, trust auth). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  mysql:
    'MariaDB is not reachable on 127.0.0.1:3306 (user root, empty password). Start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  sqlite: 'SQLite (better-sqlite3) could not open a file in the temp folder',
};

/** A fresh, empty database of one dialect, dropped by `drop()`. */
export interface TestDatabase {
  dialect: Dialect;
  /** Connection URL as a config file takes it. */
  url: string;
  /** A knex handle for setting up and inspecting data (not the one nsync uses). */
  knex: Knex;
  drop(): Promise<void>;
}

const admin: Record<'postgres' | 'mysql', () => Knex> = {
  postgres: () =>
    knexFactory({
      client: 'pg',
      connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
      pool: { min: 0, max: 1 },
    }),
  mysql: () =>
    knexFactory({
      client: 'mysql2',
      connection: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' },
      pool: { min: 0, max: 1 },
    }),
};

export async function createTestDatabase(dialect: Dialect, label = 'db'): Promise<TestDatabase> {
  const name = `nsync_t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  try {
    if (dialect === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'nsync-test-'));
      const filename = join(dir, `${name}.db`);
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename },
        useNullAsDefault: true,
      });
      await knex.raw('SELECT 1');
      return {
        dialect,
        url: `sqlite:${filename}`,
        knex,
        drop: async () => {
          await knex.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    const root = admin[dialect]();
    try {
      await root.raw(`CREATE DATABASE ${name}`);
    } finally {
      await root.destroy();
    }
    const knex =
      dialect === 'postgres'
        ? knexFactory({
            client: 'pg',
            connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: name },
            pool: { min: 0, max: 4 },
          })
        : knexFactory({
            client: 'mysql2',
            connection: {
              host: '127.0.0.1',
              port: 3306,
              user: 'root',
              password: '',
              database: name,
              dateStrings: true,
              timezone: 'Z',
            },
            pool: {
              min: 0,
              max: 4,
              afterCreate: (
                c: { query: (s: string, cb: (e: Error | null) => void) => void },
                done: (e: Error | null, c: unknown) => void,
              ) => c.query(`SET time_zone = '+00:00'`, (e) => done(e, c)),
            },
          });
    const url =
      dialect === 'postgres'
        ? `postgres://postgres@127.0.0.1:5432/${name}`
        : `mysql://root@127.0.0.1:3306/${name}`;
    return {
      dialect,
      url,
      knex,
      drop: async () => {
        await knex.destroy();
        const cleanup = admin[dialect]();
        try {
          if (dialect === 'postgres') await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          else await cleanup.raw(`DROP DATABASE IF EXISTS ${name}`);
        } finally {
          await cleanup.destroy();
        }
      },
    };
  } catch (error) {
    throw new Error(`${HOW_TO_START[dialect]}\n  cause: ${(error as Error).message}`);
  }
}

/** A typical synced table, in each dialect's own types. */
export const ITEMS_DDL: Record<Dialect, string> = {
  postgres: `CREATE TABLE items (id bigint PRIMARY KEY, name text, qty integer, price numeric(12,2), note text, updated_at timestamp(6))`,
  mysql: `CREATE TABLE items (id bigint PRIMARY KEY, name varchar(200), qty int, price decimal(12,2), note text, updated_at datetime(6)) CHARACTER SET utf8mb4`,
  sqlite: `CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer, price decimal(12,2), note text, updated_at datetime)`,
};
