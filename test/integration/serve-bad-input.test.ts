import { stripVTControlCharacters } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DIALECTS } from '../helpers/databases.js';
import { items, raw, type Item } from '../helpers/rows.js';
import {
  call,
  OTHER_KEY,
  type CallOptions,
  startTestServer,
  TEST_KEY,
  type CallResult,
  type TestServer,
} from '../helpers/server.js';
import { slowRequest } from '../helpers/slowClient.js';

/**
 * `nsync serve` faces the internet: every bad request gets a 4xx JSON `{"error": …}` that
 * says what is wrong and gives nothing away (no SQL, stack or database address), the server
 * keeps answering, and nothing at all is written. Each refusal is measured against the same
 * request made well-formed (the seed pushes), so a test here fails if the server accepts it.
 */

const AT = '2025-01-01T10:00:00Z';

/** A canonical row of ITEMS_DDL (what /v1/push carries). */
function row(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `item ${id}`, qty: id, price: `${id}.50`, note: null, updated_at: AT, ...extra };
}

/** A row as NunezReplication's PHP client sends it (/api/push). */
function phpRow(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...row(id), updated_at: '2025-01-01 10:00:00', ...extra };
}

function without(r: Record<string, unknown>, column: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([name]) => name !== column));
}

let batches = 0;
function push(rows: unknown[], batchId = `batch-${++batches}`): Record<string, unknown> {
  return {
    table: 'items',
    origin: 'branch-1',
    batchId,
    changes: rows.map((r) => ({ op: 'upsert', row: r })),
  };
}

interface Snapshot {
  items: Item[];
  changes: number;
  batches: number;
  conflicts: number;
}

async function snapshot(server: TestServer): Promise<Snapshot> {
  const [counts] = await raw(
    server.db,
    `SELECT (SELECT count(*) FROM nsync_changes) AS changes, (SELECT count(*) FROM nsync_batches) AS batches,
       (SELECT count(*) FROM nsync_conflicts) AS conflicts`,
  );
  return {
    items: await items(server.db, 'items'),
    changes: Number(counts?.changes),
    batches: Number(counts?.batches),
    conflicts: Number(counts?.conflicts),
  };
}

/** Pieces of the database's address or file path, none of which may reach a client. */
function secretsOf(url: string): string[] {
  const name = /nsync_t_[a-z0-9_]+/.exec(url)?.[0] ?? url;
  const hostPort = /@([^/]+)\//.exec(url)?.[1];
  const dir = /^sqlite:(.*)\/[^/]+$/.exec(url)?.[1];
  return [url, name, ...(hostPort ? [hostPort] : []), ...(dir ? [dir] : [])];
}

/** A JSON error that says something, with no SQL, stack trace or database address in it. */
function expectJsonError(
  server: TestServer,
  res: CallResult | { status: number | null; text: string; headers?: Record<string, unknown> },
  status: number | number[],
  mentions?: RegExp,
  what = '',
): string {
  const statuses = Array.isArray(status) ? status : [status];
  if (res.status === null || !statuses.includes(res.status)) {
    expect(`${res.status} ${res.text.slice(0, 200)} ← ${what}`).toBe(`${statuses.join(' or ')} ← ${what}`);
  }
  if (res.headers) expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  let body: unknown;
  expect(() => (body = JSON.parse(res.text))).not.toThrow();
  expect(body).toEqual(expect.objectContaining({ error: expect.any(String) }));
  const error = (body as { error: string }).error;
  expect(error.length).toBeGreaterThan(0);
  if (mentions) expect(error).toMatch(mentions);
  expect(res.text).not.toMatch(/\b(INSERT|SELECT|UPDATE)\b|\binsert into\b|\bselect\b[^"]*\bfrom\b/i);
  expect(res.text).not.toContain('    at ');
  expect(res.text).not.toMatch(/node_modules|\/src\/|\.ts:\d+/);
  for (const secret of secretsOf(server.db.url)) expect(res.text).not.toContain(secret);
  return error;
}

/** A request, shortly, for failure messages. */
function described(path: string, options: CallOptions): string {
  const { body, ...rest } = options;
  const shown = typeof body === 'string' || Buffer.isBuffer(body) ? String(body) : JSON.stringify(body);
  return `${path} ${JSON.stringify(rest)} ${shown ?? ''}`.slice(0, 300);
}

/** The server still answers, both without touching tables and reading every table's shape. */
async function expectAlive(server: TestServer): Promise<void> {
  expect((await call(server.url, '/healthz', { key: null })).status).toBe(200);
  expect((await call(server.url, '/v1/info')).status).toBe(200);
}

/** Sends a request, expects the refusal, then checks that nothing was written and the server still answers. */
async function refused(
  server: TestServer,
  path: string,
  options: CallOptions,
  status: number | number[],
  mentions?: RegExp,
): Promise<string> {
  const before = await snapshot(server);
  const res = await call(server.url, path, options);
  const error = expectJsonError(server, res, status, mentions, described(path, options));
  // (Reading the items table also proves it is still there.)
  expect(await snapshot(server)).toEqual(before);
  expect((await call(server.url, '/healthz', { key: null })).status).toBe(200);
  return error;
}

/**
 * Runs `check` for every case and reports all that fail together, so one run shows every
 * input that gets through rather than the first.
 */
async function forEach<T>(
  cases: readonly T[],
  check: (c: T) => Promise<unknown>,
  name: (c: T) => string = (c) => JSON.stringify(c)?.slice(0, 100) ?? '',
): Promise<void> {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      await check(c);
    } catch (error) {
      const message = stripVTControlCharacters((error as Error).message);
      const lines = message.split('\n').map((l) => l.trim());
      const received = lines.filter((l) => l.startsWith('Received') || l.startsWith('+ '));
      const shown = (received.length > 0 ? received : lines.filter(Boolean).slice(0, 3)).join(' | ');
      failures.push(`${name(c)}: ${shown.slice(0, 400)}`);
    }
  }
  expect(failures).toEqual([]);
}

/**
 * Names a client might try as columns: SQL in the name, quoting tricks, look-alikes of real
 * names. Each with the real column it imitates, if any: it is also sent in that one's place.
 */
const HOSTILE_COLUMNS: [string, string | null][] = [
  ['id; DROP TABLE items; --', 'id'],
  ['name = name; DROP TABLE items', 'name'],
  ["'; DROP TABLE items; --", null],
  ['`id`', 'id'],
  ['na`me', 'name'],
  ['"name"', 'name'],
  ['name"', 'name'],
  ["name'", 'name'],
  ['[name]', 'name'],
  ['іd', 'id'], // Cyrillic і
  ['ｉｄ', 'id'], // fullwidth
  ['nаme', 'name'], // Cyrillic а
  ['name\u200b', 'name'], // zero-width space
  ['NAME', 'name'],
  ['ID', 'id'],
  ['name ', 'name'],
  ['name\u0000', 'name'],
  ['items.name', 'name'],
  ['constructor', null],
  ['x'.repeat(10_000), null],
];

describe.each(DIALECTS)('nsync serve refuses bad input on %s', (dialect) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    // The well-formed versions of what the tests below break: these must be accepted.
    const v1 = await call(server.url, '/v1/push', { body: push([row(1), row(2), row(3)], 'seed') });
    expect(v1.status).toBe(200);
    expect(v1.json).toEqual(expect.objectContaining({ applied: 3 }));
    const php = await call(server.url, '/api/push', { body: { table: 'items', data: [phpRow(4)] } });
    expect(php.status).toBe(200);
    expect(php.json).toEqual(expect.objectContaining({ success: true }));
    const seeded = await snapshot(server);
    expect(seeded.items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
  });

  afterEach(() => expectAlive(server));

  afterAll(async () => {
    await server?.close();
  });

  it('refuses malformed JSON', async () => {
    const bodies = [
      '{"table": "items",',
      '{table: items}',
      '{"table":"items"} trailing',
      "{'a':1}",
      '[1,]',
      '\u0000',
    ];
    for (const path of ['/v1/push', '/v1/pull', '/api/push']) {
      for (const body of bodies) {
        await refused(server, path, { body }, 400, /not valid JSON/);
      }
      await refused(server, path, { body: '' }, 400, /empty/);
    }
  });

  it('refuses a body that is JSON but not declared as JSON', async () => {
    await refused(
      server,
      '/v1/push',
      {
        body: JSON.stringify(push([row(50)])),
        headers: { 'content-type': 'text/plain' },
      },
      // Fastify's text/plain parser hands the handler a string, which the body schema refuses.
      [400, 415],
    );
  });

  it('refuses fields of the wrong JSON type', async () => {
    const good = push([row(50)]);
    // Each message names the field at fault.
    const wrong: [RegExp, Record<string, unknown>][] = [
      [/table/i, { table: 5 }],
      [/table/i, { table: null }],
      [/table/i, { table: { name: 'items' } }],
      [/changes/, { changes: 'x' }],
      [/changes/, { changes: 5 }],
      [/changes/, { changes: { op: 'upsert', row: row(50) } }],
      [/changes\[0\]/, { changes: [5] }],
      [/changes\[0\]/, { changes: ['x'] }],
      [/changes\[0\]/, { changes: [null] }],
      [/changes\[0\]/, { changes: [[row(50)]] }],
      [/changes\[0\]\.row/, { changes: [{ op: 'upsert', row: 'x' }] }],
      [/changes\[0\]\.row/, { changes: [{ op: 'upsert', row: [50, 'a'] }] }],
      [/changes\[0\]\.op/, { changes: [{ op: 'insert', row: row(50) }] }],
      [/changes\[0\]\.key/, { changes: [{ op: 'delete', key: 50, at: AT }] }],
      [/changes\[0\]\.at/, { changes: [{ op: 'delete', key: [50], at: 5 }] }],
      [/batchId/, { batchId: '../../etc' }],
      [/batchId/, { batchId: null }],
      [/origin/, { origin: {} }],
      [/origin/, { origin: 'a b; DROP' }],
      [/origin/, { origin: 'hq' }], // the server's own environment id
      [/fresh/, { fresh: 'yes' }],
      [/digits/, { digits: 'six' }],
    ];
    await forEach(wrong, ([field, change]) =>
      refused(server, '/v1/push', { body: { ...good, ...change } }, 400, field),
    );
    const missing = ['table', 'origin', 'batchId', 'changes'];
    await forEach(missing, (field) => {
      return refused(server, '/v1/push', { body: without(good, field) }, 400, new RegExp(field));
    });
    const pull = { table: 'items', cursor: null, requester: 'branch-1' };
    const pulls: [RegExp, Record<string, unknown>][] = [
      [/limit/, { limit: 'ten' }],
      [/limit/, { limit: -1 }],
      [/limit/, { limit: 1e9 }],
      [/cursor/, { cursor: 5 }],
      [/cursor/, { cursor: {} }],
      [/requester/, { requester: {} }],
    ];
    await forEach(pulls, ([field, change]) =>
      refused(server, '/v1/pull', { body: { ...pull, ...change } }, 400, field),
    );
    const php = [
      { table: 5 },
      { table: null },
      { data: 'x' },
      { data: { id: 50 } },
      { data: [5] },
      { data: ['x'] },
    ];
    await forEach(php, (change) =>
      refused(server, '/api/push', { body: { table: 'items', data: [phpRow(50)], ...change } }, 400),
    );
  });

  it('refuses values of the wrong JSON type rather than coercing them', async () => {
    // Fastify's default ajv options coerce types (5 → "5", ["items"] → "items", "true" → true).
    const pushes: Record<string, unknown>[] = [
      { table: ['items'] },
      { batchId: 7 },
      { origin: 5 },
      { dryRun: 'true' },
      { fresh: 1 },
      { digits: '3' },
    ];
    const pulls: Record<string, unknown>[] = [{ limit: '10' }, { requester: 5 }, { table: ['items'] }];
    const cases = [
      ...pushes.map((change) => ({ path: '/v1/push', change, body: { ...push([row(50)]), ...change } })),
      ...pulls.map((change) => ({
        path: '/v1/pull',
        change,
        body: { table: 'items', cursor: null, requester: 'branch-1', ...change },
      })),
    ];
    await forEach(
      cases,
      ({ path, body }) => refused(server, path, { body }, 400),
      ({ path, change }) => `${path} ${JSON.stringify(change)}`,
    );
  });

  it('refuses a body that is not an object', async () => {
    const cases = ['[]', '[{"table":"items"}]', '"str"', '42', 'true', 'null'].flatMap((body) =>
      ['/v1/push', '/v1/pull', '/v1/checksum', '/api/push'].map((path) => ({ path, body })),
    );
    await forEach(cases, ({ path, body }) => refused(server, path, { body }, 400));
  });

  it('refuses a table it does not replicate', async () => {
    const tables = [
      'nope',
      'ITEMS',
      'items ',
      'nsync_settings',
      'nsync_batches',
      'items; DROP TABLE items; --',
      '`items`',
      '"items"',
      'іtems', // Cyrillic і
      '../items',
      'x'.repeat(128),
    ];
    await forEach(tables, async (table) => {
      const message = await refused(
        server,
        '/v1/push',
        { body: { ...push([row(50)]), table } },
        400,
        /not configured/,
      );
      expect(message.length).toBeLessThan(300);
      await refused(
        server,
        '/v1/pull',
        { body: { table, cursor: null, requester: 'branch-1' } },
        400,
        /not configured/,
      );
      await refused(
        server,
        '/v1/checksum',
        { body: { table, ranges: [{ after: null, upTo: null }] } },
        400,
        /not configured/,
      );
      await refused(server, '/api/push', { body: { table, data: [phpRow(50)] } }, 400, /not configured/);
      const query = `table=${encodeURIComponent(table)}`;
      await refused(server, `/api/pull?${query}`, {}, 400, /not configured/);
      await refused(server, `/api/metadata?${query}`, {}, 400, /not configured/);
    });
    await refused(server, '/api/pull', {}, 400, /table/);
  });

  it('refuses unknown and hostile column names on /v1/push and /api/push, and the table survives', async () => {
    const start = await snapshot(server);
    await forEach(HOSTILE_COLUMNS, async ([name, imitated]) => {
      // As an extra column next to the real ones, and in place of the real one it imitates.
      const rows = [row(50, { [name]: 'x' })];
      if (imitated) rows.push({ ...without(row(51), imitated), [name]: row(51)[imitated] });
      for (const r of rows) {
        const v1 = await refused(server, '/v1/push', { body: push([row(52), r]) }, 400, /unknown column/);
        expect(v1).toContain('changes[1].row');
        expect(v1.length).toBeLessThan(500);
        const php = await refused(
          server,
          '/api/push',
          { body: { table: 'items', data: [phpRow(52), r] } },
          400,
          /unknown column/,
        );
        expect(php).toContain('data[1]');
      }
    });
    // Prototype keys are refused by the JSON parser itself.
    const proto = `{"table":"items","data":[${JSON.stringify(phpRow(50)).replace('{', '{"__proto__":{"x":1},')}]}`;
    await refused(server, '/api/push', { body: proto }, 400);
    expect(await snapshot(server)).toEqual(start);
    expect(await server.db.knex.schema.hasTable('items')).toBe(true);
  });

  it('refuses a row without its key', async () => {
    const keyless = without(row(50), 'id');
    const phpKeyless = without(phpRow(50), 'id');
    await refused(
      server,
      '/v1/push',
      { body: push([row(52), keyless]) },
      400,
      /changes\[1\].*lacks column id/,
    );
    await refused(
      server,
      '/v1/push',
      { body: push([row(52), row(50, { id: null })]) },
      400,
      /changes\[1\]\.row\.id.*null/,
    );
    const deletes = [
      { op: 'delete', at: AT },
      { op: 'delete', key: [], at: AT },
      { op: 'delete', key: [null], at: AT },
      { op: 'delete', key: [1, 2], at: AT },
    ];
    for (const change of deletes) {
      const body = { ...push([row(52)]), changes: [{ op: 'upsert', row: row(52) }, change] };
      await refused(server, '/v1/push', { body }, 400, /changes\[1\]\.key/);
    }
    // A key that contradicts the row's own key columns.
    const mismatched = { ...push([]), changes: [{ op: 'upsert', key: [1], row: row(52) }] };
    await refused(server, '/v1/push', { body: mismatched }, 400, /changes\[0\]\.key/);
    await refused(
      server,
      '/api/push',
      { body: { table: 'items', data: [phpRow(52), phpKeyless] } },
      400,
      /data\[1\].*lacks column id/,
    );
    await refused(
      server,
      '/api/push',
      { body: { table: 'items', data: [phpRow(52), phpRow(50, { id: null })] } },
      400,
      /data\[1\]\.id.*null/,
    );
  });

  it('refuses values that do not fit their column, writing none of the batch', async () => {
    // Each message names the column, or (where the database does not say which) what is wrong.
    const misfits: [string, Record<string, unknown>][] = [
      ['id', { id: 'abc' }],
      ['id', { id: 1.5 }],
      ['id', { id: true }],
      ['qty', { qty: 'abc' }],
      ['qty', { qty: '12abc' }],
      ['qty', { qty: 2.5 }],
      ['qty', { qty: { n: 1 } }],
      ['qty', { qty: [1] }],
      ['price', { price: 'abc' }],
      ['price', { price: '1,50' }],
      ['price', { price: '1.5.0' }],
      ['price', { price: [] }],
      ['name', { name: { text: 'x' } }],
      ['updated_at', { updated_at: 'not a time' }],
      ['updated_at', { updated_at: 'yesterday' }],
      ['updated_at', { updated_at: '2025-01-01' }],
      ['updated_at', { updated_at: 20250101 }],
      ['updated_at', { updated_at: true }],
      ['updated_at', { updated_at: '2025-02-30T25:61:00Z' }],
    ];
    if (dialect !== 'sqlite') {
      // Dynamically typed SQLite stores these; PostgreSQL and MySQL columns cannot hold them.
      misfits.push(
        ['qty|out of range', { qty: 2 ** 40 }],
        ['price|out of range', { price: '12345678901234567.00' }],
      );
    }
    if (dialect === 'mysql') misfits.push(['name|too long', { name: 'x'.repeat(201) }]);

    await forEach(misfits, async ([column, change]) => {
      // A good row first: the whole batch must be refused, not just the bad row.
      await refused(server, '/v1/push', { body: push([row(60), row(61, change)]) }, 400, new RegExp(column));
      const php = Object.fromEntries(
        Object.entries(change).map(([k, v]) => [
          k,
          k === 'updated_at' && typeof v === 'string' ? v.replace('T', ' ').replace('Z', '') : v,
        ]),
      );
      await refused(
        server,
        '/api/push',
        { body: { table: 'items', data: [phpRow(60), phpRow(61, php)] } },
        400,
        new RegExp(column),
      );
    });
  });

  it('refuses a gzip body that is truncated, or not gzip at all', async () => {
    const json = JSON.stringify(push([row(70)]));
    const zipped = gzipSync(json);
    const gzipHeaders = { 'content-encoding': 'gzip', 'content-type': 'application/json' };
    await refused(
      server,
      '/v1/push',
      { body: zipped.subarray(0, zipped.length - 12), headers: gzipHeaders },
      400,
      /Content-Encoding/,
    );
    await refused(
      server,
      '/v1/push',
      { body: zipped.subarray(0, 12), headers: gzipHeaders },
      400,
      /Content-Encoding/,
    );
    await refused(server, '/v1/push', { body: json, headers: gzipHeaders }, 400, /Content-Encoding/);
    await refused(
      server,
      '/api/push',
      { body: JSON.stringify({ table: 'items', data: [phpRow(70)] }), headers: gzipHeaders },
      400,
      /Content-Encoding/,
    );
    // Valid gzip of something that is not JSON.
    await refused(server, '/v1/push', { body: gzipSync('{"table":'), headers: gzipHeaders }, 400, /JSON/);
    await refused(
      server,
      '/v1/push',
      {
        body: json,
        headers: { 'content-encoding': 'br', 'content-type': 'application/json' },
      },
      415,
      /Content-Encoding/,
    );
    // The same body, properly compressed, is accepted: the refusals above are about the encoding.
    const ok = await call(server.url, '/v1/push', { body: push([row(70)]), gzip: true });
    expect(ok.status).toBe(200);
    await server.db.knex('items').where({ id: 70 }).delete();
  });

  it('refuses a missing, wrong, empty or huge API key', async () => {
    const start = await snapshot(server);
    const body = push([row(80)]);
    const keys: (string | null)[] = [
      null,
      'wrong',
      '',
      ' ',
      // (Leading and trailing blanks are not part of a header value in HTTP, so `key ` is the key.)
      TEST_KEY.toUpperCase(),
      TEST_KEY.slice(0, -1),
      `${TEST_KEY}x`,
      `${TEST_KEY},${OTHER_KEY}`,
      'x'.repeat(10_000),
    ];
    const routes: [string, CallOptions][] = [
      ['/v1/push', { body }],
      ['/api/push', { body: { table: 'items', data: [phpRow(80)] } }],
      ['/v1/info', {}],
      ['/api/config', {}],
      ['/metrics', {}],
    ];
    const cases = keys.flatMap((key) =>
      routes.map(([path, options]) => ({ path, options: { ...options, key } })),
    );
    await forEach(cases, async ({ path, options }) => {
      const res = await call(server.url, path, options);
      expectJsonError(server, res, 401, undefined, described(path, options));
      expect(res.json).toEqual({ error: 'Unauthorized' });
    });
    // A wrong bearer token, and the right key under a scheme other than Bearer.
    for (const headers of [{ authorization: 'Bearer wrong' }, { authorization: `Basic ${TEST_KEY}` }]) {
      const res = await call(server.url, '/v1/push', { body, key: null, headers });
      expectJsonError(server, res, 401);
      expect(res.json).toEqual({ error: 'Unauthorized' });
    }
    // Larger than Node's header limit: refused before the key is looked at, still in JSON.
    const huge = await call(server.url, '/v1/push', { body, key: 'k'.repeat(100_000) });
    expectJsonError(server, huge, [401, 431]);
    expect(await snapshot(server)).toEqual(start);
    await expectAlive(server);
  });

  it('refuses a tampered cursor', async () => {
    const first = await call(server.url, '/v1/pull', {
      body: { table: 'items', cursor: null, limit: 1, requester: 'branch-2' },
    });
    expect(first.status).toBe(200);
    const cursor = (first.json as { cursor: string }).cursor;
    expect(cursor).toMatch(/^[^.]+\.[^.]+$/);
    // The real cursor is taken back.
    const again = await call(server.url, '/v1/pull', {
      body: { table: 'items', cursor, limit: 1, requester: 'branch-2' },
    });
    expect(again.status).toBe(200);

    const dot = cursor.lastIndexOf('.');
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    const tampered = [
      flip(cursor, 0),
      flip(cursor, dot - 1),
      flip(cursor, cursor.length - 1),
      cursor.slice(0, dot),
      `${cursor}x`,
      `x${cursor}`,
      cursor.replace('.', '..'),
      `${Buffer.from('{"after":[1]}').toString('base64url')}.${cursor.slice(dot + 1)}`,
      'abc',
      '.',
      '',
      'x'.repeat(8192),
    ];
    await forEach(tampered, (bad) =>
      refused(
        server,
        '/v1/pull',
        { body: { table: 'items', cursor: bad, limit: 1, requester: 'branch-2' } },
        400,
        /cursor/,
      ),
    );
  });

  it('refuses a batch id replayed with different content', async () => {
    const first = await call(server.url, '/v1/push', { body: push([row(90)], 'replayed') });
    expect(first.status).toBe(200);
    expect(first.json).toEqual(expect.objectContaining({ applied: 1, replayed: false }));
    // The same batch again is a harmless replay.
    const same = await call(server.url, '/v1/push', { body: push([row(90)], 'replayed') });
    expect(same.status).toBe(200);
    expect(same.json).toEqual(expect.objectContaining({ replayed: true }));

    for (const other of [[row(90, { name: 'changed' })], [row(91)], [row(90), row(91)], []]) {
      await refused(server, '/v1/push', { body: push(other, 'replayed') }, 409, /batch replayed/);
    }
    await server.db.knex('items').where({ id: 90 }).delete();
  });

  it('answers unknown routes and methods with JSON', async () => {
    await refused(server, '/v1/drop', {}, 404);
    await refused(server, '/v1/push', { method: 'DELETE' }, [404, 405]);
    await refused(server, '/../../etc/passwd', {}, [400, 404]);
  });

  it('still answers /healthz and /v1/info after all that', async () => {
    await expectAlive(server);
    const info = await call(server.url, '/v1/info');
    expect(info.json).toEqual(expect.objectContaining({ environment: 'hq' }));
  });
});

describe.each(DIALECTS)('nsync serve with tight limits on %s', (dialect) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(dialect, {
      server: { bodyLimitMB: 0.01, requestTimeoutSeconds: 2 },
      batchSize: 2,
    });
  });

  afterEach(() => expectAlive(server));

  afterAll(async () => {
    await server?.close();
  });

  it('refuses a body over the limit with 413', async () => {
    const note = 'n'.repeat(20_000);
    await refused(server, '/v1/push', { body: push([row(1, { note })]) }, 413, /larger than the limit/);
    await refused(
      server,
      '/api/push',
      { body: { table: 'items', data: [phpRow(1, { note })] } },
      413,
      /larger than the limit/,
    );
    // Small compressed, large once inflated: the limit holds after decompression too.
    await refused(
      server,
      '/v1/push',
      { body: push([row(1, { note: 'n'.repeat(1_000_000) })]), gzip: true },
      413,
      /larger than the limit/,
    );
    // Under the limit, the same push is accepted.
    const ok = await call(server.url, '/v1/push', { body: push([row(1)]) });
    expect(ok.status).toBe(200);
    await server.db.knex('items').delete();
  });

  // Only PostgreSQL and MySQL refuse a value the wire format accepts (SQLite stores anything).
  if (dialect !== 'sqlite')
    it('refuses a value the database rejects after more rows than one batch, writing none of them', async () => {
      // Five rows with batchSize 2: the database refuses the last one, in the third batch.
      const ids = [20, 21, 22, 23];
      await refused(
        server,
        '/v1/push',
        { body: push([...ids.map((id) => row(id)), row(24, { qty: 2 ** 40 })]) },
        400,
        /out of range/,
      );
      await refused(
        server,
        '/api/push',
        { body: { table: 'items', data: [...ids.map((id) => phpRow(id)), phpRow(24, { qty: 2 ** 40 })] } },
        400,
        /out of range/,
      );
    });

  it('drops a client that sends its body one byte a second', async () => {
    const before = await snapshot(server);
    // A valid push, had it arrived whole.
    const body = JSON.stringify(push([row(5)]));
    const result = await slowRequest(server.url, {
      path: '/v1/push',
      headers: { 'x-api-key': TEST_KEY },
      body,
      giveUpMs: 6_000,
    });
    const shown = JSON.stringify(result);
    // Answered 408 in JSON, or closed, well before the whole body could have arrived.
    expect({ ok: result.status === 408 || (result.status === null && result.closed), shown }).toEqual({
      ok: true,
      shown,
    });
    expect(result.afterMs).toBeLessThan(5_500);
    expect(result.bytesSent).toBeLessThan(100);
    if (result.status !== null) expectJsonError(server, { status: result.status, text: result.body }, 408);
    expect(await snapshot(server)).toEqual(before);
    await expectAlive(server);
  });

  it('refuses a cursor issued by another server', async () => {
    const other = await startTestServer(dialect);
    try {
      await call(other.url, '/v1/push', { body: push([row(1), row(2)]) });
      const page = await call(other.url, '/v1/pull', {
        body: { table: 'items', cursor: null, limit: 1, requester: 'branch-2' },
      });
      const cursor = (page.json as { cursor: string }).cursor;
      await refused(
        server,
        '/v1/pull',
        { body: { table: 'items', cursor, limit: 1, requester: 'branch-2' } },
        400,
        /cursor/,
      );
    } finally {
      await other.close();
    }
  });
});

describe.each(DIALECTS)('nsync serve rate limit on %s', (dialect) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(dialect, { server: { rateLimit: { max: 5, windowSeconds: 60 } } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers the 6th request with one key 429 in JSON, and another key still passes', async () => {
    const before = await snapshot(server);
    for (let i = 0; i < 5; i++) expect((await call(server.url, '/v1/info')).status).toBe(200);
    const limited = await call(server.url, '/v1/push', { body: push([row(1)]) });
    const error = expectJsonError(server, limited, 429, /too many requests/);
    expect(error).toMatch(/5/);
    expect(await snapshot(server)).toEqual(before);
    expect((await call(server.url, '/v1/info')).status).toBe(429);
    expect((await call(server.url, '/v1/info', { key: OTHER_KEY })).status).toBe(200);
    const pushed = await call(server.url, '/v1/push', { body: push([row(1)]), key: OTHER_KEY });
    expect(pushed.status).toBe(200);
  });

  it('counts requests with a wrong key per address, so keys cannot be guessed quickly', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await call(server.url, '/v1/info', { key: `guess-${i}` })).status).toBe(401);
    }
    const limited = await call(server.url, '/v1/info', { key: 'guess-5' });
    expectJsonError(server, limited, 429, /too many requests/);
    // The right key has its own allowance.
    expect((await call(server.url, '/v1/info', { key: OTHER_KEY })).status).toBe(200);
  });
});
