import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  install,
  syncLocal,
  silentReporter,
  type NsyncConfig,
  type RunResult,
  type TableResult,
} from '../../src/index.js';
import { emptyCounts } from '../../src/core/types.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';
import { items, iso, raw, type Item } from '../helpers/rows.js';

/**
 * master-master: last-write-wins both ways, deletes and their times, ties, the other conflict
 * strategies, trigger-maintained timestamps, and no echo of what nsync itself copied.
 *
 * Row times are set by the test relative to the wall clock: `at(-600)` is ten minutes ago.
 * A delete is stamped by the database clock when it happens, so it is newer than any
 * `at(-n)` and older than any `at(+n)`.
 */

const byId = (rows: Item[], id: number) => rows.find((r) => r.id === id);
const ids = (rows: Item[]) => rows.map((r) => r.id);

const start = Date.now();
/** A row time `seconds` from when the file started, as every dialect takes it. */
const at = (seconds: number): string =>
  new Date(start + seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');

const row = (id: number, name: string, time: string) => ({
  id,
  name,
  qty: id,
  price: '1.50',
  note: null,
  updated_at: time,
});

const TABLES = [
  { name: 'lww' },
  { name: 'srcwins', conflict: 'source-wins' },
  { name: 'tgtwins', conflict: 'target-wins' },
  { name: 'manual', conflict: 'manual' },
  { name: 'stamped', maintainTimestamp: true },
  { name: 'echo' },
  { name: 'late' },
];

describe.each(DIALECTS)('master-master on %s', (dialect) => {
  let a: TestDatabase;
  let b: TestDatabase;
  let config: NsyncConfig;

  /** One table, both directions; fails the test on any failed table. Returns [down, up]. */
  async function sync(table: string): Promise<[TableResult, TableResult]> {
    const result: RunResult = await syncLocal(config, { tables: [table], reporter: silentReporter });
    expect(result.tables.filter((t) => !t.ok)).toEqual([]);
    expect(result.tables.map((t) => t.direction)).toEqual(['master → slave', 'slave → master']);
    return result.tables as [TableResult, TableResult];
  }

  /** Both sides hold the same rows (only these ids when given); returns them. */
  async function expectSame(table: string, only?: number[]): Promise<Item[]> {
    const pick = (rows: Item[]) => (only ? rows.filter((r) => only.includes(r.id)) : rows);
    const onA = pick(await items(a, table));
    expect(pick(await items(b, table))).toEqual(onA);
    return onA;
  }

  beforeAll(async () => {
    a = await createTestDatabase(dialect, 'mm_a');
    b = await createTestDatabase(dialect, 'mm_b');
    for (const db of [a, b]) {
      for (const t of TABLES) {
        await db.knex.raw(ITEMS_DDL[dialect].replace('CREATE TABLE items', `CREATE TABLE ${t.name}`));
      }
    }
    config = localConfig('master-master', a.url, b.url, TABLES);
    await install(config, { reporter: silentReporter });
    // A first run on the empty tables: from here on, changes come from the change logs.
    const first = await syncLocal(config, {
      tables: TABLES.map((t) => t.name).filter((n) => n !== 'late'),
      reporter: silentReporter,
    });
    expect(first.ok).toBe(true);
  });

  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  describe('a first exchange', () => {
    it('does not bring back a row the target deleted before it, even into a table with no rows', async () => {
      await a.knex('late').insert(row(1, 'older on A', at(-1000)));
      await b.knex('late').insert(row(1, 'on B', at(-900)));
      await b.knex('late').where({ id: 1 }).delete();
      await sync('late');
      expect(ids(await items(b, 'late'))).toEqual([]);
      expect(ids(await items(a, 'late'))).toEqual([]);
    });
  });

  describe('last-write-wins', () => {
    it('the newer version wins on each side; the older one is skipped and counted', async () => {
      await a.knex('lww').insert([row(1, 'orig', at(-1000)), row(2, 'orig', at(-1000))]);
      await sync('lww');
      await a
        .knex('lww')
        .where({ id: 1 })
        .update({ name: 'a newer', updated_at: at(-500) });
      await b
        .knex('lww')
        .where({ id: 1 })
        .update({ name: 'b older', updated_at: at(-600) });
      await a
        .knex('lww')
        .where({ id: 2 })
        .update({ name: 'a older', updated_at: at(-600) });
      await b
        .knex('lww')
        .where({ id: 2 })
        .update({ name: 'b newer', updated_at: at(-500) });

      const [down, up] = await sync('lww');
      // master → slave: row 1 taken, row 2 skipped as older; slave → master: row 2 taken.
      expect(down.counts).toMatchObject({ updated: 1, skippedOlder: 1 });
      expect(up.counts).toMatchObject({ updated: 1, skippedOlder: 0 });
      const rows = await expectSame('lww', [1, 2]);
      expect(byId(rows, 1)).toMatchObject({ name: 'a newer', updated_at: iso(at(-500)) });
      expect(byId(rows, 2)).toMatchObject({ name: 'b newer', updated_at: iso(at(-500)) });
    });

    it('an older write made after the newer version was copied loses on both sides', async () => {
      // E.g. an application server whose clock is behind: its write is older than what both hold.
      await a.knex('lww').insert(row(20, 'twenty', at(-500)));
      await sync('lww');
      await b
        .knex('lww')
        .where({ id: 20 })
        .update({ name: 'stale on b', updated_at: at(-700) });
      const [, up] = await sync('lww');
      expect(up.counts.skippedOlder).toBe(1);
      expect(byId(await items(a, 'lww'), 20)?.name).toBe('twenty');
      await sync('lww');
      // Invariant 1: the version that won must end up on both sides.
      const rows = await expectSame('lww', [20]);
      expect(byId(rows, 20)?.name).toBe('twenty');
    });

    it('a delete propagates, and an older update on the other side does not resurrect it', async () => {
      await a.knex('lww').insert([row(3, 'three', at(-1000)), row(4, 'four', at(-1000))]);
      await sync('lww');
      // Row 3: deleted on the master, updated (before the delete's time) on the slave; row 4 the other way round.
      await a.knex('lww').where({ id: 3 }).delete();
      await b
        .knex('lww')
        .where({ id: 3 })
        .update({ name: 'old edit on b', updated_at: at(-400) });
      await b.knex('lww').where({ id: 4 }).delete();
      await a
        .knex('lww')
        .where({ id: 4 })
        .update({ name: 'old edit on a', updated_at: at(-400) });

      const [down, up] = await sync('lww');
      expect(down.counts).toMatchObject({ deleted: 1, skippedOlder: 1, inserted: 0 });
      expect(up.counts).toMatchObject({ deleted: 1, inserted: 0 });
      expect(await expectSame('lww', [3, 4])).toEqual([]);
      await sync('lww');
      expect(await expectSame('lww', [3, 4])).toEqual([]);
    });

    it('a newer update on the other side wins over an older delete', async () => {
      await a.knex('lww').insert([row(5, 'five', at(-1000)), row(6, 'six', at(-1000))]);
      await sync('lww');
      await b.knex('lww').where({ id: 5 }).delete();
      await a
        .knex('lww')
        .where({ id: 5 })
        .update({ name: 'a after the delete', updated_at: at(3600) });
      await a.knex('lww').where({ id: 6 }).delete();
      await b
        .knex('lww')
        .where({ id: 6 })
        .update({ name: 'b after the delete', updated_at: at(3600) });

      await sync('lww');
      const rows = await expectSame('lww', [5, 6]);
      expect(byId(rows, 5)).toMatchObject({ name: 'a after the delete', updated_at: iso(at(3600)) });
      expect(byId(rows, 6)).toMatchObject({ name: 'b after the delete', updated_at: iso(at(3600)) });
    });

    it('a delete then re-insert of the same key propagates', async () => {
      await a.knex('lww').insert([row(7, 'seven', at(-1000)), row(8, 'eight', at(-1000))]);
      await b.knex('lww').insert(row(9, 'nine', at(-1000)));
      await sync('lww');
      // Between two runs.
      await a.knex('lww').where({ id: 7 }).delete();
      await a.knex('lww').insert(row(7, 'seven again', at(-100)));
      await b.knex('lww').where({ id: 9 }).delete();
      await b.knex('lww').insert(row(9, 'nine again', at(-100)));
      await sync('lww');
      let rows = await expectSame('lww', [7, 8, 9]);
      expect(byId(rows, 7)?.name).toBe('seven again');
      expect(byId(rows, 9)?.name).toBe('nine again');

      // Across runs: the delete reaches the slave first, the re-insert (written after it) follows.
      await a.knex('lww').where({ id: 8 }).delete();
      await sync('lww');
      expect(ids(await items(b, 'lww'))).not.toContain(8);
      await a.knex('lww').insert(row(8, 'eight again', at(60)));
      await sync('lww');
      rows = await expectSame('lww', [7, 8, 9]);
      expect(byId(rows, 8)?.name).toBe('eight again');
    });

    it('a re-insert carrying a time older than its own delete still converges', async () => {
      // An application restoring an old row (e.g. from a backup) after deleting it.
      await a.knex('lww').insert(row(11, 'eleven', at(-1000)));
      await sync('lww');
      await a.knex('lww').where({ id: 11 }).delete();
      await sync('lww');
      expect(ids(await items(b, 'lww'))).not.toContain(11);
      await a.knex('lww').insert(row(11, 'restored', at(-1000)));
      await sync('lww');
      await sync('lww');
      // Either outcome is last-write-wins-consistent; the two masters must agree.
      await expectSame('lww', [11]);
    });

    it('an equal-time tie with different content converges', async () => {
      await a.knex('lww').insert(row(10, 'ten', at(-1000)));
      await sync('lww');
      await a
        .knex('lww')
        .where({ id: 10 })
        .update({ name: 'tie from a', qty: 1, updated_at: at(-300) });
      await b
        .knex('lww')
        .where({ id: 10 })
        .update({ name: 'tie from b', qty: 2, updated_at: at(-300) });
      await sync('lww');
      await sync('lww');
      const rows = await expectSame('lww', [10]);
      const winner = byId(rows, 10);
      expect(['tie from a', 'tie from b']).toContain(winner?.name);
      expect(winner?.qty).toBe(winner?.name === 'tie from a' ? 1 : 2);
    });
  });

  describe('conflict strategies', () => {
    it("source-wins: a conflict goes to the source of the first exchange (the master's), even when older", async () => {
      await a
        .knex('srcwins')
        .insert([row(1, 'one', at(-1000)), row(2, 'two', at(-1000)), row(3, 'three', at(-1000))]);
      await sync('srcwins');
      await a
        .knex('srcwins')
        .where({ id: 1 })
        .update({ name: 'a older', updated_at: at(-600) });
      await b
        .knex('srcwins')
        .where({ id: 1 })
        .update({ name: 'b newer', updated_at: at(-500) });
      await b
        .knex('srcwins')
        .where({ id: 2 })
        .update({ name: 'b only', updated_at: at(-500) });
      await a
        .knex('srcwins')
        .where({ id: 3 })
        .update({ name: 'a only', updated_at: at(-500) });

      const [down] = await sync('srcwins');
      expect(down.counts.overwritten).toBeGreaterThanOrEqual(1);
      const rows = await expectSame('srcwins');
      expect(byId(rows, 1)).toMatchObject({ name: 'a older', updated_at: iso(at(-600)) });
      expect(byId(rows, 2)?.name).toBe('b only');
      expect(byId(rows, 3)?.name).toBe('a only');
    });

    it('target-wins: each side keeps every row it holds; only keys it has never seen are written', async () => {
      // The contract of test/unit/core-lww.test.ts ("the target keeps whatever it has"), end to end.
      await a
        .knex('tgtwins')
        .insert([row(1, 'one', at(-1000)), row(2, 'two', at(-1000)), row(3, 'three', at(-1000))]);
      await sync('tgtwins');
      expect(ids(await items(b, 'tgtwins'))).toEqual([1, 2, 3]);
      // Row 1 changed on both sides, row 2 on the master only, row 3 deleted on the master.
      await a
        .knex('tgtwins')
        .where({ id: 1 })
        .update({ name: 'a older', updated_at: at(-600) });
      await b
        .knex('tgtwins')
        .where({ id: 1 })
        .update({ name: 'b newer', updated_at: at(-500) });
      await a
        .knex('tgtwins')
        .where({ id: 2 })
        .update({ name: 'a only', updated_at: at(-500) });
      await a.knex('tgtwins').where({ id: 3 }).delete();
      // New keys on each side.
      await a.knex('tgtwins').insert(row(4, 'new on a', at(-500)));
      await b.knex('tgtwins').insert(row(5, 'new on b', at(-500)));

      const [down, up] = await sync('tgtwins');
      expect(down.counts).toMatchObject({ inserted: 1, updated: 0, deleted: 0, skippedOlder: 3 });
      expect(up.counts).toMatchObject({ inserted: 1, updated: 0, deleted: 0, skippedOlder: 1 });
      const onA = await items(a, 'tgtwins');
      const onB = await items(b, 'tgtwins');
      expect(onA.map((r) => `${r.id} ${r.name}`)).toEqual([
        '1 a older',
        '2 a only',
        '4 new on a',
        '5 new on b',
      ]);
      expect(onB.map((r) => `${r.id} ${r.name}`)).toEqual([
        '1 b newer',
        '2 two',
        '3 three',
        '4 new on a',
        '5 new on b',
      ]);
    });

    it('manual: a conflicting row stays as it is on each side and is recorded with both versions', async () => {
      await a.knex('manual').insert([row(1, 'one', at(-1000)), row(2, 'two', at(-1000))]);
      await sync('manual');
      // Same time, different content: neither side's version is newer.
      await a
        .knex('manual')
        .where({ id: 1 })
        .update({ name: 'a version', updated_at: at(-300) });
      await b
        .knex('manual')
        .where({ id: 1 })
        .update({ name: 'b version', updated_at: at(-300) });
      await a
        .knex('manual')
        .where({ id: 2 })
        .update({ name: 'a only', updated_at: at(-300) });

      const [down, up] = await sync('manual');
      expect(down.counts.conflicts).toBe(1);
      expect(up.counts.conflicts).toBe(1);
      const onA = await items(a, 'manual');
      const onB = await items(b, 'manual');
      expect(byId(onA, 1)?.name).toBe('a version');
      expect(byId(onB, 1)?.name).toBe('b version');
      expect(byId(onA, 2)?.name).toBe('a only');
      expect(byId(onB, 2)?.name).toBe('a only');

      for (const [db, local, incoming] of [
        [b, 'b version', 'a version'],
        [a, 'a version', 'b version'],
      ] as const) {
        const recorded = await raw(
          db,
          `SELECT pk, local_version, incoming_version, resolved_at FROM nsync_conflicts WHERE table_name = 'manual'`,
        );
        expect(recorded).toHaveLength(1);
        const [conflict] = recorded;
        expect(JSON.parse(String(conflict?.pk))).toEqual(['1']);
        expect(conflict?.resolved_at).toBeNull();
        expect(JSON.parse(String(conflict?.local_version))).toMatchObject({ id: 1, name: local });
        expect(JSON.parse(String(conflict?.incoming_version))).toMatchObject({
          op: 'upsert',
          row: { id: 1, name: incoming },
        });
      }
    });
  });

  it('maintainTimestamp: an application update that leaves updated_at alone is still copied', async () => {
    await a.knex('stamped').insert(row(1, 'one', at(-1000)));
    await sync('stamped');
    const first = byId(await expectSame('stamped'), 1);
    expect(first?.name).toBe('one');

    // The application changes the row and nothing else; the trigger stamps it.
    await a.knex('stamped').where({ id: 1 }).update({ name: 'renamed on a' });
    const stamped = byId(await items(a, 'stamped'), 1);
    expect(stamped?.name).toBe('renamed on a');
    expect(stamped?.updated_at).not.toBe(first?.updated_at);
    expect(Date.parse(String(stamped?.updated_at))).toBeGreaterThan(Date.parse(String(first?.updated_at)));
    const [down] = await sync('stamped');
    expect(down.counts.updated).toBe(1);
    // nsync's own write is not stamped again: the slave holds the master's time.
    expect(byId(await expectSame('stamped'), 1)?.name).toBe('renamed on a');

    await b.knex('stamped').where({ id: 1 }).update({ qty: 77 });
    const [, up] = await sync('stamped');
    expect(up.counts.updated).toBe(1);
    expect(byId(await expectSame('stamped'), 1)).toMatchObject({ name: 'renamed on a', qty: 77 });
  });

  it('a change copied to the other side does not come back as a change', async () => {
    await a.knex('echo').insert([row(1, 'one', at(-1000)), row(2, 'two', at(-1000))]);
    const [down, up] = await sync('echo');
    expect(down.counts).toEqual({ ...emptyCounts(), inserted: 2 });
    // The slave's log holds its copies of rows 1 and 2 as coming from the master: not sent back.
    expect(up.counts).toEqual(emptyCounts());
    await expectSame('echo');
    for (const t of await sync('echo')) {
      expect(t.read).toBe(0);
      expect(t.counts).toEqual(emptyCounts());
    }

    // The same from the slave's side, a delete included.
    await b.knex('echo').insert(row(3, 'three', at(-1000)));
    await b.knex('echo').where({ id: 1 }).delete();
    const [down2, up2] = await sync('echo');
    expect(down2.counts).toEqual(emptyCounts());
    expect(up2.counts).toEqual({ ...emptyCounts(), inserted: 1, deleted: 1 });
    expect(ids(await expectSame('echo'))).toEqual([2, 3]);
    // The next run passes over the master's log entries of those copies without applying anything…
    for (const t of await sync('echo')) expect(t.counts).toEqual(emptyCounts());
    // …and after that there is nothing left to read.
    for (const t of await sync('echo')) {
      expect(t.read).toBe(0);
      expect(t.counts).toEqual(emptyCounts());
    }
    expect(ids(await expectSame('echo'))).toEqual([2, 3]);
  });
});
