import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterEach } from '@jest/globals';
import { install, silentReporter, syncMulti, type NsyncConfig, type RunResult } from '../../src/index.js';
import { exitCodeForRun } from '../../src/cli/exitCodes.js';
import { requireBuilt, runNsync } from '../helpers/cli.js';
import { localConfig, type TableSpec } from '../helpers/configs.js';
import { createTestDatabase, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { closedPort, FaultProxy, type FaultRule } from '../helpers/faultProxy.js';
import { items, raw } from '../helpers/rows.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

/**
 * `nsync multi` against a remote that fails in each way a network and a server can (DESIGN §1
 * invariants 5 and 7, §6): every failure is a failed table naming the remote, the table and the
 * cause, the run is not ok (exit 1), no cursor moves past data that was not applied, and a later
 * healthy run converges. The local environment is SQLite (master + slave); the remote is a real
 * in-process `nsync serve` over SQLite, behind a fault-injecting proxy where a fault needs one.
 */

const REMOTE = 'hq';
const AT = '2025-01-01 10:00:00';
const folders: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ddlFor = (table: string) => ITEMS_DDL.sqlite.replace('CREATE TABLE items', `CREATE TABLE ${table}`);

async function insertRows(db: TestDatabase, table: string, ids: number[]): Promise<void> {
  for (const id of ids) {
    await db
      .knex(table)
      .insert({ id, name: `row ${id}`, qty: id, price: '1.50', note: null, updated_at: AT });
  }
}

const ids = async (db: TestDatabase, table = 'items') =>
  (await raw(db, `SELECT id FROM ${table} ORDER BY id`)).map((r) => Number(r.id));

/** This environment's cursors with the remote, as `table/direction` → position. */
async function cursors(db: TestDatabase): Promise<Record<string, string>> {
  const rows = await raw(
    db,
    `SELECT table_name, direction, position FROM nsync_cursors WHERE peer = '${REMOTE}' ORDER BY table_name, direction`,
  );
  return Object.fromEntries(
    rows.map((r) => [`${String(r.table_name)}/${String(r.direction)}`, String(r.position)]),
  );
}

interface Setup {
  server: TestServer;
  master: TestDatabase;
  slave: TestDatabase;
  tables: TableSpec[];
  /** A config whose remote `hq` has these fields (url and apiKey default to the real server). */
  config(remote?: Record<string, unknown>): NsyncConfig;
  /** A fault-injecting proxy in front of the real server. */
  proxy(rules?: FaultRule[]): Promise<FaultProxy>;
}

/**
 * A fresh remote (rows 1–3 of each table, unless `serverRows` says otherwise) and a fresh local
 * environment (rows 101–103 on its master), nsync installed on both.
 */
async function setup(
  options: {
    tables?: TableSpec[];
    serverRows?: number[];
    localRows?: number[];
    serverDdl?: string[];
  } = {},
): Promise<Setup> {
  const tables = options.tables ?? [{ name: 'items' }];
  const names = tables.map((t) => t.name);
  const server = await startTestServer('sqlite', {
    ddl: options.serverDdl ?? names.map(ddlFor),
    tables: names.map((name) => ({ name })),
  });
  cleanups.push(() => server.close());
  const master = await createTestDatabase('sqlite', 'master');
  cleanups.push(() => master.drop());
  const slave = await createTestDatabase('sqlite', 'slave');
  cleanups.push(() => slave.drop());
  for (const name of names) {
    await master.knex.raw(ddlFor(name));
    await slave.knex.raw(ddlFor(name));
    await insertRows(server.db, name, options.serverRows ?? [1, 2, 3]);
    await insertRows(master, name, options.localRows ?? [101, 102, 103]);
  }
  const config = (remote: Record<string, unknown> = {}) =>
    localConfig('master-slave', master.url, slave.url, tables, {
      remoteEnvironments: { [REMOTE]: { url: server.url, apiKey: TEST_KEY, ...remote } },
    });
  await install(config(), { reporter: silentReporter });
  return {
    server,
    master,
    slave,
    tables,
    config,
    proxy: async (rules = []) => {
      const proxy = await FaultProxy.start(server.url, rules);
      cleanups.push(() => proxy.close());
      return proxy;
    },
  };
}

/** The remote exchange only: these tests are about the remote, the local pass has its own. */
const multi = (config: NsyncConfig): Promise<RunResult> =>
  syncMulti(config, { local: false, reporter: silentReporter });

function failures(result: RunResult) {
  return result.tables.filter((t) => !t.ok);
}

/** The run failed as DESIGN §1.7 says: not ok (exit 1), each failed table naming itself, the remote and `cause`. */
function expectFailed(result: RunResult, cause: RegExp, expected: number): void {
  expect(result.ok).toBe(false);
  expect(exitCodeForRun(result)).toBe(1);
  const failed = failures(result);
  expect(failed).toHaveLength(expected);
  for (const t of failed) {
    expect(t.remote).toBe(REMOTE);
    // `items (hq → here): …` names the table and the remote; then the cause.
    expect(t.error?.startsWith(`${t.table} (${t.direction}): `)).toBe(true);
    expect(t.direction).toMatch(new RegExp(`^(${REMOTE} → here|here → ${REMOTE})$`));
    expect(t.error).toMatch(cause);
  }
}

/** Nothing moved either way: no cursor, and each side holds only its own rows. */
async function expectNothingMoved(s: Setup): Promise<void> {
  expect(await cursors(s.master)).toEqual({});
  for (const t of s.tables) {
    expect(await ids(s.master, t.name)).toEqual([101, 102, 103]);
    expect(await ids(s.server.db, t.name)).toEqual([1, 2, 3]);
  }
}

/** A healthy run after the fault: ok, every table identical on both sides, cursors both ways. */
async function expectConverges(s: Setup, config: NsyncConfig): Promise<void> {
  const result = await multi(config);
  expect(failures(result)).toEqual([]);
  expect(result.ok).toBe(true);
  for (const t of s.tables) {
    const here = await items(s.master, t.name);
    expect(here.map((r) => r.id)).toEqual([1, 2, 3, 101, 102, 103]);
    expect(await items(s.server.db, t.name)).toEqual(here);
  }
  expect(Object.keys(await cursors(s.master)).sort()).toEqual(
    s.tables.flatMap((t) => [`${t.name}/pull`, `${t.name}/push`]).sort(),
  );
}

describe('nsync multi: a remote that fails', () => {
  it('unreachable (nothing listens on its port): every table fails naming the refused connection', async () => {
    const s = await setup();
    const port = await closedPort();
    const result = await multi(s.config({ url: `http://127.0.0.1:${port}`, retries: 1 }));
    // Bidirectional: both directions of the table fail.
    expectFailed(result, /refused the connection \(ECONNREFUSED\)/, 2);
    expect(failures(result)[0]?.error).toContain(`127.0.0.1:${port}`);
    await expectNothingMoved(s);
    await expectConverges(s, s.config());
  });

  it('refuses the key (401): not retried, the message says the key was refused', async () => {
    const s = await setup();
    const proxy = await s.proxy();
    const result = await multi(s.config({ url: proxy.url, apiKey: 'not-the-key' }));
    expectFailed(result, /refused the API key \(401/, 2);
    expect(proxy.requests.map((r) => r.path)).toEqual(['/v1/info']);
    await expectNothingMoved(s);
    await expectConverges(s, s.config({ url: proxy.url }));
  });

  it('answers 500: not retried, that table and direction fail, the other direction goes on', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { answer: 500, body: { error: 'boom' } } }]);
    const result = await multi(s.config({ url: proxy.url }));
    expectFailed(result, /answered 500: boom/, 1);
    expect(failures(result)[0]?.direction).toBe(`${REMOTE} → here`);
    expect(proxy.count('/v1/pull')).toBe(1);
    // The push went through; the pull moved no cursor and no row.
    expect(await cursors(s.master)).toEqual({ 'items/push': expect.any(String) });
    expect(await ids(s.master)).toEqual([101, 102, 103]);
    expect(await ids(s.server.db)).toEqual([1, 2, 3, 101, 102, 103]);
    proxy.setRules([]);
    await expectConverges(s, s.config({ url: proxy.url }));
  });

  it('answers 503, 503, then 200: retried, the run succeeds, the proxy saw 3 requests', async () => {
    const s = await setup();
    const busy = { answer: 503, body: { error: 'busy' } };
    // On the one /v1/info request, and on a pull in the middle of the exchange.
    const proxy = await s.proxy([
      { path: '/v1/info', times: 2, fault: busy },
      { path: '/v1/pull', skip: 1, times: 2, fault: busy },
    ]);
    const config = s.config({ url: proxy.url });
    expect(config.remotes[0]?.retries).toBe(4);
    const result = await multi(config);
    expect(failures(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(proxy.requests.filter((r) => r.path === '/v1/info').map((r) => r.fault)).toEqual([
      'answer',
      'answer',
      undefined,
    ]);
    expect(
      proxy.requests
        .filter((r) => r.path === '/v1/pull')
        .slice(0, 4)
        .map((r) => r.fault),
    ).toEqual([undefined, 'answer', 'answer', undefined]);
    expect(await items(s.server.db, 'items')).toEqual(await items(s.master, 'items'));
    expect(await ids(s.master)).toEqual([1, 2, 3, 101, 102, 103]);
  });

  it('always answers 503: gives up after `retries`, the table fails naming the status', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { answer: 503, body: { error: 'busy' } } }]);
    const result = await multi(s.config({ url: proxy.url, retries: 2, syncMode: 'pull' }));
    expectFailed(result, /answered 503: busy/, 1);
    expect(proxy.count('/v1/pull')).toBe(3);
    await expectNothingMoved(s);
  });

  it('fails a pull half way: the cursor stays at the last applied batch, a later run brings the rest', async () => {
    const s = await setup({
      tables: [{ name: 'items', batchSize: 2 }],
      serverRows: [1, 2, 3, 4, 5],
      localRows: [],
    });
    const proxy = await s.proxy([
      { path: '/v1/pull', skip: 1, fault: { answer: 500, body: { error: 'boom' } } },
    ]);
    const result = await multi(s.config({ url: proxy.url, syncMode: 'pull' }));
    expectFailed(result, /answered 500: boom/, 1);
    // The first page (rows 1, 2) was applied and its cursor stored with it; nothing after it.
    expect(await ids(s.master)).toEqual([1, 2]);
    const first = await cursors(s.master);
    expect(Object.keys(first)).toEqual(['items/pull']);
    proxy.setRules([]);
    const again = await multi(s.config({ url: proxy.url, syncMode: 'pull' }));
    expect(failures(again)).toEqual([]);
    expect(await ids(s.master)).toEqual([1, 2, 3, 4, 5]);
    expect(await items(s.master, 'items')).toEqual(await items(s.server.db, 'items'));
    // It resumed from the stored cursor: the rows already here were not read again.
    expect(again.tables[0]?.read).toBe(3);
  });

  it('fails a push half way: the cursor stays at the last batch the remote committed', async () => {
    const s = await setup({
      tables: [{ name: 'items', batchSize: 2 }],
      serverRows: [],
      localRows: [101, 102, 103, 104, 105],
    });
    const proxy = await s.proxy([
      { path: '/v1/push', skip: 1, fault: { answer: 500, body: { error: 'boom' } } },
    ]);
    const result = await multi(s.config({ url: proxy.url, syncMode: 'push' }));
    expectFailed(result, /answered 500: boom/, 1);
    expect(await ids(s.server.db)).toEqual([101, 102]);
    expect(Object.keys(await cursors(s.master))).toEqual(['items/push']);
    proxy.setRules([]);
    const again = await multi(s.config({ url: proxy.url, syncMode: 'push' }));
    expect(failures(again)).toEqual([]);
    expect(await ids(s.server.db)).toEqual([101, 102, 103, 104, 105]);
    expect(await items(s.server.db, 'items')).toEqual(await items(s.master, 'items'));
    expect(again.tables[0]?.read).toBe(3);
  });

  it('resets the connection in the middle of a pull answer: retried, the run succeeds', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', times: 1, fault: { resetMidBody: true } }]);
    const result = await multi(s.config({ url: proxy.url }));
    expect(failures(result)).toEqual([]);
    const pulls = proxy.requests.filter((r) => r.path === '/v1/pull');
    expect(pulls.slice(0, 2).map((r) => r.fault)).toEqual(['resetMidBody', undefined]);
    expect(await ids(s.master)).toEqual([1, 2, 3, 101, 102, 103]);
    expect(await items(s.server.db, 'items')).toEqual(await items(s.master, 'items'));
  });

  it('resets the connection after applying a push, mid-answer: the retry is not applied twice', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/push', times: 1, fault: { resetMidBody: true } }]);
    const result = await multi(s.config({ url: proxy.url, syncMode: 'push' }));
    expect(failures(result)).toEqual([]);
    const pushes = proxy.requests.filter((r) => r.path === '/v1/push');
    expect(pushes.slice(0, 2).map((r) => r.fault)).toEqual(['resetMidBody', undefined]);
    // The retry got the first delivery's counts back (the server's batch ledger), not "3 unchanged".
    expect(result.tables[0]?.counts).toMatchObject({ inserted: 3, unchanged: 0 });
    expect(await ids(s.server.db)).toEqual([1, 2, 3, 101, 102, 103]);
  });

  it('keeps resetting the connection mid-body: the table fails after its retries, naming the socket', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { resetMidBody: true } }]);
    const result = await multi(s.config({ url: proxy.url, syncMode: 'pull', retries: 1 }));
    expectFailed(result, /other side closed|socket|ECONNRESET/i, 1);
    expect(proxy.count('/v1/pull')).toBe(2);
    await expectNothingMoved(s);
  });

  it('does not answer within `timeout`: retried, then the table fails naming the timeout', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { delayMs: 2_500 } }]);
    const result = await multi(s.config({ url: proxy.url, timeout: 1, retries: 1 }));
    expectFailed(result, /did not answer within 1 s \(timeout\)/, 1);
    expect(proxy.count('/v1/pull')).toBe(2);
    expect(await ids(s.master)).toEqual([101, 102, 103]);
    expect(await cursors(s.master)).toEqual({ 'items/push': expect.any(String) });
    proxy.setRules([]);
    await expectConverges(s, s.config({ url: proxy.url }));
  });

  it('answers a truncated gzip body: retried, then the table fails naming the broken body', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { truncateGzip: true } }]);
    const result = await multi(s.config({ url: proxy.url, retries: 1 }));
    expectFailed(result, /unexpected end of file|truncated|Z_BUF_ERROR/i, 1);
    expect(proxy.count('/v1/pull')).toBe(2);
    expect(await ids(s.master)).toEqual([101, 102, 103]);
    expect(Object.keys(await cursors(s.master))).toEqual(['items/push']);
    proxy.setRules([]);
    await expectConverges(s, s.config({ url: proxy.url }));
  });

  it('serves the table without one of its columns: "columns differ" naming the column, nothing moves', async () => {
    const s = await setup({
      serverDdl: [
        `CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer, price decimal(12,2), updated_at datetime)`,
      ],
      serverRows: [],
    });
    await insertRowsWithoutNote(s.server.db, [1, 2, 3]);
    const result = await multi(s.config());
    expectFailed(result, /columns differ: remote hq \(http:\/\/127\.0\.0\.1:\d+\) lacks note/, 2);
    expect(await cursors(s.master)).toEqual({});
    expect(await ids(s.master)).toEqual([101, 102, 103]);
    expect(await ids(s.server.db)).toEqual([1, 2, 3]);
  });

  it('serves the table with a column this side lacks: "columns differ" naming it, nothing moves', async () => {
    const s = await setup();
    const proxy = await s.proxy([
      {
        path: '/v1/info',
        fault: {
          rewrite: (info) => {
            const tables = (info as { tables: { name: string; columns: { name: string }[] }[] }).tables;
            const table = tables.find((t) => t.name === 'items');
            const note = table?.columns.find((c) => c.name === 'note');
            table?.columns.push({ ...note, name: 'colour' });
            return info;
          },
        },
      },
    ]);
    const result = await multi(s.config({ url: proxy.url }));
    expectFailed(result, /columns differ: .*lacks colour/, 2);
    await expectNothingMoved(s);
  });

  it('speaks another protocol (404 on /v1/info, like NunezReplication): says so, not retried', async () => {
    const s = await setup();
    const proxy = await s.proxy([
      { path: '/v1/info', fault: { answer: 404, body: { error: 'Route not found' } } },
    ]);
    const result = await multi(s.config({ url: proxy.url }));
    expect(proxy.count('/v1/info')).toBe(1);
    expectFailed(result, /does not speak the nsync protocol|NunezReplication/, 2);
    await expectNothingMoved(s);
  });

  it('breaker: after `breakAfter` failed requests the remaining tables are skipped without connecting', async () => {
    const tables = [{ name: 'items' }, { name: 'items2' }, { name: 'items3' }];
    const s = await setup({ tables });
    // /v1/info answers; then the remote dies: every later request loses its connection.
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { drop: true } }]);
    const result = await multi(s.config({ url: proxy.url, syncMode: 'pull', retries: 0, breakAfter: 2 }));
    expectFailed(result, /./, 3);
    const [first, second, third] = result.tables;
    expect(first?.error).toMatch(/^items \(hq → here\): remote hq .*(other side closed|socket|ECONNRESET)/i);
    expect(second?.error).toMatch(/^items2 \(hq → here\): /);
    expect(third?.error).toMatch(/^items3 \(hq → here\): remote hq .* skipped after repeated failures/);
    const pulls = proxy.requests.filter((r) => r.path === '/v1/pull');
    expect(pulls).toHaveLength(2);
    // No connection was opened after the second failed request.
    expect(proxy.connections).toBe(pulls[1]?.connection);
    expect(proxy.count()).toBe(3);
    await expectNothingMoved(s);
    proxy.setRules([]);
    const healed = await multi(s.config({ url: proxy.url, syncMode: 'pull' }));
    expect(failures(healed)).toEqual([]);
    for (const t of tables) expect(await ids(s.master, t.name)).toEqual([1, 2, 3, 101, 102, 103]);
  });
});

async function insertRowsWithoutNote(db: TestDatabase, rows: number[]): Promise<void> {
  for (const id of rows)
    await db.knex('items').insert({ id, name: `row ${id}`, qty: id, price: '1.50', updated_at: AT });
}

describe('nsync multi (the binary): failures and exit codes', () => {
  beforeAll(() => requireBuilt());

  function writeConfig(raw: unknown): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'nsync-faults-'));
    folders.push(dir);
    const file = join(dir, 'nsync.json');
    writeFileSync(file, JSON.stringify(raw, null, 2));
    return { dir, file };
  }

  it('a remote answering 500: exit 1, the output names the remote, the table and the cause', async () => {
    const s = await setup();
    const proxy = await s.proxy([{ path: '/v1/pull', fault: { answer: 500, body: { error: 'boom' } } }]);
    const { dir, file } = writeConfig({
      environment: 'test-env',
      mode: 'master-slave',
      databases: { master: { url: s.master.url }, slave: { url: s.slave.url } },
      replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      remoteEnvironments: { [REMOTE]: { url: proxy.url, apiKey: TEST_KEY } },
    });
    const run = await runNsync(['multi', file], { cwd: dir });
    expect(run.code).toBe(1);
    // Off a terminal, failures go to stderr: table, direction (so the remote), and the cause.
    expect(run.stderr).toMatch(
      /items\s+hq → here\s+FAILED: remote hq \(http:\/\/127\.0\.0\.1:\d+\) answered 500: boom/,
    );
    expect(await cursors(s.master)).toEqual({ 'items/push': expect.any(String) });
    expect(await ids(s.master)).toEqual([101, 102, 103]);
  });

  it('the local database does not exist: exit 4, the message names the database', async () => {
    const missing = `nsync_t_missing_${process.pid}`;
    const { dir, file } = writeConfig({
      environment: 'test-env',
      mode: 'master-slave',
      databases: {
        master: { url: `postgres://postgres@127.0.0.1:5432/${missing}` },
        slave: { url: `postgres://postgres@127.0.0.1:5432/${missing}` },
      },
      replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      remoteEnvironments: { [REMOTE]: { url: 'http://127.0.0.1:9', apiKey: TEST_KEY } },
    });
    const run = await runNsync(['multi', file], { cwd: dir });
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 4,
      stderr: expect.stringContaining(missing),
    });
    expect(run.stderr).toMatch(/cannot connect/);
    expect(run.stderr).not.toContain('    at ');
  });

  it('the local database server is down (--no-local): exit 4, the message names the database', async () => {
    const port = await closedPort();
    const { dir, file } = writeConfig({
      environment: 'test-env',
      mode: 'master-slave',
      databases: {
        master: { url: `postgres://postgres@127.0.0.1:${port}/nsync_down` },
        slave: { url: `postgres://postgres@127.0.0.1:${port}/nsync_down` },
      },
      replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      remoteEnvironments: { [REMOTE]: { url: 'http://127.0.0.1:9', apiKey: TEST_KEY } },
    });
    const run = await runNsync(['multi', file, '--no-local'], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`127.0.0.1:${port}/nsync_down`);
    expect(run.stderr).toMatch(/ECONNREFUSED|refused/);
  });
});

describe('nsync multi: a cursor the remote no longer accepts', () => {
  it('takes a new snapshot when the remote did not issue its cursor (its database was replaced)', async () => {
    const s = await setup();
    expect(failures(await multi(s.config()))).toEqual([]);
    // As if hq's database had been replaced: its cursor key is new, so it refuses the old cursor.
    const stale = (await cursors(s.master))['items/pull'] as string;
    const [body] = stale.split('.');
    await s.master
      .knex('nsync_cursors')
      .where({ peer: REMOTE, direction: 'pull' })
      .update({
        position: `${body}.${'A'.repeat(43)}`,
      });
    await insertRows(s.server.db, 'items', [4]);
    const warnings: string[] = [];
    const again = await syncMulti(s.config(), {
      local: false,
      reporter: { event: (e) => (e.type === 'warning' ? warnings.push(e.message) : undefined) },
    });
    expect(failures(again)).toEqual([]);
    expect(warnings.join('\n')).toMatch(/cursor.*new snapshot/);
    expect(await ids(s.master)).toEqual([1, 2, 3, 4, 101, 102, 103]);
    expect((await cursors(s.master))['items/pull']).not.toContain('A'.repeat(43));
  });
});
