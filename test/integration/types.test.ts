import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { install, syncLocal, silentReporter, type NsyncConfig } from '../../src/index.js';
import type { Dialect } from '../../src/core/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';

/**
 * Every column type nsync maps, copied master → slave within and across dialects. Rows are
 * compared after reading them back from both databases and normalising the driver's
 * output to one logical form (ints, decimal strings, ISO times, parsed JSON, base64).
 */

const DDL: Record<Dialect, string> = {
  postgres: `CREATE TABLE typed (
    id integer PRIMARY KEY, big bigint, txt text, amount numeric(12,2),
    ts_frac timestamp(6), ts_plain timestamp(0), day date, flag boolean, doc jsonb, bin bytea,
    updated_at timestamp(6))`,
  mysql: `CREATE TABLE typed (
    id int PRIMARY KEY, big bigint, txt text, amount decimal(12,2),
    ts_frac datetime(6), ts_plain datetime, day date, flag boolean, doc json, bin varbinary(64),
    updated_at datetime(6)) CHARACTER SET utf8mb4`,
  sqlite: `CREATE TABLE typed (
    id integer PRIMARY KEY, big bigint, txt text, amount decimal(12,2),
    ts_frac datetime, ts_plain datetime, day date, flag boolean, doc json, bin blob,
    updated_at datetime)`,
};

/** Reads bigints and times as text so no driver rounds or shifts them. */
const SELECT: Record<Dialect, string> = {
  postgres: `SELECT id, big::text AS big, txt, amount::text AS amount, ts_frac::text AS ts_frac,
    ts_plain::text AS ts_plain, day::text AS day, flag, doc::text AS doc, bin, updated_at::text AS updated_at
    FROM typed ORDER BY id`,
  mysql: `SELECT id, CAST(big AS CHAR) AS big, txt, CAST(amount AS CHAR) AS amount,
    CAST(ts_frac AS CHAR) AS ts_frac, CAST(ts_plain AS CHAR) AS ts_plain, CAST(day AS CHAR) AS day,
    flag, CAST(doc AS CHAR) AS doc, bin, CAST(updated_at AS CHAR) AS updated_at FROM typed ORDER BY id`,
  sqlite: `SELECT id, CAST(big AS TEXT) AS big, txt, amount, ts_frac, ts_plain, day, flag, doc, bin,
    updated_at FROM typed ORDER BY id`,
};

interface Logical {
  id: number;
  big: string | null;
  txt: string | null;
  amount: string | null;
  ts_frac: string | null;
  ts_plain: string | null;
  day: string | null;
  flag: boolean | null;
  doc: unknown;
  bin: string | null;
  updated_at: string | null;
}

function isoTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(String(value));
  if (!m) throw new Error(`unexpected time ${String(value)}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]}T${m[2]}${frac ? `.${frac}` : ''}Z`;
}

function decimal(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // SQLite keeps decimal(12,2) as REAL: two places is the declared scale.
  if (typeof value === 'number') return value.toFixed(2);
  return String(value);
}

function normalise(raw: Record<string, unknown>): Logical {
  const bool = raw.flag;
  const doc = raw.doc;
  const bin = raw.bin;
  return {
    id: Number(raw.id),
    big: raw.big === null ? null : String(raw.big),
    txt: raw.txt === null ? null : Buffer.isBuffer(raw.txt) ? raw.txt.toString('utf8') : String(raw.txt),
    amount: decimal(raw.amount),
    ts_frac: isoTime(raw.ts_frac),
    ts_plain: isoTime(raw.ts_plain),
    day: raw.day === null ? null : String(raw.day).slice(0, 10),
    flag: bool === null ? null : typeof bool === 'boolean' ? bool : Number(bool) !== 0,
    doc: doc === null ? null : typeof doc === 'string' ? JSON.parse(doc) : doc,
    bin: bin === null ? null : Buffer.from(bin as Buffer).toString('base64'),
    updated_at: isoTime(raw.updated_at),
  };
}

async function readTyped(db: TestDatabase): Promise<Logical[]> {
  const result = await db.knex.raw(SELECT[db.dialect]);
  const rows: Record<string, unknown>[] =
    db.dialect === 'postgres' ? result.rows : db.dialect === 'mysql' ? result[0] : result;
  return rows.map(normalise);
}

/** A logical row as each dialect's insert takes it. */
function toDb(dialect: Dialect, row: Logical): Record<string, unknown> {
  const time = (t: string | null) => (t === null ? null : t.replace('T', ' ').replace('Z', ''));
  return {
    id: row.id,
    // Bound as text so no driver goes through a double.
    big: row.big === null ? null : dialect === 'sqlite' ? BigInt(row.big) : row.big,
    txt: row.txt,
    amount: row.amount,
    ts_frac: time(row.ts_frac),
    ts_plain: time(row.ts_plain),
    day: row.day,
    flag: row.flag === null ? null : dialect === 'postgres' ? row.flag : row.flag ? 1 : 0,
    doc: row.doc === null ? null : JSON.stringify(row.doc),
    bin: row.bin === null ? null : Buffer.from(row.bin, 'base64'),
    updated_at: time(row.updated_at),
  };
}

const TRICKY_TEXT = `It's "quoted" \\ back\\slash\nnew line\ttab — ünïcödé 😀 中文 ' ; --`;
const BYTES = Buffer.from([0, 1, 2, 0x27, 0x5c, 0x22, 0x0a, 0x7f, 0x80, 0xfe, 0xff, 0]).toString('base64');

const ROWS: Logical[] = [
  {
    id: 1,
    big: '9007199254740993',
    txt: TRICKY_TEXT,
    amount: '9.90',
    ts_frac: '2024-01-02T03:04:05.123456Z',
    ts_plain: '2024-01-02T03:04:05Z',
    day: '2024-02-29',
    flag: true,
    doc: { a: 1, nested: { list: [1, 'two', null, true], s: 'x"y\\z' }, ü: 'ñ' },
    bin: BYTES,
    updated_at: '2025-06-01T10:00:00.000001Z',
  },
  {
    id: 2,
    big: '-9223372036854775808',
    txt: '',
    amount: '-0.05',
    ts_frac: '1999-12-31T23:59:59.5Z',
    ts_plain: '2000-01-01T00:00:00Z',
    day: '1970-01-01',
    flag: false,
    doc: [1, 2, 3],
    bin: Buffer.from([]).toString('base64'),
    updated_at: '2025-06-01T10:00:00Z',
  },
  {
    id: 3,
    big: '9223372036854775807',
    txt: 'plain',
    amount: '1234567890.12',
    ts_frac: '2030-07-15T12:00:00Z',
    ts_plain: '2030-07-15T12:00:01Z',
    day: '2030-07-15',
    flag: true,
    doc: 'just a string',
    bin: Buffer.from('hello').toString('base64'),
    updated_at: '2025-06-01T10:00:01.5Z',
  },
  {
    id: 4,
    big: null,
    txt: null,
    amount: null,
    ts_frac: null,
    ts_plain: null,
    day: null,
    flag: null,
    doc: null,
    bin: null,
    updated_at: '2025-06-01T10:00:02Z',
  },
];

const PAIRS: [Dialect, Dialect][] = [
  ['postgres', 'postgres'],
  ['mysql', 'mysql'],
  ['sqlite', 'sqlite'],
  ['postgres', 'mysql'],
  ['mysql', 'sqlite'],
  ['sqlite', 'postgres'],
];

describe.each(PAIRS)('column types, master %s → slave %s', (masterDialect, slaveDialect) => {
  let master: TestDatabase;
  let slave: TestDatabase;
  let config: NsyncConfig;
  const run = async () => {
    const result = await syncLocal(config, { reporter: silentReporter });
    expect(result.tables.filter((t) => !t.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    return result;
  };

  beforeAll(async () => {
    master = await createTestDatabase(masterDialect, 'types_m');
    slave = await createTestDatabase(slaveDialect, 'types_s');
    await master.knex.raw(DDL[masterDialect]);
    await slave.knex.raw(DDL[slaveDialect]);
    config = localConfig('master-slave', master.url, slave.url, [{ name: 'typed' }]);
    await install(config, { reporter: silentReporter });
  });

  afterAll(async () => {
    await master?.drop();
    await slave?.drop();
  });

  it('copies every type exactly on the first sync', async () => {
    await master.knex('typed').insert(ROWS.map((r) => toDb(masterDialect, r)));
    // The master itself holds what was meant (the test data survives its own driver).
    expect(await readTyped(master)).toEqual(ROWS);
    const result = await run();
    expect(result.tables[0]?.counts.inserted).toBe(ROWS.length);
    expect(await readTyped(slave)).toEqual(ROWS);
  });

  it('copies inserts, updates, deletes and a delete-then-reinsert of the same key', async () => {
    const inserted: Logical = {
      id: 5,
      big: '-9007199254740993',
      txt: 'line1\r\nline2, tab\t, quote \' and "',
      amount: '0.00',
      ts_frac: '2026-03-04T05:06:07.000009Z',
      ts_plain: '2026-03-04T05:06:07Z',
      day: '2026-03-04',
      flag: false,
      doc: '{"not":"an object"}',
      bin: Buffer.from([0xff, 0x00, 0xff]).toString('base64'),
      updated_at: '2025-06-02T00:00:00Z',
    };
    await master.knex('typed').insert(toDb(masterDialect, inserted));
    // Update: new values in every kind of column, including to and from NULL.
    await master
      .knex('typed')
      .where({ id: 1 })
      .update({
        big: masterDialect === 'sqlite' ? BigInt('9007199254740995') : '9007199254740995',
        txt: 'changed \\ "again"',
        amount: '-1234567890.99',
        ts_frac: '2024-01-02 03:04:05.000001',
        flag: masterDialect === 'postgres' ? false : 0,
        doc: JSON.stringify({ b: [2] }),
        bin: null,
        updated_at: '2025-06-02 00:00:01.25',
      });
    await master
      .knex('typed')
      .where({ id: 4 })
      .update({ txt: 'no longer null', amount: '1.10', updated_at: '2025-06-02 00:00:02' });
    await master.knex('typed').where({ id: 2 }).delete();
    // Deleted and inserted again under the same key, with different content.
    await master.knex('typed').where({ id: 3 }).delete();
    const reinserted: Logical = {
      ...(ROWS[2] as Logical),
      txt: 'reborn',
      amount: '3.30',
      // JSON strings that read like other JSON must stay strings.
      doc: ['123', '{"a":1}', 'null'],
      updated_at: '2025-06-02T00:00:03Z',
    };
    await master.knex('typed').insert(toDb(masterDialect, reinserted));

    const expected = await readTyped(master);
    expect(expected.map((r) => r.id)).toEqual([1, 3, 4, 5]);
    expect(expected.find((r) => r.id === 1)).toMatchObject({
      big: '9007199254740995',
      amount: '-1234567890.99',
      ts_frac: '2024-01-02T03:04:05.000001Z',
      bin: null,
      flag: false,
    });
    expect(expected.find((r) => r.id === 3)?.txt).toBe('reborn');

    await run();
    expect(await readTyped(slave)).toEqual(expected);

    // Nothing left to do: a second run changes nothing.
    const again = await run();
    expect(again.tables[0]?.counts).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    expect(await readTyped(slave)).toEqual(expected);
  });
});
