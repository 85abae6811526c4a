import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { install, syncLocal, silentReporter, type NsyncConfig, type RunResult } from '../../src/index.js';
import type { Dialect } from '../../src/core/types.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';
import { iso, raw, updatedAtText } from '../helpers/rows.js';

/** Tables keyed by (order_id, line_no): inserts, updates, deletes and key changes, both modes. */

const ddl = (dialect: Dialect, table: string): string => {
  const text = dialect === 'mysql' ? 'varchar(100)' : 'text';
  const time = dialect === 'postgres' ? 'timestamp(6)' : dialect === 'mysql' ? 'datetime(6)' : 'datetime';
  return `CREATE TABLE ${table} (order_id integer NOT NULL, line_no integer NOT NULL, sku ${text}, qty integer,
    updated_at ${time}, PRIMARY KEY (order_id, line_no))`;
};

interface Line {
  order_id: number;
  line_no: number;
  sku: string | null;
  qty: number | null;
  updated_at: string | null;
}

async function lines(db: TestDatabase, table: string): Promise<Line[]> {
  const rows = await raw(
    db,
    `SELECT order_id, line_no, sku, qty, ${updatedAtText(db)} AS updated_at FROM ${table} ORDER BY order_id, line_no`,
  );
  return rows.map((r) => ({
    order_id: Number(r.order_id),
    line_no: Number(r.line_no),
    sku: r.sku === null ? null : String(r.sku),
    qty: r.qty === null ? null : Number(r.qty),
    updated_at: iso(r.updated_at),
  }));
}

const keys = (rows: Line[]) => rows.map((r) => `${r.order_id}/${r.line_no}`);

/**
 * Row times: increasing, and a minute behind the clock, so a delete (which the trigger stamps
 * with the database clock) is always newer than the writes made before it.
 */
let last = 0;
const stamp = (): string => {
  last = Math.max(last + 1, Date.now() - 60_000);
  return new Date(last).toISOString().replace('T', ' ').replace('Z', '');
};

const line = (order_id: number, line_no: number, sku: string, qty: number) => ({
  order_id,
  line_no,
  sku,
  qty,
  updated_at: stamp(),
});

async function sync(config: NsyncConfig): Promise<RunResult> {
  const result = await syncLocal(config, { reporter: silentReporter });
  expect(result.tables.filter((t) => !t.ok)).toEqual([]);
  expect(result.ok).toBe(true);
  return result;
}

describe.each(DIALECTS)('composite primary key on %s', (dialect) => {
  let a: TestDatabase;
  let b: TestDatabase;
  let masterSlave: NsyncConfig;
  let masterMaster: NsyncConfig;
  const key = ['order_id', 'line_no'];

  beforeAll(async () => {
    a = await createTestDatabase(dialect, 'comp_a');
    b = await createTestDatabase(dialect, 'comp_b');
    for (const db of [a, b]) {
      await db.knex.raw(ddl(dialect, 'lines_ms'));
      await db.knex.raw(ddl(dialect, 'lines_mm'));
    }
    masterSlave = localConfig('master-slave', a.url, b.url, [{ name: 'lines_ms', primaryKey: key }]);
    masterMaster = localConfig('master-master', a.url, b.url, [{ name: 'lines_mm', primaryKey: key }]);
    await install(masterSlave, { reporter: silentReporter });
    await install(masterMaster, { reporter: silentReporter });
  });

  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  describe('master-slave', () => {
    it('copies inserts, updates and deletes', async () => {
      // (1,10) and (10,1) sort differently by key than by text: keyset paging must use both columns.
      await a
        .knex('lines_ms')
        .insert([
          line(1, 1, 'A', 1),
          line(1, 2, 'B', 2),
          line(1, 3, 'C', 3),
          line(1, 10, 'D', 4),
          line(2, 1, 'E', 5),
          line(10, 1, 'F', 6),
        ]);
      await sync(masterSlave);
      expect(keys(await lines(b, 'lines_ms'))).toEqual(['1/1', '1/2', '1/3', '1/10', '2/1', '10/1']);
      expect(await lines(b, 'lines_ms')).toEqual(await lines(a, 'lines_ms'));

      await a
        .knex('lines_ms')
        .where({ order_id: 1, line_no: 2 })
        .update({ qty: 20, sku: 'B2', updated_at: stamp() });
      await a.knex('lines_ms').where({ order_id: 1, line_no: 3 }).delete();
      // Same line_no, other order: only (1,3) may go.
      await a.knex('lines_ms').insert(line(2, 3, 'G', 7));
      const result = await sync(masterSlave);
      expect(result.tables[0]?.counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1 });
      const copied = await lines(b, 'lines_ms');
      expect(keys(copied)).toEqual(['1/1', '1/2', '1/10', '2/1', '2/3', '10/1']);
      expect(copied.find((l) => l.order_id === 1 && l.line_no === 2)).toMatchObject({ sku: 'B2', qty: 20 });
      expect(copied).toEqual(await lines(a, 'lines_ms'));
    });

    it('moves a row whose key columns change: the old key disappears from the slave', async () => {
      await a.knex('lines_ms').where({ order_id: 2, line_no: 1 }).update({ line_no: 7, updated_at: stamp() });
      await a
        .knex('lines_ms')
        .where({ order_id: 10, line_no: 1 })
        .update({ order_id: 11, updated_at: stamp() });
      await sync(masterSlave);
      const copied = await lines(b, 'lines_ms');
      expect(keys(copied)).toEqual(['1/1', '1/2', '1/10', '2/3', '2/7', '11/1']);
      expect(copied.find((l) => l.order_id === 2 && l.line_no === 7)?.sku).toBe('E');
      expect(copied.find((l) => l.order_id === 11)?.sku).toBe('F');
      expect(copied).toEqual(await lines(a, 'lines_ms'));
    });
  });

  describe('master-master', () => {
    it('copies inserts, updates and deletes both ways', async () => {
      await a.knex('lines_mm').insert([line(1, 1, 'a11', 1), line(1, 2, 'a12', 2), line(5, 1, 'a51', 3)]);
      await b.knex('lines_mm').insert([line(1, 3, 'b13', 4), line(3, 1, 'b31', 5), line(3, 2, 'b32', 6)]);
      await sync(masterMaster);
      const all = ['1/1', '1/2', '1/3', '3/1', '3/2', '5/1'];
      expect(keys(await lines(a, 'lines_mm'))).toEqual(all);
      expect(await lines(b, 'lines_mm')).toEqual(await lines(a, 'lines_mm'));

      // Each side updates one row and deletes another it did not create.
      await a.knex('lines_mm').where({ order_id: 3, line_no: 1 }).update({ qty: 31, updated_at: stamp() });
      await a.knex('lines_mm').where({ order_id: 1, line_no: 3 }).delete();
      await b.knex('lines_mm').where({ order_id: 1, line_no: 1 }).update({ qty: 11, updated_at: stamp() });
      await b.knex('lines_mm').where({ order_id: 5, line_no: 1 }).delete();
      await sync(masterMaster);
      const after = await lines(a, 'lines_mm');
      expect(keys(after)).toEqual(['1/1', '1/2', '3/1', '3/2']);
      expect(after.find((l) => l.order_id === 3 && l.line_no === 1)?.qty).toBe(31);
      expect(after.find((l) => l.order_id === 1 && l.line_no === 1)?.qty).toBe(11);
      expect(await lines(b, 'lines_mm')).toEqual(after);
    });

    it('a key change on either side removes the old key on the other', async () => {
      await a.knex('lines_mm').where({ order_id: 1, line_no: 2 }).update({ line_no: 9, updated_at: stamp() });
      await b
        .knex('lines_mm')
        .where({ order_id: 3, line_no: 2 })
        .update({ order_id: 4, updated_at: stamp() });
      await sync(masterMaster);
      const onA = await lines(a, 'lines_mm');
      expect(keys(onA)).toEqual(['1/1', '1/9', '3/1', '4/2']);
      expect(onA.find((l) => l.order_id === 1 && l.line_no === 9)?.sku).toBe('a12');
      expect(onA.find((l) => l.order_id === 4)?.sku).toBe('b32');
      expect(await lines(b, 'lines_mm')).toEqual(onA);

      // Settled: another run moves nothing and both sides stay equal.
      const again = await sync(masterMaster);
      for (const t of again.tables) {
        expect(t.counts).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      }
      expect(await lines(b, 'lines_mm')).toEqual(await lines(a, 'lines_mm'));
    });
  });
});
