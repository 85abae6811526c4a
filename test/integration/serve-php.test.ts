import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { buildConfig } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';
import { DIALECTS, ITEMS_DDL } from '../helpers/databases.js';
import { items, raw, type Item } from '../helpers/rows.js';
import { phpCurlRequest, rawHttp } from '../helpers/rawHttp.js';
import { call, OTHER_KEY, startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

/**
 * NunezReplication's routes on a real `nsync serve` over each database: what its PHP client
 * sends (replayed byte for byte) gets the answers that client reads (PREDECESSOR §3), pushes
 * go through last-write-wins, and no error tells the client about SQL or the server's files.
 */

/** PHP's json_encode with default flags: `/` as `\/`, every non-ASCII UTF-16 unit as `\uxxxx`. */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const PHP_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** `YYYY-MM-DD HH:MM:SS` (UTC) `seconds` after `base`. */
function phpTime(base: string, seconds = 0): string {
  return new Date(Date.parse(`${base.replace(' ', 'T')}Z`) + seconds * 1000)
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ');
}

/** A PHP-format time is "now" (the server's clock, UTC) give or take a little. */
function expectNow(value: unknown): void {
  expect(value).toMatch(PHP_TIME);
  expect(Math.abs(Date.parse(`${(value as string).replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(15_000);
}

/** A row as the PHP client sends it and expects it back (what PDO returns from MySQL). */
interface PhpRow {
  id: number;
  name: string | null;
  qty: number | null;
  price: string | null;
  note: string | null;
  updated_at: string | null;
}

const row = (id: number, name: string | null, updatedAt: string, more: Partial<PhpRow> = {}): PhpRow => ({
  id,
  name,
  qty: id,
  price: `${id}.50`,
  note: null,
  updated_at: updatedAt,
  ...more,
});

/** What the database should hold for a pushed row (rows.ts's normalised form). */
const stored = (r: PhpRow): Item => ({
  ...r,
  updated_at: r.updated_at && `${r.updated_at.replace(' ', 'T')}Z`,
});

const SQL_WORDS = /\b(INSERT|SELECT|UPDATE|DELETE|VALUES|WHERE|SQLSTATE|ER_[A-Z_]+)\b/;

const BULK_ROWS = 500;
const BULK_BASE = '2025-06-01 00:00:00';

describe.each(DIALECTS)('nsync serve: NunezReplication routes on %s', (dialect) => {
  let server: TestServer;
  let url: string;
  /** The database's own name, part of its URL and (SQLite) of its file path. */
  let dbName: string;
  /** When the server started, as a PHP time, a second early. */
  let startedAt: string;

  const ddlFor = (table: string) => ITEMS_DDL[dialect].replace('CREATE TABLE items', `CREATE TABLE ${table}`);

  /** An error answer carries neither SQL text nor anything of where the server's database lives. */
  function expectClean(text: string): void {
    expect(text).not.toMatch(SQL_WORDS);
    expect(text).not.toContain(dbName);
    expect(text).not.toContain(tmpdir());
    expect(text).not.toMatch(/\.db\b|node_modules|\/src\/|\.ts:\d/);
  }

  async function expectError(
    path: string,
    options: Parameters<typeof call>[2],
    status: number,
    body: Record<string, unknown>,
  ): Promise<void> {
    const res = await call(url, path, options);
    expect({ path, status: res.status, body: res.json }).toEqual({ path, status, body });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectClean(res.text);
  }

  async function pull(query: string) {
    const res = await call(url, `/api/pull?${query}`);
    expect(res.status).toBe(200);
    return res.json as { success: boolean; table: string; data: PhpRow[]; timestamp: string };
  }

  beforeAll(async () => {
    startedAt = phpTime(new Date().toISOString().slice(0, 19), -1);
    server = await startTestServer(dialect, {
      ddl: [ddlFor('items'), ddlFor('bulk'), ddlFor('gone')],
      tables: [{ name: 'items' }, { name: 'bulk' }, { name: 'gone' }],
      batchSize: 50,
    });
    url = server.url;
    dbName = /(nsync_t_serve_[0-9a-f]+)/.exec(server.db.url)?.[1] as string;
    expect(dbName).toBeTruthy();
    // `gone` is configured and installed, then dropped behind the server's back.
    await server.db.knex.raw('DROP TABLE gone');
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('POST /api/push', () => {
    it("answers the PHP client's exact request, byte for byte, and stores its values exactly", async () => {
      const rows: PhpRow[] = [
        row(1, 'caf\u00e9 /slash', '2025-01-01 10:00:00', { price: '9.90' }),
        row(2, 'quote " and \\ backslash', '2025-01-01 10:00:01', { qty: 0, price: '0.00', note: 'x' }),
        row(3, '日本語 😀 ünïcödé', '2025-01-01 10:00:02', {
          qty: null,
          price: null,
          note: 'line\nbreak\ttab',
        }),
      ];
      const body = phpJson({ table: 'items', data: rows });
      // As PHP writes it: escaped slash and \u escapes, nothing but ASCII on the wire.
      expect(body).toContain('"caf\\u00e9 \\/slash"');
      expect(body).toContain('\\ud83d\\ude00');
      expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);

      const res = await rawHttp(url, phpCurlRequest(url, 'POST', '/api/push', TEST_KEY, body));

      expect(res.statusLine).toBe('HTTP/1.1 200 OK');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const text = res.body.toString('utf8');
      expect(text.startsWith('{"success":true,"result":{"inserted":3,"updated":0,"total":3')).toBe(true);
      const answer = JSON.parse(text) as { success: boolean; result: Record<string, unknown> };
      expect(Object.keys(answer)).toEqual(['success', 'result']);
      const { skipped, ...counts } = answer.result;
      expect(counts).toEqual({ inserted: 3, updated: 0, total: 3 });
      if (skipped !== undefined) expect(skipped).toBe(0);

      expect(await items(server.db, 'items')).toEqual(rows.map(stored));
    });

    it("answers the PHP client's pull request (Content-Type on a GET, no body) with every row", async () => {
      const res = await rawHttp(url, phpCurlRequest(url, 'GET', '/api/pull?table=items', TEST_KEY));
      expect(res.statusLine).toBe('HTTP/1.1 200 OK');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const answer = JSON.parse(res.body.toString('utf8')) as { data: PhpRow[] };
      expect(answer.data.find((r) => r.id === 1)).toEqual(
        row(1, 'caf\u00e9 /slash', '2025-01-01 10:00:00', { price: '9.90' }),
      );
    });

    it('applies only rows newer than what the server holds (last-write-wins)', async () => {
      const seeded = [
        row(10, 'ten', '2025-03-01 12:00:00'),
        row(11, 'eleven', '2025-03-01 12:00:00'),
        row(13, 'thirteen', '2025-03-01 12:00:00'),
      ];
      const first = await call(url, '/api/push', { body: { table: 'items', data: seeded } });
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ success: true, result: { inserted: 3, updated: 0, total: 3 } });

      // Changed on the server after the client last read it: the client's copy is older.
      await server.db
        .knex('items')
        .where({ id: 13 })
        .update({ name: 'edited on server', updated_at: '2025-03-02 08:00:00' });

      const pushed = [
        row(10, 'stale', '2025-02-01 00:00:00'),
        row(11, 'fresh', '2025-04-01 00:00:00', { price: '-12345.67', qty: -5 }),
        row(12, 'brand new', '2025-03-05 00:00:00', { price: '9999999999.99' }),
        row(13, 'client copy', '2025-03-01 12:00:00'),
      ];
      const res = await call(url, '/api/push', { body: { table: 'items', data: pushed } });
      expect(res.status).toBe(200);
      const answer = res.json as { success: boolean; result: Record<string, unknown> };
      expect(answer.success).toBe(true);
      expect(answer.result).toMatchObject({ inserted: 1, updated: 1, total: 4 });
      if (answer.result.skipped !== undefined) expect(answer.result.skipped).toBe(2);

      const now = (await items(server.db, 'items')).filter((r) => r.id >= 10 && r.id <= 13);
      expect(now).toEqual([
        stored(seeded[0] as PhpRow),
        stored(pushed[1] as PhpRow),
        stored(pushed[2] as PhpRow),
        stored(row(13, 'edited on server', '2025-03-02 08:00:00')),
      ]);
    });

    it('replaying the same push changes nothing', async () => {
      const data = [row(20, 'again', '2025-03-10 00:00:00')];
      const once = await call(url, '/api/push', { body: { table: 'items', data } });
      expect(once.json).toMatchObject({ result: { inserted: 1, updated: 0, total: 1 } });
      const twice = await call(url, '/api/push', { body: { table: 'items', data } });
      expect(twice.status).toBe(200);
      expect(twice.json).toMatchObject({ success: true, result: { inserted: 0, updated: 0, total: 1 } });
    });

    it('applies a whole table larger than the batch size in one body', async () => {
      const data = Array.from({ length: BULK_ROWS }, (_, i) =>
        row(i + 1, `bulk ${i + 1}`, phpTime(BULK_BASE, i + 1)),
      );
      const res = await call(url, '/api/push', { body: { table: 'bulk', data } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        success: true,
        result: { inserted: BULK_ROWS, updated: 0, total: BULK_ROWS },
      });
      const [count] = await raw(server.db, 'SELECT count(*) AS n FROM bulk');
      expect(Number(count?.n)).toBe(BULK_ROWS);
    });
  });

  describe('GET /api/pull', () => {
    it('returns every row with values as PDO gave them to the PHP client', async () => {
      const res = await call(url, '/api/pull?table=items');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.text).toMatch(/^\{"success":true,"table":"items","data":\[.*\],"timestamp":"[^"]+"\}$/s);
      const answer = res.json as { data: PhpRow[]; timestamp: string };
      expectNow(answer.timestamp);

      const held = await items(server.db, 'items');
      const byId = [...answer.data].sort((a, b) => a.id - b.id);
      expect(byId.map((r) => r.id)).toEqual(held.map((r) => r.id));
      for (const r of byId) {
        expect(Object.keys(r).sort()).toEqual(['id', 'name', 'note', 'price', 'qty', 'updated_at']);
        expect(typeof r.id).toBe('number');
        if (r.qty !== null) expect(typeof r.qty).toBe('number');
        if (r.price !== null) expect(r.price).toMatch(/^-?\d+\.\d{2}$/);
        if (r.updated_at !== null) expect(r.updated_at).toMatch(PHP_TIME);
      }
      expect(byId.filter((r) => r.id <= 3 || r.id === 11 || r.id === 12)).toEqual([
        row(1, 'caf\u00e9 /slash', '2025-01-01 10:00:00', { price: '9.90' }),
        row(2, 'quote " and \\ backslash', '2025-01-01 10:00:01', { qty: 0, price: '0.00', note: 'x' }),
        row(3, '日本語 😀 ünïcödé', '2025-01-01 10:00:02', {
          qty: null,
          price: null,
          note: 'line\nbreak\ttab',
        }),
        row(11, 'fresh', '2025-04-01 00:00:00', { price: '-12345.67', qty: -5 }),
        row(12, 'brand new', '2025-03-05 00:00:00', { price: '9999999999.99' }),
      ]);
    });

    it('returns a row written by SQL (NULL time included) as the PHP client expects it', async () => {
      await server.db.knex('items').insert([
        { id: 40, name: 'by sql', qty: 7, price: '1.05', note: null, updated_at: '2025-05-05 05:05:05' },
        { id: 41, name: null, qty: null, price: null, note: null, updated_at: null },
      ]);
      const answer = await pull('table=items');
      expect(answer.data.filter((r) => r.id === 40 || r.id === 41)).toEqual([
        { id: 40, name: 'by sql', qty: 7, price: '1.05', note: null, updated_at: '2025-05-05 05:05:05' },
        { id: 41, name: null, qty: null, price: null, note: null, updated_at: null },
      ]);
    });

    it('with since (a + is a space) returns only rows changed strictly after it', async () => {
      const data = [
        row(30, 'future a', '2030-01-01 00:00:00'),
        row(31, 'future b', '2030-01-01 00:00:01'),
        row(32, 'future c', '2030-01-01 00:00:02'),
      ];
      expect((await call(url, '/api/push', { body: { table: 'items', data } })).status).toBe(200);

      const plus = await pull('table=items&since=2030-01-01+00:00:01');
      expect(plus).toMatchObject({ success: true, table: 'items' });
      expect(plus.data).toEqual([data[2]]);
      const encoded = await pull('table=items&since=2030-01-01%2000:00:00');
      expect(encoded.data.map((r) => r.id)).toEqual([31, 32]);
      expect((await pull('table=items&since=2030-01-01+00:00:02')).data).toEqual([]);
    });

    it('returns every row of a table larger than the batch size exactly once', async () => {
      const all = await pull('table=bulk');
      const ids = all.data.map((r) => r.id);
      expect(ids).toHaveLength(BULK_ROWS);
      expect(new Set(ids).size).toBe(BULK_ROWS);
      expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: BULK_ROWS }, (_, i) => i + 1));
      expect(all.data.find((r) => r.id === 321)).toEqual(row(321, 'bulk 321', phpTime(BULK_BASE, 321)));

      // since in the middle: the pages before it hold nothing wanted, the ones after everything.
      const since = phpTime(BULK_BASE, 250).replace(' ', '+');
      const later = await pull(`table=bulk&since=${since}`);
      expect(later.data.map((r) => r.id).sort((a, b) => a - b)).toEqual(
        Array.from({ length: BULK_ROWS - 250 }, (_, i) => i + 251),
      );
    });

    it('refuses a since that is not YYYY-MM-DD HH:MM:SS with a 400 JSON error', async () => {
      for (const since of [
        'yesterday',
        '2025-01-01',
        '1735725600',
        '2025-01-01T10:00:00Z',
        "2025-01-01+00:00:00'+OR+1=1--",
        '2025-01-01+10:00:00&since=2025-01-02+10:00:00',
      ]) {
        const res = await call(url, `/api/pull?table=items&since=${since}`);
        expect({ since, status: res.status }).toEqual({ since, status: 400 });
        expect(res.json).toEqual({ error: expect.any(String) });
        expectClean(res.text);
      }
    });
  });

  describe('GET /api/metadata', () => {
    async function metadata(): Promise<Record<string, unknown>> {
      const res = await call(url, '/api/metadata?table=items');
      expect(res.status).toBe(200);
      const answer = res.json as { success: boolean; table: string; metadata: Record<string, unknown> };
      expect(Object.keys(answer)).toEqual(['success', 'table', 'metadata']);
      expect(answer).toMatchObject({ success: true, table: 'items' });
      expect(Object.keys(answer.metadata).sort()).toEqual([
        'deleted_records',
        'first_sync',
        'last_sync',
        'total_records',
      ]);
      for (const name of ['first_sync', 'last_sync']) {
        if (answer.metadata[name] !== null) expect(answer.metadata[name]).toMatch(PHP_TIME);
      }
      return answer.metadata;
    }

    it('counts rows and deletes, including a row deleted by SQL', async () => {
      const before = await metadata();
      const [count] = await raw(server.db, 'SELECT count(*) AS n FROM items');
      expect(before.total_records).toBe(Number(count?.n));
      expect(typeof before.deleted_records).toBe('number');

      await server.db.knex('items').where({ id: 20 }).del();
      const after = await metadata();
      expect(after.total_records).toBe((before.total_records as number) - 1);
      expect(after.deleted_records).toBe((before.deleted_records as number) + 1);
    });

    it('last_sync and first_sync tell that PHP clients have pushed to the table', async () => {
      // The PHP server stamps _replication_metadata on every push (recordSync, PREDECESSOR §4.6);
      // by now this table has had several pushes.
      const seen = await metadata();
      expect(seen.last_sync).toMatch(PHP_TIME);
      expect(seen.first_sync).toMatch(PHP_TIME);
      expect((seen.first_sync as string) <= (seen.last_sync as string)).toBe(true);
      // Stamped by this run's pushes, not left over from anything else.
      expect((seen.first_sync as string) >= startedAt).toBe(true);
    });
  });

  describe('GET /api/status', () => {
    it('answers without a key', async () => {
      const res = await call(url, '/api/status', { key: null });
      expect(res.status).toBe(200);
      const answer = res.json as Record<string, unknown>;
      expect(Object.keys(answer)).toEqual(['mode', 'status', 'stats', 'timestamp']);
      expect(answer).toMatchObject({ mode: 'master-slave', status: 'running', stats: expect.any(Object) });
      expectNow(answer.timestamp);
    });
  });

  describe('GET /api/config', () => {
    it('shows the config without passwords, remote keys or api.keys', async () => {
      const secrets = {
        envKey: 'env-api-key-3b8d1f',
        literalKey: 'literal-api-key-91ce0a',
        slavePassword: 'slave-password-5e7f2c',
        urlPassword: 'url-password-0d4a6b',
        remoteKey: 'remote-api-key-77aa19',
      };
      // PostgreSQL trusts local connections, so a password in its URL is accepted and ignored.
      const masterUrl =
        dialect === 'postgres'
          ? server.db.url.replace('postgres@', `postgres:${secrets.urlPassword}@`)
          : server.db.url;
      const config = buildConfig(
        {
          environment: 'hq',
          mode: 'master-slave',
          databases: {
            master: { url: masterUrl },
            slave: {
              client: 'postgres',
              host: '127.0.0.1',
              user: 'replica',
              password: secrets.slavePassword,
              database: 'unused',
            },
          },
          replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
          api: { keys: ['${NSYNC_TEST_SERVE_KEY}', secrets.literalKey] },
          remoteEnvironments: {
            branch: { url: 'https://branch.example:8443', apiKey: secrets.remoteKey },
          },
          server: { listen: '127.0.0.1:0' },
        },
        join(tmpdir(), `nsync-serve-config-${process.pid}.json`),
        { NSYNC_TEST_SERVE_KEY: secrets.envKey },
      );
      const other = await startServer(config, { logLevel: 'silent' });
      try {
        expect((await call(other.url, '/api/config', { key: null })).status).toBe(401);
        const res = await call(other.url, '/api/config', { key: secrets.envKey });
        expect(res.status).toBe(200);
        const shown = res.json as Record<string, unknown>;
        expect(shown).toMatchObject({
          environment: 'hq',
          mode: 'master-slave',
          replication: { tables: [{ name: 'items' }] },
          remoteEnvironments: { branch: { url: 'https://branch.example:8443' } },
        });
        for (const secret of Object.values(secrets)) expect(res.text).not.toContain(secret);
        expect(res.text).not.toContain('NSYNC_TEST_SERVE_KEY');
        expect(res.text).not.toMatch(/"(password|apiKey|keys)"/);
        if (dialect === 'postgres') expect(res.text).toContain(dbName);
      } finally {
        await other.close();
      }
    });

    it("never shows the running server's own keys", async () => {
      const res = await call(url, '/api/config');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ environment: 'hq', replication: { tables: expect.any(Array) } });
      expect(res.text).not.toContain(TEST_KEY);
      expect(res.text).not.toContain(OTHER_KEY);
    });
  });

  describe('errors, as the PHP server gives them', () => {
    const missing = { error: 'Missing required parameters: table and data' };

    it('400 when table or data is missing', async () => {
      for (const body of [
        { data: [row(1, 'x', '2025-01-01 10:00:00')] },
        { table: 'items' },
        { table: '', data: [] },
        { table: 'items', data: 'not rows' },
        { table: 'items', data: { 0: row(1, 'x', '2025-01-01 10:00:00') } },
        {},
        [],
      ]) {
        await expectError('/api/push', { body }, 400, missing);
      }
      await expectError('/api/pull', {}, 400, { error: 'Missing required parameter: table' });
      await expectError('/api/metadata', {}, 400, { error: 'Missing required parameter: table' });
    });

    it('400 with a JSON error for a body that is not JSON', async () => {
      const res = await call(url, '/api/push', { body: '{"table":"items","data":[', method: 'POST' });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: expect.any(String) });
      expectClean(res.text);
    });

    it('401 without a key or with a wrong one, on every route but /api/status', async () => {
      const unauthorized = { error: 'Unauthorized' };
      // (Spaces around a header value are not part of it in HTTP, so `key ` is the key itself.)
      for (const key of [
        null,
        '',
        'wrong-key',
        `${TEST_KEY}x`,
        TEST_KEY.slice(0, -1),
        TEST_KEY.toUpperCase(),
      ]) {
        await expectError('/api/push', { key, body: { table: 'items', data: [] } }, 401, unauthorized);
        await expectError('/api/pull?table=items', { key }, 401, unauthorized);
        await expectError('/api/metadata?table=items', { key }, 401, unauthorized);
        await expectError('/api/config', { key }, 401, unauthorized);
      }
      // Nothing was applied by the refused pushes of the raw client either.
      const body = phpJson({ table: 'items', data: [row(99, 'intruder', '2031-01-01 00:00:00')] });
      const res = await rawHttp(url, phpCurlRequest(url, 'POST', '/api/push', 'not-the-key', body));
      expect(res.status).toBe(401);
      expect(res.body.toString('utf8')).toBe('{"error":"Unauthorized"}');
      expect((await items(server.db, 'items')).some((r) => r.id === 99)).toBe(false);
    });

    it('404 for an unknown route, a wrong method or a trailing slash', async () => {
      const notFound = { error: 'Route not found' };
      for (const key of [TEST_KEY, null]) {
        await expectError('/api/push', { key, method: 'GET' }, 404, notFound);
        await expectError('/api/pull?table=items', { key, method: 'POST', body: {} }, 404, notFound);
        await expectError('/api/push/', { key, body: { table: 'items', data: [] } }, 404, notFound);
        await expectError('/api/pull/?table=items', { key }, 404, notFound);
        await expectError('/api/nope', { key }, 404, notFound);
        await expectError('/api/sync', { key, body: {} }, 404, notFound);
        await expectError('/api/configs/file?filename=config.json', { key }, 404, notFound);
        await expectError('/api/status', { key, method: 'DELETE' }, 404, notFound);
      }
    });

    it('an unknown table is refused with the PHP message (400 here, 500 in PHP)', async () => {
      const refusal = { success: false, error: 'Table nope not configured for replication' };
      const data = [row(1, 'x', '2025-01-01 10:00:00')];
      await expectError('/api/push', { body: { table: 'nope', data } }, 400, refusal);
      await expectError('/api/pull?table=nope', {}, 400, refusal);
      await expectError('/api/metadata?table=nope', {}, 400, refusal);
      // A name that would be SQL if spliced in is only ever a name.
      const injected = 'items; DROP TABLE items';
      await expectError(`/api/pull?table=${encodeURIComponent(injected)}`, {}, 400, {
        success: false,
        error: `Table ${injected} not configured for replication`,
      });
    });

    it('rows the table cannot take are refused without SQL text in the answer', async () => {
      const ok = (id: number) => row(id, 'x', '2025-01-01 10:00:00');
      // Refused whatever the database, by checking each value against its column.
      const invalid: ((id: number) => unknown)[] = [
        (id) => ({ ...ok(id), nonexistent: 1 }),
        (id) => ({ id, name: 'no other columns' }),
        (id) => ({ ...ok(id), qty: 'many' }),
        (id) => ({ ...ok(id), price: 'cheap' }),
        (id) => ({ ...ok(id), updated_at: 'not a time' }),
        (id) => ({ ...ok(id), updated_at: '2025-02-30 25:61:00' }),
        (id) => ({ ...ok(id), name: { nested: true } }),
        (id) => ({ ...ok(id), name: ['a', 'b'] }),
        () => 'not an object',
      ];
      // Refused by the database itself: SQLite's loose types take them, and then they are stored.
      const tooBig: ((id: number) => unknown)[] = [
        (id) => ({ ...ok(id), qty: 99_999_999_999 }),
        (id) => ({ ...ok(id), price: '123456789012345.99' }),
        (id) => ({ ...ok(id), name: 'x'.repeat(300) }),
      ];
      const cases = [
        ...invalid.map((make) => ({ make, mayTake: false })),
        ...tooBig.map((make) => ({ make, mayTake: true })),
      ];
      for (const [i, { make, mayTake }] of cases.entries()) {
        const id = 50 + i;
        // The first row is fine: a refusal applies nothing of the request.
        const data = [ok(70 + i), make(id)];
        const res = await call(url, '/api/push', { body: { table: 'items', data } });
        const held = (await items(server.db, 'items')).filter((r) => r.id === id || r.id === 70 + i);
        if (mayTake && res.status === 200) {
          expect({ i, held: held.length }).toEqual({ i, held: 2 });
          continue;
        }
        expect({ i, data, status: res.status, json: res.json }).toEqual({
          i,
          data,
          status: 400,
          json: { error: expect.any(String) },
        });
        expectClean(res.text);
        expect({ i, held }).toEqual({ i, held: [] });
      }
    });

    it('a configured table missing from the database fails without naming the database', async () => {
      const data = [row(1, 'x', '2025-01-01 10:00:00')];
      for (const [path, options] of [
        ['/api/pull?table=gone', {}],
        ['/api/metadata?table=gone', {}],
        ['/api/push', { body: { table: 'gone', data } }],
      ] as const) {
        const res = await call(url, path, options);
        expect({ path, status: res.status }).toEqual({ path, status: 500 });
        expect(res.json).toEqual({ error: expect.any(String) });
        expectClean(res.text);
      }
    });
  });
});
