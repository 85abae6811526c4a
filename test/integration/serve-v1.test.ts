import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { request as httpRequest } from 'undici';
import { DIALECTS, ITEMS_DDL } from '../helpers/databases.js';
import { items, type Item } from '../helpers/rows.js';
import { call, startTestServer, TEST_KEY, type CallResult, type TestServer } from '../helpers/server.js';

/**
 * nsync's own protocol (`/v1/info`, `/v1/pull`, `/v1/snapshot`, `/v1/push`, `/v1/checksum`)
 * over real HTTP against a real `nsync serve` on each dialect. Every table below has the
 * ITEMS_DDL shape; each test works on its own table of one server per dialect.
 *
 * Row times are whole seconds relative to when the file started: `at(-600)` is ten minutes
 * ago. A delete made by SQL is stamped by the database clock, so it is newer than any `at(-n)`.
 */

const start = Math.floor(Date.now() / 1000) * 1000;
/** A row time `seconds` from the start, canonical (`2025-01-01T10:00:00Z`). */
const at = (seconds: number): string => new Date(start + seconds * 1000).toISOString().replace('.000Z', 'Z');
/** The same time as SQL takes it. */
const sqlAt = (seconds: number): string => at(seconds).replace('T', ' ').replace('Z', '');

/** A canonical row of an items-shaped table (DESIGN §5: decimals as strings at the column's scale). */
const row = (id: number, name: string, seconds: number, price = '1.50'): Item => ({
  id,
  name,
  qty: id,
  price,
  note: null,
  updated_at: at(seconds),
});
/** The same row as knex inserts it. */
const sqlRow = (id: number, name: string, seconds: number, price = '1.50') => ({
  ...row(id, name, seconds, price),
  updated_at: sqlAt(seconds),
});

type Change =
  | { op: 'upsert'; key: unknown[]; at: string | null; row: Item }
  | { op: 'delete'; key: unknown[]; at: string };

interface PullAnswer {
  table: string;
  cursor: string;
  more: boolean;
  read: number;
  snapshot: boolean;
  changes: Change[];
}

interface PushAnswer {
  applied: number;
  inserted: number;
  updated: number;
  deleted: number;
  skippedOlder: number;
  unchanged: number;
  conflicts: number;
  overwritten: number;
  replayed: boolean;
  fresh: boolean;
}

interface RangeAnswer {
  after: unknown[] | null;
  upTo: unknown[] | null;
  count: number;
  hash: string;
}

/** An upsert as pulls return it (`at` is the row's time; pushes ignore it). */
const upsert = (r: Item): Change => ({ op: 'upsert', key: [r.id], at: r.updated_at, row: r });
const remove = (id: number, seconds: number): Change => ({ op: 'delete', key: [id], at: at(seconds) });
const keyOf = (c: Change): number => c.key[0] as number;

/** The response, failing the test with its body when the status is not the one expected. */
function expectStatus(result: CallResult, status: number): CallResult {
  if (result.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${result.status}: ${result.text.slice(0, 500)}`);
  }
  return result;
}

/** SHA-256 of a flat row's JSON with sorted keys (DESIGN §5), hex. */
function expectedRowHash(r: Item): string {
  const sorted = Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** A range's hash as `/v1/checksum` documents it: SHA-256 over the rows' hashes in key order. */
function expectedRangeHash(rows: Item[]): string {
  const hash = createHash('sha256');
  for (const r of rows) hash.update(expectedRowHash(r));
  return hash.digest('hex');
}

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const TABLES = [
  'items',
  'pulled',
  'paged',
  'pushed',
  'gz',
  'fresh_empty',
  'fresh_full',
  'fresh_tomb',
  'fresh_app',
];
const CHECKSUM_TABLES = ['sum_a', 'sum_b', 'same_rows'];

/** `same_rows` hash per dialect, compared across dialects at the end. */
const crossDialect = new Map<string, { count: number; hash: string }>();

/** The logical rows pushed to `same_rows` on every dialect. */
const SAME_ROWS: Item[] = [
  { id: 1, name: 'plain', qty: 0, price: '0.00', note: null, updated_at: '2024-02-29T23:59:59Z' },
  { id: 2, name: 'ünïcödé ✓', qty: -7, price: '-12.30', note: 'x', updated_at: '2025-01-01T10:00:00Z' },
  {
    id: 3,
    name: 'fraction',
    qty: 3,
    price: '99999.99',
    note: null,
    updated_at: '2025-06-30T12:34:56.123456Z',
  },
  { id: 9007199254740991, name: null, qty: null, price: null, note: '', updated_at: null },
  // Beyond ±2^53 an integer travels as a string (DESIGN §5); `Item` types ids as numbers.
  {
    id: '9223372036854775807' as unknown as number,
    name: 'max',
    qty: 1,
    price: '1.00',
    note: null,
    updated_at: '2025-01-01T00:00:00Z',
  },
];

describe.each(DIALECTS)('nsync serve /v1 on %s', (dialect) => {
  let s: TestServer;
  const ddl = (name: string) => ITEMS_DDL[dialect].replace('CREATE TABLE items', `CREATE TABLE ${name}`);

  const post = (path: string, body: unknown, options: { gzip?: boolean } = {}) =>
    call(s.url, path, { body, ...options });

  async function pull(
    table: string,
    cursor: string | null,
    requester = 'store2',
    limit?: number,
  ): Promise<PullAnswer> {
    const res = expectStatus(
      await post('/v1/pull', { table, cursor, requester, ...(limit ? { limit } : {}) }),
      200,
    );
    return res.json as PullAnswer;
  }

  /** Every page from `cursor` until `more` is false. */
  async function pullAll(
    table: string,
    cursor: string | null,
    requester = 'store2',
    limit?: number,
  ): Promise<{ pages: PullAnswer[]; cursor: string }> {
    const pages: PullAnswer[] = [];
    for (let i = 0; ; i++) {
      if (i > 1000) throw new Error('pull never ended');
      const page = await pull(table, cursor, requester, limit);
      pages.push(page);
      cursor = page.cursor;
      if (!page.more) return { pages, cursor };
    }
  }

  async function push(
    table: string,
    batchId: string,
    changes: Change[],
    extra: Record<string, unknown> = {},
  ): Promise<PushAnswer> {
    const res = expectStatus(
      await post('/v1/push', { table, origin: 'store1', batchId, changes, ...extra }),
      200,
    );
    return res.json as PushAnswer;
  }

  const counts = (partial: Partial<PushAnswer>): PushAnswer => ({
    applied: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    skippedOlder: 0,
    unchanged: 0,
    conflicts: 0,
    overwritten: 0,
    replayed: false,
    fresh: false,
    ...partial,
  });

  beforeAll(async () => {
    s = await startTestServer(dialect, {
      ddl: [...TABLES, ...CHECKSUM_TABLES, 'ghost', 'timed'].map(ddl),
      tables: [
        ...TABLES.map((name) => ({ name })),
        ...CHECKSUM_TABLES.map((name) => ({ name })),
        { name: 'ghost' },
        { name: 'timed', capture: 'timestamp' },
      ],
    });
    // Configured and installed, then gone from the database: /v1/info must say so.
    await s.db.knex.raw('DROP TABLE ghost');
  });

  afterAll(async () => {
    await s?.close();
  });

  describe('/v1/info', () => {
    it('names the environment, version, protocol, clock and each table with its key, column kinds and capture', async () => {
      const info = expectStatus(await call(s.url, '/v1/info'), 200).json as {
        environment: string;
        version: string;
        protocol: number;
        clock: string;
        tables: {
          name: string;
          primaryKey: string[];
          timestampColumn: string;
          capture: string;
          columns?: { name: string; kind: string; scale?: number }[];
          error?: string;
        }[];
      };
      expect(info.environment).toBe('hq');
      expect(info.version).toBe(PACKAGE_VERSION);
      expect(info.protocol).toBe(1);
      expect(info.clock).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(Math.abs(Date.parse(info.clock) - Date.now())).toBeLessThan(60_000);

      const byName = new Map(info.tables.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual([...TABLES, ...CHECKSUM_TABLES, 'ghost', 'timed'].sort());
      const itemsInfo = byName.get('items');
      expect(itemsInfo).toMatchObject({
        primaryKey: ['id'],
        timestampColumn: 'updated_at',
        capture: 'trigger',
      });
      expect(itemsInfo?.error).toBeUndefined();
      expect(Object.fromEntries((itemsInfo?.columns ?? []).map((c) => [c.name, c.kind]))).toEqual({
        id: 'integer',
        name: 'text',
        qty: 'integer',
        price: 'decimal',
        note: 'text',
        updated_at: 'timestamp',
      });
      expect(itemsInfo?.columns?.find((c) => c.name === 'price')?.scale).toBe(2);
      expect(byName.get('timed')?.capture).toBe('timestamp');
    });

    it('shows an error for a configured table missing from the database, without the database address', async () => {
      const info = expectStatus(await call(s.url, '/v1/info'), 200).json as {
        tables: { name: string; columns?: unknown; error?: string }[];
      };
      const ghost = info.tables.find((t) => t.name === 'ghost');
      expect(ghost?.columns).toBeUndefined();
      expect(ghost?.error).toMatch(/ghost/);
      expect(ghost?.error).toMatch(/not exist|missing|not found/i);
      const dbName = s.db.url.split(/[/\\]/).at(-1) as string;
      for (const secret of [s.db.url, dbName, dbName.replace(/\.db$/, ''), '127.0.0.1', '5432', '3306']) {
        expect(ghost?.error).not.toContain(secret);
      }
      // The other tables are still served.
      expect(info.tables.find((t) => t.name === 'items')?.columns).toBeDefined();
    });

    it('needs an API key', async () => {
      expect((await call(s.url, '/v1/info', { key: null })).status).toBe(401);
      expect((await call(s.url, '/v1/info', { key: 'wrong-key' })).status).toBe(401);
    });
  });

  describe('/v1/pull', () => {
    beforeAll(async () => {
      const gone = [100, 101, 102, 103, 104];
      await s.db
        .knex('pulled')
        .insert([1, 2, 3, 4, 5, 6, 7, ...gone].map((id) => sqlRow(id, `n${id}`, -600)));
      await s.db.knex('pulled').whereIn('id', gone).delete();
    });

    let logCursor: string;

    it('pages the snapshot (every row once, in key order), then tombstones, then the log, ending with more: false', async () => {
      const { pages, cursor } = await pullAll('pulled', null, 'store2', 3);
      logCursor = cursor;
      const snapshot = pages.filter((p) => p.snapshot);
      const rest = pages.slice(snapshot.length);
      // Snapshot pages come first, none after the first non-snapshot page.
      expect(rest.every((p) => !p.snapshot)).toBe(true);
      expect(snapshot.length).toBeGreaterThanOrEqual(3);
      for (const page of snapshot) expect(page.changes.length).toBeLessThanOrEqual(3);
      const rows = snapshot.flatMap((p) => p.changes);
      expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7].map((id) => upsert(row(id, `n${id}`, -600))));
      // Five tombstones over pages of three: each once.
      const after = rest.flatMap((p) => p.changes);
      expect(after.map((c) => [c.op, keyOf(c)]).sort()).toEqual(
        [100, 101, 102, 103, 104].map((id) => ['delete', id]),
      );
      for (const c of after) expect(Date.parse(c.at as string)).toBeGreaterThan(Date.parse(at(-600)));
      expect(pages.slice(0, -1).every((p) => p.more)).toBe(true);
      expect(pages.at(-1)?.more).toBe(false);
      expect(pages.at(-1)?.table).toBe('pulled');

      // Nothing new: the cursor at the end reads nothing more.
      const again = await pull('pulled', logCursor);
      expect(again).toMatchObject({ changes: [], more: false, snapshot: false });
    });

    it('sends a delete made by SQL as a tombstone, and an update as the row', async () => {
      await s.db.knex('pulled').where({ id: 3 }).delete();
      await s.db
        .knex('pulled')
        .where({ id: 4 })
        .update({ name: 'four', updated_at: sqlAt(-300) });
      const { pages, cursor } = await pullAll('pulled', logCursor);
      const changes = pages.flatMap((p) => p.changes);
      expect(changes).toHaveLength(2);
      expect(changes).toContainEqual({ op: 'delete', key: [3], at: expect.any(String) });
      expect(changes).toContainEqual(upsert(row(4, 'four', -300)));
      logCursor = cursor;
    });

    it("skips the requester's own changes but moves its cursor past them", async () => {
      const pushed = await push('pulled', 'pulled-echo-1', [upsert(row(50, 'from store1', -60))]);
      expect(pushed.inserted).toBe(1);

      const asStore1 = await pull('pulled', logCursor, 'store1');
      expect(asStore1.changes).toEqual([]);
      expect(asStore1.read).toBeGreaterThanOrEqual(1);
      expect(asStore1.more).toBe(false);

      const asStore2 = await pull('pulled', logCursor, 'store2');
      expect(asStore2.changes).toEqual([upsert(row(50, 'from store1', -60))]);

      // The cursor store1 got is past the entry: read from it, nothing comes, for anyone.
      const afterSkip = await pull('pulled', asStore1.cursor, 'store2');
      expect(afterSkip.changes).toEqual([]);
      expect(afterSkip.read).toBe(0);
    });

    it("refuses the server's own environment id as requester, a forged cursor, and an unknown table", async () => {
      const self = await post('/v1/pull', { table: 'pulled', cursor: null, requester: 'hq' });
      expect(self.status).toBe(400);
      expect((self.json as { error: string }).error).toMatch(/hq/);

      const forged = `${logCursor.slice(0, 5)}${logCursor[5] === 'A' ? 'B' : 'A'}${logCursor.slice(6)}`;
      const bad = await post('/v1/pull', { table: 'pulled', cursor: forged, requester: 'store2' });
      expect(bad.status).toBe(400);

      const unknown = await post('/v1/pull', { table: 'nope', cursor: null, requester: 'store2' });
      expect(unknown.status).toBe(400);
    });
  });

  describe('/v1/pull while the table changes', () => {
    const ORIGINAL = Array.from({ length: 60 }, (_, i) => (i + 1) * 2); // 2, 4, … 120

    beforeAll(async () => {
      await s.db.knex('paged').insert(ORIGINAL.map((id) => sqlRow(id, `orig${id}`, -900)));
    });

    it('returns every row present at the start exactly once, and the concurrent changes afterwards', async () => {
      const inserted: number[] = [];
      const updated: number[] = [];
      let cursor: string | null = null;
      const snapshotChanges: Change[] = [];
      const laterChanges: Change[] = [];
      for (let step = 0; ; step++) {
        if (step > 200) throw new Error('pull never ended');
        // While a snapshot page is read (after the first, which fixes where the log takes over):
        // a new row (odd key, so some land behind and some ahead of the cursor) and an update
        // of an original row (behind or ahead).
        const newId = 2 * ((step * 19) % 60) + 1;
        const updateId = ORIGINAL[(step * 23) % ORIGINAL.length] as number;
        const writes =
          step >= 1 && step <= 8
            ? (async () => {
                if (!inserted.includes(newId)) {
                  await s.db.knex('paged').insert(sqlRow(newId, `new${newId}`, -100 + step));
                  inserted.push(newId);
                }
                await s.db
                  .knex('paged')
                  .where({ id: updateId })
                  .update({ name: `upd${updateId}-${step}`, updated_at: sqlAt(-100 + step) });
                if (!updated.includes(updateId)) updated.push(updateId);
              })()
            : Promise.resolve();
        const [page]: [PullAnswer, void] = await Promise.all([pull('paged', cursor, 'store2', 7), writes]);
        (page.snapshot ? snapshotChanges : laterChanges).push(...page.changes);
        if (page.snapshot) expect(laterChanges).toEqual([]);
        cursor = page.cursor;
        if (!page.more) break;
      }
      expect(inserted.length).toBeGreaterThan(5);
      expect(updated.length).toBeGreaterThan(5);

      const seen = snapshotChanges.map(keyOf);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of ORIGINAL) expect(seen).toContain(id);
      expect(snapshotChanges.every((c) => c.op === 'upsert')).toBe(true);

      // A last log-phase pull, once the writes have stopped, has anything the loop had not yet read.
      const tail = await pullAll('paged', cursor);
      laterChanges.push(...tail.pages.flatMap((p) => p.changes));
      expect(tail.pages.every((p) => !p.snapshot)).toBe(true);

      // Every concurrent change comes through the log, as the row is now.
      const now = await items(s.db, 'paged');
      const later = new Map(laterChanges.map((c) => [keyOf(c), c]));
      for (const id of [...inserted, ...updated]) {
        const current = now.find((r) => r.id === id);
        expect(later.get(id)).toEqual(upsert(current as Item));
      }

      // A replica applying the pages in order ends with exactly the table's rows.
      const replica = new Map<number, Item>();
      for (const c of [...snapshotChanges, ...laterChanges]) {
        if (c.op === 'upsert') replica.set(keyOf(c), c.row);
        else replica.delete(keyOf(c));
      }
      expect([...replica.values()].sort((a, b) => a.id - b.id)).toEqual(now);
    });
  });

  describe('/v1/push', () => {
    beforeAll(async () => {
      await s.db
        .knex('pushed')
        .insert([sqlRow(1, 'local1', -600), sqlRow(2, 'local2', -600), sqlRow(3, 'local3', -600)]);
    });

    let before: string;
    const batch = [
      upsert(row(1, 'older', -1200)),
      upsert(row(2, 'newer', -60)),
      upsert(row(10, 'new', -60)),
      remove(3, -30),
    ];

    it('applies inserts, updates and deletes by last-write-wins', async () => {
      before = (await pullAll('pushed', null)).cursor;
      const result = await push('pushed', 'push-b1', batch);
      expect(result).toEqual(counts({ applied: 3, inserted: 1, updated: 1, deleted: 1, skippedOlder: 1 }));
      expect(await items(s.db, 'pushed')).toEqual([
        row(1, 'local1', -600),
        row(2, 'newer', -60),
        row(10, 'new', -60),
      ]);
    });

    it('does not echo the pushed changes to their origin, but passes them on to others', async () => {
      // Row 1 is not store1's change: the local version that beat store1's older one is logged
      // again so that it flows back (localApply requeueWinners). Rows 2, 10 and 3 are store1's.
      const toStore1 = await pullAll('pushed', before, 'store1');
      expect(toStore1.pages.flatMap((p) => p.changes)).toEqual([upsert(row(1, 'local1', -600))]);
      expect(toStore1.pages.reduce((n, p) => n + p.read, 0)).toBe(4);

      const toStore2 = (await pullAll('pushed', before, 'store2')).pages.flatMap((p) => p.changes);
      expect(toStore2).toHaveLength(4);
      expect(toStore2).toContainEqual(upsert(row(1, 'local1', -600)));
      expect(toStore2).toContainEqual(upsert(row(2, 'newer', -60)));
      expect(toStore2).toContainEqual(upsert(row(10, 'new', -60)));
      expect(toStore2).toContainEqual({ op: 'delete', key: [3], at: expect.any(String) });
    });

    it('applies the same batch id once: a replay answers replayed and writes nothing', async () => {
      // Changed here after the batch: a replay that wrote again would put "new" back.
      await s.db
        .knex('pushed')
        .where({ id: 10 })
        .update({ name: 'changed here', updated_at: sqlAt(-90) });
      await s.db.knex('pushed').insert(sqlRow(3, 'back', -90));
      const rowsBefore = await items(s.db, 'pushed');

      const again = await push('pushed', 'push-b1', batch);
      expect(again).toEqual(
        counts({ applied: 3, inserted: 1, updated: 1, deleted: 1, skippedOlder: 1, replayed: true }),
      );
      expect(await items(s.db, 'pushed')).toEqual(rowsBefore);

      // The same content under a new id is applied anew, through LWW.
      const fresh = await push('pushed', 'push-b2', batch);
      expect(fresh).toMatchObject({ replayed: false, deleted: 1, updated: 1, skippedOlder: 1 });
      expect((await items(s.db, 'pushed')).map((r) => [r.id, r.name])).toEqual([
        [1, 'local1'],
        [2, 'newer'],
        [10, 'new'],
      ]);
    });

    it('refuses the same batch id with different content (409), writing nothing', async () => {
      const rowsBefore = await items(s.db, 'pushed');
      const res = await post('/v1/push', {
        table: 'pushed',
        origin: 'store1',
        batchId: 'push-b1',
        changes: [upsert(row(11, 'other', -10))],
      });
      expect(res.status).toBe(409);
      expect((res.json as { error: string }).error).toMatch(/push-b1/);
      expect(await items(s.db, 'pushed')).toEqual(rowsBefore);

      // The same batch id from another origin is another batch.
      const other = await post('/v1/push', {
        table: 'pushed',
        origin: 'store3',
        batchId: 'push-b1',
        changes: [upsert(row(11, 'other', -10))],
      });
      expect(expectStatus(other, 200).json).toMatchObject({ inserted: 1, replayed: false });
    });

    it("refuses the server's own id as origin, and a bad row, applying nothing of the batch", async () => {
      const rowsBefore = await items(s.db, 'pushed');
      const self = await post('/v1/push', {
        table: 'pushed',
        origin: 'hq',
        batchId: 'self-1',
        changes: [upsert(row(20, 'x', -10))],
      });
      expect(self.status).toBe(400);
      const bad = await post('/v1/push', {
        table: 'pushed',
        origin: 'store1',
        batchId: 'bad-1',
        changes: [upsert(row(21, 'fine', -10)), { op: 'upsert', row: { ...row(22, 'x', -10), secret: 1 } }],
      });
      expect(bad.status).toBe(400);
      expect((bad.json as { error: string }).error).toMatch(/changes\[1\]/);
      expect(await items(s.db, 'pushed')).toEqual(rowsBefore);
    });

    it('keeps a pushed delete of an absent row as a tombstone that an older upsert cannot undo', async () => {
      const del = await push('pushed', 'absent-1', [remove(30, -10)]);
      expect(del).toEqual(counts({}));
      const late = await push('pushed', 'absent-2', [upsert(row(30, 'resurrected', -20))]);
      expect(late).toEqual(counts({ skippedOlder: 1 }));
      expect((await items(s.db, 'pushed')).map((r) => r.id)).not.toContain(30);
      const newer = await push('pushed', 'absent-3', [upsert(row(30, 'recreated', -5))]);
      expect(newer).toEqual(counts({ applied: 1, inserted: 1 }));
      expect((await items(s.db, 'pushed')).find((r) => r.id === 30)?.name).toBe('recreated');
    });

    it('settles an equal-time conflict by the larger canonical hash, and skips an identical row', async () => {
      await s.db.knex('pushed').insert([sqlRow(70, 'tie here', -50), sqlRow(71, 'same', -50)]);
      const local = row(70, 'tie here', -50);
      const incoming = row(70, 'tie there', -50);
      const incomingWins = expectedRowHash(incoming) > expectedRowHash(local);
      const result = await push('pushed', 'tie-1', [upsert(incoming), upsert(row(71, 'same', -50))]);
      expect(result).toEqual(
        counts(
          incomingWins
            ? { applied: 1, updated: 1, unchanged: 1, overwritten: 1 }
            : { skippedOlder: 1, unchanged: 1 },
        ),
      );
      const held = (await items(s.db, 'pushed')).filter((r) => r.id === 70 || r.id === 71);
      expect(held).toEqual([incomingWins ? incoming : local, row(71, 'same', -50)]);
    });

    it('applies one of two copies of a batch sent at once', async () => {
      const changes = [upsert(row(40, 'twice', -10)), upsert(row(41, 'twice', -10))];
      const answers = await Promise.all([
        push('pushed', 'race-1', changes),
        push('pushed', 'race-1', changes),
      ]);
      expect(answers.map((a) => a.replayed).sort()).toEqual([false, true]);
      for (const a of answers) expect(a).toMatchObject({ inserted: 2, applied: 2 });
      expect((await items(s.db, 'pushed')).filter((r) => r.id >= 40 && r.id <= 41)).toEqual([
        row(40, 'twice', -10),
        row(41, 'twice', -10),
      ]);
    });

    it('answers a dry run with the counts of a real run, writes nothing and keeps the batch id free', async () => {
      const rowsBefore = await items(s.db, 'pushed');
      const changes = [upsert(row(2, 'dry', -1)), upsert(row(50, 'dry', -1)), remove(1, -1)];
      const dry = await push('pushed', 'dry-1', changes, { dryRun: true });
      expect(await items(s.db, 'pushed')).toEqual(rowsBefore);
      const real = await push('pushed', 'dry-1', changes);
      expect(real).toEqual(counts({ applied: 3, inserted: 1, updated: 1, deleted: 1 }));
      expect(dry).toEqual(real);
    });

    it('rolls back a whole batch that the database refuses part way, and records no batch', async () => {
      const rowsBefore = await items(s.db, 'pushed');
      // numeric(12,2) holds ten integer digits; SQLite stores any number, so it has nothing to refuse.
      const tooBig = { ...row(61, 'too big', -1), price: '123456789012.00' };
      const changes = [upsert(row(60, 'fine', -1)), upsert(tooBig)];
      const res = await post('/v1/push', { table: 'pushed', origin: 'store1', batchId: 'big-1', changes });
      if (dialect === 'sqlite') {
        expectStatus(res, 200);
        return;
      }
      expect(res.status).toBe(400);
      expect((res.json as { error: string }).error).toMatch(/out of range/);
      expect(await items(s.db, 'pushed')).toEqual(rowsBefore);
      // The id was not taken: the corrected batch goes through under it.
      const fixed = await push('pushed', 'big-1', [upsert(row(60, 'fine', -1))]);
      expect(fixed).toMatchObject({ inserted: 1, replayed: false });
    });

    it('takes a gzip request body', async () => {
      const rows = Array.from({ length: 40 }, (_, i) => row(1000 + i, `gz ${'x'.repeat(50)} ${i}`, -30));
      const res = await post(
        '/v1/push',
        { table: 'gz', origin: 'store1', batchId: 'gz-1', changes: rows.map(upsert) },
        { gzip: true },
      );
      expect(expectStatus(res, 200).json).toMatchObject({ inserted: 40, applied: 40 });
      expect(await items(s.db, 'gz')).toEqual(rows);

      const corrupt = await call(s.url, '/v1/push', {
        body: Buffer.from('not gzip at all'),
        headers: { 'content-encoding': 'gzip' },
      });
      expect(corrupt.status).toBe(400);
    });

    it('gzips the response when the client accepts it', async () => {
      const response = await httpRequest(`${s.url}/v1/pull`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'accept-encoding': 'gzip',
          'x-api-key': TEST_KEY,
        },
        body: JSON.stringify({ table: 'gz', cursor: null, requester: 'store2', limit: 100 }),
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
      const page = JSON.parse(gunzipSync(body).toString('utf8')) as PullAnswer;
      expect(page.changes).toHaveLength(40);
      expect(page.snapshot).toBe(true);
    });
  });

  describe('/v1/snapshot and fresh pushes', () => {
    it('writes a fresh push into a table that was empty', async () => {
      const begin = expectStatus(await post('/v1/snapshot', { table: 'fresh_empty', origin: 'store1' }), 200);
      expect(begin.json).toEqual({ empty: true });
      const rows = [row(1, 'a', -60), row(2, 'b', -60), row(3, 'c', -60)];
      const result = await push('fresh_empty', 'fresh-1', rows.map(upsert), { fresh: true });
      expect(result).toMatchObject({ fresh: true, inserted: 3, applied: 3, replayed: false });
      expect(await items(s.db, 'fresh_empty')).toEqual(rows);

      // The copy's later pages are still fresh; a non-fresh push ends the copy.
      const second = await push('fresh_empty', 'fresh-2', [upsert(row(4, 'd', -60))], { fresh: true });
      expect(second).toMatchObject({ fresh: true, inserted: 1 });
      await push('fresh_empty', 'fresh-3', [upsert(row(5, 'e', -60))]);
      const after = await push('fresh_empty', 'fresh-4', [upsert(row(1, 'older', -600))], { fresh: true });
      expect(after).toMatchObject({ fresh: false, skippedOlder: 1, inserted: 0, updated: 0 });
      expect((await items(s.db, 'fresh_empty')).find((r) => r.id === 1)?.name).toBe('a');
    });

    it('keeps an application write made during a fresh copy, and counts only the rows written', async () => {
      const begin = expectStatus(await post('/v1/snapshot', { table: 'fresh_app', origin: 'store1' }), 200);
      expect(begin.json).toEqual({ empty: true });
      // Written here after the snapshot began, before the copy's page arrives.
      await s.db.knex('fresh_app').insert(sqlRow(2, 'app', -10));
      const page = [row(1, 'copy', -600), row(2, 'copy', -600), row(3, 'copy', -600)];
      const result = await push('fresh_app', 'app-1', page.map(upsert), { fresh: true });
      expect(await items(s.db, 'fresh_app')).toEqual([
        row(1, 'copy', -600),
        row(2, 'app', -10),
        row(3, 'copy', -600),
      ]);
      expect(result).toMatchObject({ fresh: true, replayed: false });
      // PushResult.applied is "rows and tombstones written": two of the three were.
      expect(result.applied).toBe(2);
      expect(result.inserted).toBe(2);
    });

    it('answers empty: false for a table with rows, and a fresh push then goes through LWW', async () => {
      await s.db.knex('fresh_full').insert(sqlRow(1, 'local', -60));
      const begin = expectStatus(await post('/v1/snapshot', { table: 'fresh_full', origin: 'store1' }), 200);
      expect(begin.json).toEqual({ empty: false });
      const result = await push(
        'fresh_full',
        'full-1',
        [upsert(row(1, 'older', -600)), upsert(row(2, 'new', -600))],
        { fresh: true },
      );
      expect(result).toEqual(counts({ fresh: false, skippedOlder: 1, inserted: 1, applied: 1 }));
      expect(await items(s.db, 'fresh_full')).toEqual([row(1, 'local', -60), row(2, 'new', -600)]);
    });

    it('counts a table holding only tombstones as not empty', async () => {
      await s.db.knex('fresh_tomb').insert(sqlRow(1, 'gone', -60));
      await s.db.knex('fresh_tomb').where({ id: 1 }).delete();
      const begin = expectStatus(await post('/v1/snapshot', { table: 'fresh_tomb', origin: 'store1' }), 200);
      expect(begin.json).toEqual({ empty: false });
      // The deleted row, older than its tombstone, does not come back.
      const result = await push('fresh_tomb', 'tomb-1', [upsert(row(1, 'gone', -60))], { fresh: true });
      expect(result).toMatchObject({ fresh: false, inserted: 0, skippedOlder: 1 });
      expect(await items(s.db, 'fresh_tomb')).toEqual([]);
    });

    it("refuses the server's own id as origin", async () => {
      expect((await post('/v1/snapshot', { table: 'fresh_empty', origin: 'hq' })).status).toBe(400);
    });
  });

  describe('/v1/checksum', () => {
    const ROWS = Array.from({ length: 10 }, (_, i) => row(i + 1, `row ${i + 1}`, -600 + i, `${i}.25`));
    const RANGES = [
      { after: null, upTo: [5] },
      { after: [5], upTo: null },
      { after: null, upTo: null },
      { after: [2], upTo: [4] },
    ];

    async function checksum(table: string, ranges: unknown[] = RANGES): Promise<RangeAnswer[]> {
      const res = expectStatus(await post('/v1/checksum', { table, ranges }), 200);
      return (res.json as { ranges: RangeAnswer[] }).ranges;
    }

    beforeAll(async () => {
      // The same rows, one table written by SQL and the other through /v1/push.
      await s.db
        .knex('sum_a')
        .insert(ROWS.map((r) => ({ ...r, updated_at: r.updated_at?.replace('T', ' ').replace('Z', '') })));
      await push('sum_b', 'sum-1', ROWS.map(upsert));
    });

    it('gives the same count and hash for the same rows, within each range bound', async () => {
      const a = await checksum('sum_a');
      const b = await checksum('sum_b');
      expect(b).toEqual(a);
      expect(a.map((r) => r.count)).toEqual([5, 5, 10, 2]);
      expect(a.map((r) => r.hash)).toEqual([
        expectedRangeHash(ROWS.slice(0, 5)),
        expectedRangeHash(ROWS.slice(5)),
        expectedRangeHash(ROWS),
        expectedRangeHash(ROWS.slice(2, 4)),
      ]);
      expect(a[0]).toMatchObject({ after: null, upTo: [5] });
      expect(a[3]).toMatchObject({ after: [2], upTo: [4] });
    });

    it("changes only the changed row's range hash", async () => {
      const before = await checksum('sum_b');
      await s.db.knex('sum_b').where({ id: 8 }).update({ name: 'changed' });
      const after = await checksum('sum_b');
      expect(after[0]).toEqual(before[0]);
      expect(after[3]).toEqual(before[3]);
      expect(after[1]?.count).toBe(5);
      expect(after[1]?.hash).not.toBe(before[1]?.hash);
      expect(after[2]?.hash).not.toBe(before[2]?.hash);
      expect(after[1]?.hash).not.toBe((await checksum('sum_a'))[1]?.hash);
    });

    it('hashes an empty range as empty, and refuses a key of the wrong kind', async () => {
      const [empty] = await checksum('sum_a', [{ after: [10], upTo: null }]);
      expect(empty).toMatchObject({ count: 0, hash: expectedRangeHash([]) });
      const bad = await post('/v1/checksum', { table: 'sum_a', ranges: [{ after: ['x'], upTo: null }] });
      expect(bad.status).toBe(400);
    });

    it('hashes the same logical rows pushed here as the canonical encoding says', async () => {
      await push('same_rows', 'same-1', SAME_ROWS.map(upsert));
      const [whole] = await checksum('same_rows', [{ after: null, upTo: null }]);
      expect(whole).toMatchObject({ count: SAME_ROWS.length, hash: expectedRangeHash(SAME_ROWS) });
      crossDialect.set(dialect, { count: whole?.count ?? -1, hash: whole?.hash ?? '' });
      // And pulled back, the rows are those same canonical rows.
      const pulled = (await pullAll('same_rows', null)).pages.flatMap((p) => p.changes);
      expect(pulled).toEqual(SAME_ROWS.map(upsert));
    });
  });
});

describe('/v1/checksum across dialects', () => {
  // With one dialect (NSYNC_TEST_DIALECTS) there is only one hash to agree; CI runs all three.
  it('gives the same hash for the same logical rows on every dialect tested', () => {
    expect([...crossDialect.keys()].sort()).toEqual([...DIALECTS].sort());
    const hashes = new Set([...crossDialect.values()].map((v) => `${v.count}:${v.hash}`));
    expect(hashes.size).toBe(1);
  });
});
