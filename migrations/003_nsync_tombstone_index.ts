import type { Knex } from 'knex';

/**
 * Tombstone lookups (`op = 'delete' AND pk IN (…)`, every applied batch) by their own
 * partial index, so the plan does not depend on statistics taken while the log was empty:
 * PostgreSQL was seen walking a table's whole log that way (21 ms a batch at 100k entries).
 * MySQL and MariaDB have no partial indexes; their primary key (table_name, pk) serves.
 */
export async function up(knex: Knex): Promise<void> {
  if (String(knex.client.config.client) === 'mysql2') return;
  await knex.raw(
    `CREATE INDEX nsync_changes_tombstones ON nsync_changes (table_name, pk) WHERE op = 'delete'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  if (String(knex.client.config.client) === 'mysql2') return;
  await knex.raw(`DROP INDEX IF EXISTS nsync_changes_tombstones`);
}
