import type { Knex } from 'knex';
import * as m001 from '../../migrations/001_nsync_tables.js';
import * as m002 from '../../migrations/002_nsync_serve.js';
import * as m003 from '../../migrations/003_nsync_tombstone_index.js';

/** nsync's schema migrations, applied by `nsync install` (files in migrations/). */
const MIGRATIONS: Record<string, { up(k: Knex): Promise<void>; down(k: Knex): Promise<void> }> = {
  '001_nsync_tables': m001,
  '002_nsync_serve': m002,
  '003_nsync_tombstone_index': m003,
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name] as Knex.Migration,
};

const settings: Knex.MigratorConfig = { migrationSource: source, tableName: 'nsync_migrations' };

export async function migrateUp(db: Knex): Promise<void> {
  await db.migrate.latest(settings);
}

export async function migrateDown(db: Knex): Promise<void> {
  await db.migrate.rollback(settings, true);
  await db.schema.dropTableIfExists('nsync_migrations');
  await db.schema.dropTableIfExists('nsync_migrations_lock');
}
