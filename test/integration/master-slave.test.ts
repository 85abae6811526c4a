import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  install,
  syncLocal,
  silentReporter,
  NsyncError,
  type NsyncConfig,
  type Reporter,
  type RunEvent,
  type RunResult,
} from '../../src/index.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';
import { items } from '../helpers/rows.js';

/** master-slave: the slave becomes and stays a copy of the master, whatever is done to it. */

const createItems = (db: TestDatabase, table: string) =>
  db.knex.raw(ITEMS_DDL[db.dialect].replace('CREATE TABLE items', `CREATE TABLE ${table}`));

let last = 0;
/** Increasing row times, a minute behind the clock. */
const stamp = (): string => {
  last = Math.max(last + 1, Date.now() - 60_000);
  return new Date(last).toISOString().replace('T', ' ').replace('Z', '');
};

const item = (id: number, name: string, qty = id) => ({
  id,
  name,
  qty,
  price: `${id}.25`,
  note: `note ${id}`,
  updated_at: stamp(),
});

function recorder(): Reporter & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { events, event: (e) => events.push(e) };
}

async function sync(config: NsyncConfig, options: { dryRun?: boolean; reporter?: Reporter } = {}) {
  const result: RunResult = await syncLocal(config, { reporter: silentReporter, ...options });
  expect(result.tables.filter((t) => !t.ok)).toEqual([]);
  expect(result.ok).toBe(true);
  return result;
}

describe.each(DIALECTS)('master-slave on %s', (dialect) => {
  let master: TestDatabase;
  let slave: TestDatabase;
  const configs: Record<string, NsyncConfig> = {};

  beforeAll(async () => {
    master = await createTestDatabase(dialect, 'ms_m');
    slave = await createTestDatabase(dialect, 'ms_s');
    for (const db of [master, slave]) {
      for (const table of ['items', 'bulk', 'dry', 'partial']) await createItems(db, table);
    }
    // `ghost` exists on the master only.
    await createItems(master, 'ghost');
    const config = (tables: Record<string, unknown>[]) =>
      localConfig('master-slave', master.url, slave.url, tables as { name: string }[]);
    configs.items = config([{ name: 'items' }]);
    configs.bulk = config([{ name: 'bulk', batchSize: 500 }]);
    configs.dry = config([{ name: 'dry' }]);
    configs.partial = config([{ name: 'ghost' }, { name: 'partial' }]);
    for (const name of ['items', 'bulk', 'dry']) {
      await install(configs[name] as NsyncConfig, { reporter: silentReporter });
    }
    // The slave has no `ghost` table: installing names it and prepares everything else.
    await expect(install(configs.partial as NsyncConfig, { reporter: silentReporter })).rejects.toMatchObject(
      {
        code: 'TABLE',
        details: [expect.stringContaining('ghost')],
      },
    );
  });

  afterAll(async () => {
    await master?.drop();
    await slave?.drop();
  });

  it('makes the slave identical, deletes included', async () => {
    await master.knex('items').insert([1, 2, 3, 4, 5].map((id) => item(id, `item ${id}`)));
    const first = await sync(configs.items as NsyncConfig);
    expect(first.tables[0]?.counts.inserted).toBe(5);
    expect(await items(slave, 'items')).toEqual(await items(master, 'items'));
    expect(await items(slave, 'items')).toHaveLength(5);

    await master.knex('items').where({ id: 2 }).update({ name: 'two', qty: 22, updated_at: stamp() });
    await master.knex('items').whereIn('id', [3, 5]).delete();
    await master.knex('items').insert(item(6, 'item 6'));
    const second = await sync(configs.items as NsyncConfig);
    expect(second.tables[0]?.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 2 });
    const copy = await items(slave, 'items');
    expect(copy.map((r) => r.id)).toEqual([1, 2, 4, 6]);
    expect(copy.find((r) => r.id === 2)).toMatchObject({ name: 'two', qty: 22 });
    expect(copy).toEqual(await items(master, 'items'));
  });

  it("sets a row changed directly on the slave back to the master's, even when it looks newer", async () => {
    await slave
      .knex('items')
      .where({ id: 1 })
      .update({ name: 'edited on the slave', qty: 999, updated_at: '2099-01-01 00:00:00' });
    // A master row deleted on the slave comes back too.
    await slave.knex('items').where({ id: 4 }).delete();
    expect((await items(slave, 'items')).find((r) => r.id === 1)?.name).toBe('edited on the slave');
    await sync(configs.items as NsyncConfig);
    const copy = await items(slave, 'items');
    expect(copy.find((r) => r.id === 1)).toMatchObject({ name: 'item 1', qty: 1 });
    expect(copy.map((r) => r.id)).toEqual([1, 2, 4, 6]);
    expect(copy).toEqual(await items(master, 'items'));
  });

  it('removes a row inserted only on the slave at the next sync', async () => {
    await slave.knex('items').insert(item(500, 'slave only'));
    expect((await items(slave, 'items')).map((r) => r.id)).toContain(500);
    await sync(configs.items as NsyncConfig);
    const copy = await items(slave, 'items');
    expect(copy.map((r) => r.id)).not.toContain(500);
    expect(copy).toEqual(await items(master, 'items'));
  });

  it('copies a table larger than batchSize completely, in batches', async () => {
    const rows = Array.from({ length: 2_500 }, (_, i) => item(i + 1, `bulk ${i + 1}`));
    await master.knex.batchInsert('bulk', rows, 250);
    const reporter = recorder();
    const result = await sync(configs.bulk as NsyncConfig, { reporter });
    expect(result.tables[0]?.counts.inserted).toBe(2_500);
    const batches = reporter.events.filter((e) => e.type === 'batch');
    expect(batches.length).toBeGreaterThanOrEqual(5);
    for (const b of batches) if (b.type === 'batch') expect(b.read).toBeLessThanOrEqual(500);
    const copy = await items(slave, 'bulk');
    expect(copy).toHaveLength(2_500);
    expect(copy).toEqual(await items(master, 'bulk'));

    // Changes spread over more than one batch are followed as well.
    await master.knex('bulk').where('id', '<=', 1_200).update({ qty: 0 });
    await master.knex('bulk').where('id', '>', 2_000).delete();
    const next = await sync(configs.bulk as NsyncConfig);
    expect(next.tables[0]?.counts).toMatchObject({ updated: 1_200, deleted: 500 });
    const after = await items(slave, 'bulk');
    expect(after).toHaveLength(2_000);
    expect(after).toEqual(await items(master, 'bulk'));
  });

  it('dryRun reports what a run would do and writes nothing', async () => {
    await master.knex('dry').insert([item(1, 'one'), item(2, 'two'), item(3, 'three')]);
    await slave.knex('dry').insert(item(9, 'only on the slave'));
    const before = await items(slave, 'dry');

    const dry = await sync(configs.dry as NsyncConfig, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.tables[0]?.counts).toMatchObject({ inserted: 3, deleted: 1 });
    expect(await items(slave, 'dry')).toEqual(before);

    const real = await sync(configs.dry as NsyncConfig);
    expect(real.tables[0]?.counts).toMatchObject({ inserted: 3, deleted: 1 });
    expect(await items(slave, 'dry')).toEqual(await items(master, 'dry'));

    await master.knex('dry').where({ id: 1 }).update({ name: 'uno', updated_at: stamp() });
    await master.knex('dry').where({ id: 2 }).delete();
    await master.knex('dry').insert(item(4, 'four'));
    const synced = await items(slave, 'dry');
    const dryAgain = await sync(configs.dry as NsyncConfig, { dryRun: true });
    expect(dryAgain.tables[0]?.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1 });
    expect(await items(slave, 'dry')).toEqual(synced);
    // The dry run moved no cursor: the real run still finds all three changes.
    const realAgain = await sync(configs.dry as NsyncConfig);
    expect(realAgain.tables[0]?.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1 });
    expect(await items(slave, 'dry')).toEqual(await items(master, 'dry'));
  });

  it('rejects an unknown table name with a USAGE error', async () => {
    const outcome = await syncLocal(configs.items as NsyncConfig, {
      tables: ['nope'],
      reporter: silentReporter,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(NsyncError);
    expect(outcome).toMatchObject({ code: 'USAGE', message: expect.stringContaining('nope') });
  });

  it('fails a table missing on the slave, naming it, and still syncs the others', async () => {
    await master.knex('ghost').insert(item(1, 'ghost row'));
    await master.knex('partial').insert([item(1, 'p1'), item(2, 'p2')]);
    const result = await syncLocal(configs.partial as NsyncConfig, { reporter: silentReporter });
    expect(result.ok).toBe(false);
    const ghost = result.tables.find((t) => t.table === 'ghost');
    expect(ghost?.ok).toBe(false);
    expect(ghost?.error).toContain('ghost');
    const partial = result.tables.find((t) => t.table === 'partial');
    expect(partial).toMatchObject({ ok: true, counts: expect.objectContaining({ inserted: 2 }) });
    const copy = await items(slave, 'partial');
    expect(copy.map((r) => r.name)).toEqual(['p1', 'p2']);
    expect(copy).toEqual(await items(master, 'partial'));
  });
});
