import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * What `nsync serve` keeps (DESIGN §6): the ledger of pushed batches, so a batch sent twice
 * is applied once, and the key that seals the cursors it hands out.
 */
export async function up(knex: Knex): Promise<void> {
  const client = String(knex.client.config.client);
  const time = client === 'pg' ? 'timestamp(6)' : client === 'mysql2' ? 'datetime(6)' : 'text';

  await knex.schema.createTable('nsync_batches', (t) => {
    t.string('origin', 128).notNullable();
    t.string('batch_id', 128).notNullable();
    t.string('table_name', 128).notNullable();
    t.string('digest', 64).notNullable();
    t.text('result').notNullable();
    t.specificType('applied_at', time).notNullable();
    t.primary(['origin', 'batch_id']);
    t.index(['applied_at'], 'nsync_batches_applied');
  });

  await knex.schema.createTable('nsync_settings', (t) => {
    t.string('name', 64).primary();
    t.text('value').notNullable();
  });
  await knex('nsync_settings').insert({ name: 'cursor_key', value: randomBytes(32).toString('hex') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('nsync_settings');
  await knex.schema.dropTableIfExists('nsync_batches');
}
