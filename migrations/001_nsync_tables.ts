import type { Knex } from 'knex';

/** nsync's own tables (DESIGN §2–4). Times are UTC. */
export async function up(knex: Knex): Promise<void> {
  const client = String(knex.client.config.client);
  const time = client === 'pg' ? 'timestamp(6)' : client === 'mysql2' ? 'datetime(6)' : 'text';

  await knex.schema.createTable('nsync_meta', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('value').notNullable().defaultTo(0);
  });
  await knex('nsync_meta').insert([
    { name: 'seq', value: 0 },
    { name: 'purged_seq', value: 0 },
  ]);

  await knex.schema.createTable('nsync_changes', (t) => {
    t.string('table_name', 128).notNullable();
    // Keys compare byte for byte: MySQL's default collation would take 'a' and 'A' for one key.
    const pk = t.string('pk', 600).notNullable();
    if (client === 'mysql2') pk.collate('utf8mb4_bin');
    t.string('op', 8).notNullable();
    t.specificType('changed_at', time).nullable();
    t.string('origin', 128).nullable();
    t.bigInteger('seq').nullable();
    t.primary(['table_name', 'pk']);
    t.index(['table_name', 'seq'], 'nsync_changes_table_seq');
    t.index(['seq'], 'nsync_changes_seq');
  });

  await knex.schema.createTable('nsync_cursors', (t) => {
    t.string('peer', 128).notNullable();
    t.string('table_name', 128).notNullable();
    t.string('direction', 16).notNullable();
    t.text('position').notNullable();
    t.specificType('updated_at', time).notNullable();
    t.primary(['peer', 'table_name', 'direction']);
  });

  await knex.schema.createTable('nsync_conflicts', (t) => {
    t.increments('id').primary();
    t.string('table_name', 128).notNullable();
    t.string('pk', 600).notNullable();
    t.string('origin', 128).nullable();
    t.specificType('detected_at', time).notNullable();
    t.text('local_version').nullable();
    t.text('incoming_version').nullable();
    t.specificType('resolved_at', time).nullable();
    t.index(['table_name', 'resolved_at'], 'nsync_conflicts_open');
  });

  if (client === 'pg') await knex.raw('CREATE SEQUENCE nsync_seq');
  if (client === 'better-sqlite3') {
    await knex.schema.createTable('nsync_session', (t) => t.text('origin').nullable());
    await knex('nsync_session').insert({ origin: null });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['nsync_session', 'nsync_conflicts', 'nsync_cursors', 'nsync_changes', 'nsync_meta']) {
    await knex.schema.dropTableIfExists(table);
  }
  if (String(knex.client.config.client) === 'pg') await knex.raw('DROP SEQUENCE IF EXISTS nsync_seq');
}
