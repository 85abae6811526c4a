import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import type { Knex } from 'knex';
import { install, syncLocal, silentReporter, type NsyncConfig, type RunResult } from '../../src/index.js';
import type { Dialect } from '../../src/core/types.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';

/**
 * A transaction that started writing before a sync and commits after it (DESIGN §2,
 * "commit-order-safe sequence"): the sync must neither wait for it nor lose its change.
 *
 * SQLite is not tested here: it has a single writer, so a write transaction cannot stay
 * open while another connection commits, and there is no late commit to miss.
 */

const SERVER_DIALECTS = DIALECTS.filter((d): d is Exclude<Dialect, 'sqlite'> => d !== 'sqlite');

const row = (id: number, name: string) => ({
  id,
  name,
  qty: id,
  price: '2.00',
  note: null,
  updated_at: new Date(Date.now() - 60_000).toISOString().replace('T', ' ').replace('Z', ''),
});

/** Syncs still running after a test gave up on them: awaited before the databases are dropped. */
const inflight: Promise<unknown>[] = [];

/** syncLocal, failed if it has not finished within `ms` (it would be waiting on the open transaction). */
async function syncWithin(config: NsyncConfig, ms: number): Promise<RunResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`syncLocal did not finish within ${ms} ms`)), ms);
  });
  const run = syncLocal(config, { reporter: silentReporter });
  inflight.push(run.catch(() => undefined));
  try {
    const result = await Promise.race([run, timeout]);
    expect(result.tables.filter((t) => !t.ok)).toEqual([]);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

async function names(db: TestDatabase, table: string): Promise<string[]> {
  const rows: { name: string }[] = await db.knex(table).select('name').orderBy('id');
  return rows.map((r) => r.name);
}

if (SERVER_DIALECTS.length === 0) {
  it('has no server dialect to test (NSYNC_TEST_DIALECTS names only sqlite)', () => {
    expect(DIALECTS).toEqual(['sqlite']);
  });
}

describe.each(SERVER_DIALECTS)('late commits on %s', (dialect) => {
  let master: TestDatabase;
  let slave: TestDatabase;
  const configs: Record<string, NsyncConfig> = {};
  /** Open transactions, rolled back in afterAll if a test failed half way. */
  const open: Knex.Transaction[] = [];

  beforeAll(async () => {
    master = await createTestDatabase(dialect, 'late_m');
    slave = await createTestDatabase(dialect, 'late_s');
    for (const db of [master, slave]) {
      for (const t of ['logged', 'fresh', 'again', 'history']) {
        await db.knex.raw(ITEMS_DDL[dialect].replace('CREATE TABLE items', `CREATE TABLE ${t}`));
      }
    }
    for (const t of ['logged', 'fresh', 'again', 'history']) {
      configs[t] = localConfig('master-slave', master.url, slave.url, [{ name: t }]);
      await install(configs[t] as NsyncConfig, { reporter: silentReporter });
    }
    // A change log of realistic size: with only a handful of entries a database may scan the
    // whole table where, in production, it would go through an index (and lock differently).
    await master.knex.batchInsert(
      'history',
      Array.from({ length: 300 }, (_, i) => row(i + 1, `history ${i + 1}`)),
      100,
    );
    // Statistics as a production database would have them, so the plan does not depend on luck.
    await master.knex.raw(dialect === 'mysql' ? 'ANALYZE TABLE nsync_changes' : 'ANALYZE nsync_changes');
  });

  // A test that gave up on a blocked sync ends its transaction, and the sync with it, so the
  // next test does not queue behind them.
  afterEach(async () => {
    for (const trx of open.splice(0)) if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
    await Promise.all(inflight.splice(0));
  });

  afterAll(async () => {
    await master?.drop();
    await slave?.drop();
  });

  async function begin(): Promise<Knex.Transaction> {
    const trx = await master.knex.transaction();
    open.push(trx);
    return trx;
  }

  it('a change committed after a sync began reading is copied by the next sync (change log)', async () => {
    await master.knex('logged').insert(row(1, 'before'));
    await syncWithin(configs.logged as NsyncConfig, 20_000);
    expect(await names(slave, 'logged')).toEqual(['before']);

    const trx = await begin();
    await trx('logged').insert(row(10, 'X'));
    await master.knex('logged').insert(row(20, 'Y'));
    await syncWithin(configs.logged as NsyncConfig, 20_000);
    expect(await names(slave, 'logged')).toEqual(['before', 'Y']);

    await trx.commit();
    await syncWithin(configs.logged as NsyncConfig, 20_000);
    expect(await names(slave, 'logged')).toEqual(['before', 'X', 'Y']);
  });

  it('a change committed during the first copy (snapshot) is copied by the next sync', async () => {
    const trx = await begin();
    await trx('fresh').insert(row(10, 'X'));
    await master.knex('fresh').insert(row(20, 'Y'));
    await syncWithin(configs.fresh as NsyncConfig, 20_000);
    expect(await names(slave, 'fresh')).toEqual(['Y']);

    await trx.commit();
    await syncWithin(configs.fresh as NsyncConfig, 20_000);
    expect(await names(slave, 'fresh')).toEqual(['X', 'Y']);
  });

  it('an open transaction changing a row whose last change is not read yet does not hold the sync', async () => {
    await master.knex('again').insert([row(1, 'one'), row(2, 'two')]);
    await syncWithin(configs.again as NsyncConfig, 20_000);
    // Committed, not yet read by any sync …
    await master.knex('again').where({ id: 1 }).update({ name: 'one, committed' });
    // … and changed again by a transaction that stays open (it locks the row's log entry).
    const trx = await begin();
    await trx('again').where({ id: 1 }).update({ name: 'one, late' });
    await master.knex('again').where({ id: 2 }).update({ name: 'two, committed' });

    await syncWithin(configs.again as NsyncConfig, 10_000);
    const during = await names(slave, 'again');
    expect(during[1]).toBe('two, committed');
    // Row 1's committed change may wait for the open transaction (its log entry is locked):
    // deferred, never lost, and never the uncommitted value.
    expect(['one', 'one, committed']).toContain(during[0]);

    await trx.commit();
    await syncWithin(configs.again as NsyncConfig, 20_000);
    expect(await names(slave, 'again')).toEqual(['one, late', 'two, committed']);
  });
});
