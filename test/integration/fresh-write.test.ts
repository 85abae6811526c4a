import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAdapter } from '../../src/adapters/index.js';
import type { Adapter } from '../../src/adapters/index.js';
import { buildConfig } from '../../src/index.js';
import type { TableShape } from '../../src/core/types.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';

/**
 * `fresh` writes (a first copy into an empty table) skip every lookup; on PostgreSQL they
 * use COPY. A key the application inserted meanwhile must survive, and the rest still land.
 */
describe.each(DIALECTS)('fresh writes on %s', (dialect) => {
  let db: TestDatabase;
  let adapter: Adapter;
  let shape: TableShape;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'fresh');
    await db.knex.raw(ITEMS_DDL[dialect]);
    const config = buildConfig(
      {
        mode: 'master-slave',
        databases: { master: { url: db.url }, slave: { url: db.url } },
        replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      },
      'fresh.json',
      {},
    );
    adapter = await createAdapter(config.databases.master);
    const found = await adapter.introspect('items');
    shape = { name: 'items', columns: found?.columns ?? [], primaryKey: found?.primaryKey ?? [] };
  });

  afterAll(async () => {
    await adapter?.close();
    await db?.drop();
  });

  const row = (id: number, name: string) => ({
    id,
    name,
    qty: id,
    price: '1.50',
    note: 'tab\there, line\nbreak, back\\slash',
    updated_at: '2025-01-01T10:00:00.5Z',
  });

  it('writes every row, escaping text, into an empty table', async () => {
    await adapter.transaction((trx) => adapter.writeRows(trx, shape, [row(1, 'a'), row(2, 'b')], 'fresh'));
    const rows = await db.knex('items').select('id', 'name', 'note').orderBy('id');
    expect(rows.map((r) => [Number(r.id), r.name, r.note])).toEqual([
      [1, 'a', 'tab\there, line\nbreak, back\\slash'],
      [2, 'b', 'tab\there, line\nbreak, back\\slash'],
    ]);
  });

  it('keeps a row that is already there and still writes the others', async () => {
    await adapter.transaction((trx) =>
      adapter.writeRows(trx, shape, [row(2, 'incoming'), row(3, 'c'), row(4, 'd')], 'fresh'),
    );
    const rows = await db.knex('items').select('id', 'name').orderBy('id');
    expect(rows.map((r) => [Number(r.id), r.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ]);
  });
});
