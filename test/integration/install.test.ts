import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  check,
  install,
  uninstall,
  syncLocal,
  silentReporter,
  type CheckReport,
  type NsyncConfig,
} from '../../src/index.js';
import type { Dialect } from '../../src/core/types.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';

/** install / uninstall / check against real databases, and capture by timestamp. */

async function raw(db: TestDatabase, sql: string): Promise<Record<string, unknown>[]> {
  const result = await db.knex.raw(sql);
  return db.dialect === 'postgres' ? result.rows : db.dialect === 'mysql' ? result[0] : result;
}

const CATALOG: Record<Dialect, { tables: string; triggers: string; routines?: string }> = {
  postgres: {
    tables: `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'
             UNION ALL SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'
             ORDER BY 1`,
    triggers: `SELECT c.relname || '.' || t.tgname AS name, pg_get_triggerdef(t.oid) AS def
               FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1`,
    routines: `SELECT p.proname AS name, p.prosrc AS def FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1`,
  },
  mysql: {
    tables: `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`,
    triggers: `SELECT CONCAT(EVENT_OBJECT_TABLE, '.', TRIGGER_NAME) AS name, ACTION_STATEMENT AS def
               FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1`,
  },
  sqlite: {
    tables: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`,
    triggers: `SELECT tbl_name || '.' || name AS name, sql AS def FROM sqlite_master WHERE type = 'trigger' ORDER BY 1`,
  },
};

/** Everything install can create in a database: tables (and sequences), triggers, functions. */
async function catalog(db: TestDatabase) {
  const c = CATALOG[db.dialect];
  const names = (rows: Record<string, unknown>[]) => rows.map((r) => String(r.name));
  const triggers = (await raw(db, c.triggers)).map((r) => ({ name: String(r.name), def: String(r.def) }));
  const routines = c.routines
    ? (await raw(db, c.routines)).map((r) => ({ name: String(r.name), def: String(r.def) }))
    : [];
  return { tables: names(await raw(db, c.tables)), triggers, routines };
}

async function rowsOf(db: TestDatabase, table: string) {
  const rows: Record<string, unknown>[] = await db.knex(table).select('id', 'name', 'qty').orderBy('id');
  return rows.map((r) => ({ id: Number(r.id), name: r.name, qty: r.qty === null ? null : Number(r.qty) }));
}

const ago = (seconds: number) =>
  new Date(Date.now() - seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');

const item = (id: number, name: string, secondsAgo = 60) => ({
  id,
  name,
  qty: id,
  price: '3.00',
  note: null,
  updated_at: ago(secondsAgo),
});

const errors = (report: CheckReport) => report.items.filter((i) => i.level === 'error');

describe.each(DIALECTS)('install, check and uninstall on %s', (dialect) => {
  let master: TestDatabase;
  let slave: TestDatabase;
  let config: NsyncConfig;
  let timestampConfig: NsyncConfig;

  const sync = async (c: NsyncConfig) => {
    const result = await syncLocal(c, { reporter: silentReporter });
    expect(result.tables.filter((t) => !t.ok)).toEqual([]);
    return result;
  };

  beforeAll(async () => {
    master = await createTestDatabase(dialect, 'inst_m');
    slave = await createTestDatabase(dialect, 'inst_s');
    for (const db of [master, slave]) {
      for (const t of ['items', 'stamped_only']) {
        await db.knex.raw(ITEMS_DDL[dialect].replace('CREATE TABLE items', `CREATE TABLE ${t}`));
      }
    }
    config = localConfig('master-slave', master.url, slave.url, [{ name: 'items' }]);
    timestampConfig = localConfig('master-slave', master.url, slave.url, [
      { name: 'stamped_only', capture: 'timestamp' },
    ]);
  });

  afterAll(async () => {
    await master?.drop();
    await slave?.drop();
  });

  it('check reports the missing capture triggers before install', async () => {
    const report = await check(config);
    expect(report.ok).toBe(false);
    const missing = errors(report).filter((i) => i.message.includes('capture triggers missing'));
    // One per database, each naming the table.
    expect(missing).toHaveLength(2);
    for (const item of missing) expect(item.subject).toContain('items');
    expect(errors(report).some((i) => i.message.includes('not installed'))).toBe(true);
    // Nothing was created by looking.
    for (const db of [master, slave]) {
      const { tables, triggers } = await catalog(db);
      expect(tables.filter((t) => t.startsWith('nsync'))).toEqual([]);
      expect(triggers).toEqual([]);
    }
  });

  it('install creates the tables and triggers; a second install changes nothing and sync goes on', async () => {
    await master.knex('items').insert([item(1, 'one'), item(2, 'two')]);
    await install(config, { reporter: silentReporter });
    for (const db of [master, slave]) {
      const { tables, triggers } = await catalog(db);
      expect(tables).toEqual(
        expect.arrayContaining(['nsync_changes', 'nsync_conflicts', 'nsync_cursors', 'nsync_meta']),
      );
      expect(triggers.some((t) => t.name.startsWith('items.'))).toBe(true);
    }
    await sync(config);
    expect(await rowsOf(slave, 'items')).toEqual(await rowsOf(master, 'items'));

    const before = { master: await catalog(master), slave: await catalog(slave) };
    const meta = await master.knex('nsync_meta').select('name', 'value').orderBy('name');
    const cursors = await slave.knex('nsync_cursors').select('peer', 'table_name', 'direction', 'position');
    await install(config, { reporter: silentReporter });
    expect(await catalog(master)).toEqual(before.master);
    expect(await catalog(slave)).toEqual(before.slave);
    expect(await master.knex('nsync_meta').select('name', 'value').orderBy('name')).toEqual(meta);
    expect(await slave.knex('nsync_cursors').select('peer', 'table_name', 'direction', 'position')).toEqual(
      cursors,
    );

    // The triggers still log (rows 1 and 2 were written before install), and sync carries on.
    await master.knex('items').where({ id: 1 }).update({ name: 'uno' });
    await master.knex('items').insert(item(3, 'three'));
    const logged = await master.knex('nsync_changes').where({ table_name: 'items' }).select('pk', 'op');
    expect(logged.map((e) => `${JSON.parse(String(e.pk))[0]} ${e.op}`).sort()).toEqual([
      '1 upsert',
      '3 upsert',
    ]);
    const result = await sync(config);
    expect(result.tables[0]?.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 0 });
    expect(await rowsOf(slave, 'items')).toEqual([
      { id: 1, name: 'uno', qty: 1 },
      { id: 2, name: 'two', qty: 2 },
      { id: 3, name: 'three', qty: 3 },
    ]);
  });

  it('check reports ok after install', async () => {
    const report = await check(config);
    expect(errors(report)).toEqual([]);
    expect(report.ok).toBe(true);
    const installed = report.items.filter((i) => i.message === 'capture triggers installed');
    expect(installed).toHaveLength(2);
  });

  it('check warns that target-wins cannot converge on a master-master table', async () => {
    const twoWay = localConfig('master-master', master.url, slave.url, [
      { name: 'items', conflict: 'target-wins' },
    ]);
    const report = await check(twoWay);
    const warnings = report.items.filter((i) => i.level === 'warn' && i.message.includes('target-wins'));
    expect(warnings).toHaveLength(2);
    expect(report.ok).toBe(true);
  });

  it("uninstall removes nsync's tables and triggers and keeps the application's tables and rows", async () => {
    const before = { master: await rowsOf(master, 'items'), slave: await rowsOf(slave, 'items') };
    await uninstall(config, { reporter: silentReporter });
    for (const db of [master, slave]) {
      const { tables, triggers, routines } = await catalog(db);
      expect(tables.filter((t) => t.startsWith('nsync'))).toEqual([]);
      expect(tables).toEqual(expect.arrayContaining(['items', 'stamped_only']));
      expect(triggers).toEqual([]);
      expect(routines.filter((r) => r.name.startsWith('nsync'))).toEqual([]);
    }
    expect(await rowsOf(master, 'items')).toEqual(before.master);
    expect(await rowsOf(slave, 'items')).toEqual(before.slave);
    // The application can still write: no trigger is left pointing at a dropped table.
    await master.knex('items').insert(item(4, 'four'));
    await master.knex('items').where({ id: 2 }).update({ name: 'dos' });
    await master.knex('items').where({ id: 3 }).delete();
    expect((await rowsOf(master, 'items')).map((r) => r.name)).toEqual(['uno', 'dos', 'four']);
    // And nsync says it is not installed, instead of failing half way.
    await expect(syncLocal(config, { reporter: silentReporter })).rejects.toMatchObject({ code: 'SCHEMA' });
  });

  it('capture: timestamp installs no triggers and syncs inserts and updates by timestamp, not deletes', async () => {
    await master.knex('stamped_only').insert([item(1, 'one'), item(2, 'two'), item(3, 'three')]);
    await install(timestampConfig, { reporter: silentReporter });
    for (const db of [master, slave]) {
      const { triggers } = await catalog(db);
      expect(triggers.filter((t) => t.name.startsWith('stamped_only.'))).toEqual([]);
    }
    const report = await check(timestampConfig);
    expect(errors(report)).toEqual([]);
    expect(report.items.some((i) => i.level === 'warn' && /cannot see deletes/.test(i.message))).toBe(true);

    await sync(timestampConfig);
    expect(await rowsOf(slave, 'stamped_only')).toEqual(await rowsOf(master, 'stamped_only'));

    await master
      .knex('stamped_only')
      .where({ id: 2 })
      .update({ name: 'two, later', updated_at: ago(1) });
    await master.knex('stamped_only').insert(item(4, 'four', 1));
    await master.knex('stamped_only').where({ id: 3 }).delete();
    await sync(timestampConfig);
    expect(await rowsOf(slave, 'stamped_only')).toEqual([
      { id: 1, name: 'one', qty: 1 },
      { id: 2, name: 'two, later', qty: 2 },
      // The delete is not seen in this mode: the slave keeps row 3.
      { id: 3, name: 'three', qty: 3 },
      { id: 4, name: 'four', qty: 4 },
    ]);
    // Nothing was logged for this table: it has no triggers.
    expect(await master.knex('nsync_changes').where({ table_name: 'stamped_only' })).toEqual([]);

    // Re-reading the look-back window is harmless.
    await sync(timestampConfig);
    expect((await rowsOf(slave, 'stamped_only')).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });
});
