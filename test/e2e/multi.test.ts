import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableResult } from '../../src/index.js';
import { emptyCounts } from '../../src/core/types.js';
import type { TestDatabase } from '../helpers/databases.js';
import { requireBuilt } from '../helpers/cli.js';
import {
  Environment,
  killAllCli,
  runCli,
  startCli,
  type CliEvent,
  type CliRun,
} from '../helpers/environments.js';
import { items, iso, type Item } from '../helpers/rows.js';
import { killAllServe } from '../helpers/serveProcess.js';

/**
 * `nsync multi` end to end (DESIGN §1, §6-7): three environments, each its own databases and its
 * own `nsync serve` process — hq on PostgreSQL, store-a on MariaDB, store-b on SQLite. The stores
 * exchange with hq over HTTP; everything is checked by reading every master and slave back.
 *
 * Row times are set relative to the wall clock when the file started: `at(-600)` is ten minutes
 * before. A delete is stamped by the database clock when it happens, so it is newer than any
 * `at(-n)` and older than any `at(+n)`.
 */

const KEY = `multi-e2e-${randomBytes(12).toString('hex')}`;
const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), 'nsync-multi-e2e-'));
/** Lock files go to the temp folder, so a killed run's stale lock stays where the test can see it. */
const childEnv = { NSYNC_LOCK_DIR: dir };

const start = Date.now();
/** A row time `seconds` from when the file started, with milliseconds (SQLite keeps no more). */
const at = (seconds: number): string =>
  new Date(start + seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');

const row = (id: number, name: string, time: string) => ({
  id,
  name,
  qty: id % 1000,
  price: '1.50',
  note: `note ${id}`,
  updated_at: time,
});

let hq: Environment;
let storeA: Environment;
let storeB: Environment;
const all = (): Environment[] => [hq, storeA, storeB];

function isTableEnd(event: CliEvent, direction: string): boolean {
  return event.type === 'table-end' && (event.result as TableResult).direction === direction;
}

function tableEnds(run: CliRun): TableResult[] {
  return run.events.filter((e) => e.type === 'table-end').map((e) => e.result as TableResult);
}

/** Fails with everything worth reading when a run did not end with 0 and every table ok. */
function expectClean(run: CliRun, what: string): TableResult[] {
  const ends = tableEnds(run);
  const failed = ends.filter((t) => !t.ok);
  const runEnd = run.events.some((e) => e.type === 'run-end');
  if (run.code !== 0 || failed.length > 0 || !runEnd) {
    throw new Error(
      `${what}: exit ${String(run.code)} (signal ${String(run.signal)}), failed tables ${JSON.stringify(failed)}\n` +
        `stderr: ${run.stderr}\nstdout: ${run.stdout.slice(-3000)}`,
    );
  }
  return ends;
}

/** `nsync multi <env's config> --json`, which must exit 0 with every table ok. */
async function multi(env: Environment, variant?: string): Promise<TableResult[]> {
  const run = await runCli(['multi', env.configPath(variant), '--json'], { cwd: dir, env: childEnv });
  return expectClean(run, `nsync multi for ${env.name}${variant ? ` (${variant})` : ''}`);
}

/** `nsync sync` (the local pass only), which must exit 0 with every table ok. */
async function localPass(env: Environment): Promise<TableResult[]> {
  const run = await runCli(['sync', env.configPath(), '--json'], { cwd: dir, env: childEnv });
  return expectClean(run, `nsync sync for ${env.name}`);
}

/**
 * What each environment's cron would do until nothing is left in flight: store-a, store-b,
 * store-a again (so store → hq → store both ways), then each environment's local pass, so that
 * every slave has what its master got from the remote.
 */
async function converge(): Promise<void> {
  await multi(storeA);
  await multi(storeB);
  await multi(storeA);
  await Promise.all([multi(hq), localPass(storeA), localPass(storeB)]);
}

/** `nsync install`: nsync's tables and triggers in the environment's master and slave. */
async function install(env: Environment): Promise<void> {
  const run = await runCli(['install', env.configPath()], { cwd: dir, env: childEnv });
  if (run.code !== 0) throw new Error(`install ${env.name}: exit ${String(run.code)}: ${run.stderr}`);
}

const rowsOf = (db: TestDatabase): Promise<Item[]> => items(db, 'items');
const ids = (rows: Item[]) => rows.map((r) => r.id);
const byId = (rows: Item[], id: number) => rows.find((r) => r.id === id);

/** Every master and slave, by name. */
async function everyDatabase(): Promise<Record<string, Item[]>> {
  const entries = await Promise.all(
    all().flatMap((env) => [
      rowsOf(env.master).then((rows) => [`${env.name} master`, rows] as const),
      rowsOf(env.slave).then((rows) => [`${env.name} slave`, rows] as const),
    ]),
  );
  return Object.fromEntries(entries);
}

/** 'same', or a short account of how `rows` differ from `reference` (tables are too big for a diff). */
function difference(reference: Item[], rows: Item[]): unknown {
  const want = new Map(reference.map((r) => [r.id, JSON.stringify(r)]));
  const have = new Map(rows.map((r) => [r.id, JSON.stringify(r)]));
  const missing = [...want.keys()].filter((id) => !have.has(id));
  const extra = [...have.keys()].filter((id) => !want.has(id));
  const differing = [...want.entries()].filter(([id, text]) => have.has(id) && have.get(id) !== text);
  if (rows.length === reference.length && missing.length + extra.length + differing.length === 0)
    return 'same';
  return {
    count: rows.length,
    expectedCount: reference.length,
    missing: missing.slice(0, 5),
    missingCount: missing.length,
    extra: extra.slice(0, 5),
    extraCount: extra.length,
    differing: differing.slice(0, 3).map(([id, text]) => ({ want: text, have: have.get(id) })),
  };
}

/** Every master and slave holds exactly hq master's rows; returns them. */
async function expectConverged(): Promise<Item[]> {
  const dbs = await everyDatabase();
  const reference = dbs['hq master'] ?? [];
  const report = Object.fromEntries(
    Object.entries(dbs).map(([name, rows]) => [name, difference(reference, rows)]),
  );
  expect(report).toEqual(Object.fromEntries(Object.keys(dbs).map((name) => [name, 'same'])));
  return reference;
}

async function insert(db: TestDatabase, rows: ReturnType<typeof row>[]): Promise<void> {
  await db.knex.batchInsert('items', rows, db.dialect === 'sqlite' ? 100 : 1000);
}

async function update(db: TestDatabase, id: number, name: string, time: string): Promise<void> {
  const changed = await db.knex('items').where({ id }).update({ name, updated_at: time });
  expect(changed).toBe(1);
}

async function remove(db: TestDatabase, id: number): Promise<void> {
  const deleted = await db.knex('items').where({ id }).delete();
  expect(deleted).toBe(1);
}

const changed = (t: TableResult) => ({
  direction: t.direction,
  inserted: t.counts.inserted,
  updated: t.counts.updated,
  deleted: t.counts.deleted,
});

beforeAll(async () => {
  requireBuilt();
  [hq, storeA, storeB] = await Promise.all([
    Environment.create('hq', 'postgres', { dir, apiKey: KEY, batchSize: BATCH }),
    Environment.create('store-a', 'mysql', { dir, apiKey: `${KEY}-a`, batchSize: BATCH }),
    Environment.create('store-b', 'sqlite', { dir, apiKey: `${KEY}-b`, batchSize: BATCH }),
  ]);
  hq.writeConfig({});
  await install(hq);
  await hq.startServe();
  for (const store of [storeA, storeB]) {
    store.writeConfig({ hq: { url: hq.url, apiKey: KEY } });
    store.writeConfig({ hq: { url: hq.url, apiKey: KEY, syncMode: 'push' } }, 'push-only');
    store.writeConfig({ hq: { url: hq.url, apiKey: KEY, syncMode: 'pull' } }, 'pull-only');
  }
  await Promise.all([install(storeA), install(storeB)]);
  await Promise.all([storeA.startServe(), storeB.startServe()]);
}, 120_000);

afterAll(async () => {
  await killAllCli();
  await killAllServe();
  await Promise.allSettled(
    all()
      .filter(Boolean)
      .map((env) => env.drop()),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('nsync multi: hq (PostgreSQL), store-a (MariaDB), store-b (SQLite), each with nsync serve', () => {
  it('inserts in each environment reach every other one, store → hq → store both ways', async () => {
    await insert(
      storeA.master,
      [1, 2, 3].map((id) => row(id, `a-${id}`, at(-600))),
    );
    await insert(
      storeB.master,
      [11, 12, 13].map((id) => row(id, `b-${id}`, at(-600))),
    );
    await insert(
      hq.master,
      [21, 22, 23].map((id) => row(id, `hq-${id}`, at(-600))),
    );

    const first = await multi(storeA);
    expect(first.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 3, updated: 0, deleted: 0 },
      { direction: 'hq → here', inserted: 3, updated: 0, deleted: 0 },
      { direction: 'here → hq', inserted: 3, updated: 0, deleted: 0 },
    ]);
    expect(ids(await rowsOf(hq.master))).toEqual([1, 2, 3, 21, 22, 23]);
    // store-a's rows reach store-b through hq, and store-b's reach hq.
    await multi(storeB);
    expect(ids(await rowsOf(storeB.master))).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    expect(ids(await rowsOf(hq.master))).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    // ... and store-b's reach store-a through hq.
    await converge();
    const rows = await expectConverged();
    expect(ids(rows)).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    expect(byId(rows, 12)).toEqual(row(12, 'b-12', iso(at(-600)) ?? ''));
  });

  it('updates made anywhere reach everywhere', async () => {
    await update(storeA.master, 11, 'b-11 changed in store-a', at(-500));
    await update(storeB.master, 1, 'a-1 changed in store-b', at(-500));
    await update(hq.master, 2, 'a-2 changed in hq', at(-500));
    await update(storeB.master, 23, 'hq-23 changed in store-b', at(-500));
    await converge();
    const rows = await expectConverged();
    expect([11, 1, 2, 23].map((id) => byId(rows, id)?.name)).toEqual([
      'b-11 changed in store-a',
      'a-1 changed in store-b',
      'a-2 changed in hq',
      'hq-23 changed in store-b',
    ]);
  });

  it('last write wins whichever side made it, between a store and hq and between the two stores', async () => {
    // Row 3: store-a's change is newer than hq's. Row 12: hq's is newer than store-a's.
    await update(storeA.master, 3, 'store-a wins', at(-400));
    await update(hq.master, 3, 'hq loses', at(-450));
    await update(storeA.master, 12, 'store-a loses', at(-450));
    await update(hq.master, 12, 'hq wins', at(-400));
    // Row 13: store-b's change is newer than store-a's (they meet at hq); row 22 the other way.
    await update(storeA.master, 13, 'store-a loses', at(-450));
    await update(storeB.master, 13, 'store-b wins', at(-400));
    await update(storeA.master, 22, 'store-a wins', at(-400));
    await update(storeB.master, 22, 'store-b loses', at(-450));
    await converge();
    const rows = await expectConverged();
    expect([3, 12, 13, 22].map((id) => [id, byId(rows, id)?.name, byId(rows, id)?.updated_at])).toEqual([
      [3, 'store-a wins', iso(at(-400))],
      [12, 'hq wins', iso(at(-400))],
      [13, 'store-b wins', iso(at(-400))],
      [22, 'store-a wins', iso(at(-400))],
    ]);
  });

  it('deletes cross environments, and older updates made meanwhile never resurrect the row', async () => {
    await remove(storeA.master, 21);
    // Made after the delete but stamped older than it: both must lose to the tombstone.
    await update(hq.master, 21, 'older update in hq', at(-300));
    await update(storeB.master, 21, 'older update in store-b', at(-300));
    await remove(hq.master, 2);
    await remove(storeB.master, 1);
    await converge();
    const rows = await expectConverged();
    expect(ids(rows)).toEqual([3, 11, 12, 13, 22, 23]);
    // Nothing brings them back on later runs either.
    await converge();
    expect(ids(await expectConverged())).toEqual([3, 11, 12, 13, 22, 23]);
  });

  it('a row re-inserted with a newer time than its delete comes back everywhere', async () => {
    await insert(storeB.master, [row(21, '21 is back', at(+600))]);
    await insert(hq.master, [row(1, '1 is back', at(+600))]);
    await insert(storeA.master, [row(2, '2 is back', at(+600))]);
    await converge();
    const rows = await expectConverged();
    expect(ids(rows)).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
    expect([1, 2, 21].map((id) => byId(rows, id)?.name)).toEqual(['1 is back', '2 is back', '21 is back']);
  });

  it('a change made in store-a reaches store-b through hq and never echoes back', async () => {
    await insert(storeA.master, [row(31, 'from store-a', at(-200))]);
    await update(storeA.master, 11, 'b-11 changed again in store-a', at(-200));
    const a = await multi(storeA);
    expect(a.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 1, updated: 1, deleted: 0 },
      { direction: 'hq → here', inserted: 0, updated: 0, deleted: 0 },
      { direction: 'here → hq', inserted: 1, updated: 1, deleted: 0 },
    ]);
    const b = await multi(storeB);
    expect(b.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 0, updated: 0, deleted: 0 },
      { direction: 'hq → here', inserted: 1, updated: 1, deleted: 0 },
      { direction: 'here → hq', inserted: 0, updated: 0, deleted: 0 },
    ]);
    await Promise.all([multi(hq), localPass(storeB)]);
    await localPass(storeA);
    const rows = await expectConverged();
    expect(byId(rows, 31)?.name).toBe('from store-a');

    // Everything has converged: no run of either store sends a single change either way. (`read`
    // counts log entries looked at, including those skipped because they came from the reader.)
    const nothing = { ...emptyCounts() };
    for (const store of [storeA, storeB, storeA, storeB]) {
      const again = await multi(store);
      expect({
        store: store.name,
        tables: again.map((t) => ({ direction: t.direction, remote: t.remote ?? null, counts: t.counts })),
      }).toEqual({
        store: store.name,
        tables: [
          { direction: 'master → slave', remote: null, counts: nothing },
          { direction: 'hq → here', remote: 'hq', counts: nothing },
          { direction: 'here → hq', remote: 'hq', counts: nothing },
        ],
      });
    }
    await expectConverged();
  });

  it('a push-only remote only pushes and a pull-only remote only pulls', async () => {
    await insert(storeA.master, [row(41, 'store-a, before the push-only run', at(-100))]);
    await insert(hq.master, [row(42, 'hq, waits for a pull', at(-100))]);

    const pushed = await multi(storeA, 'push-only');
    expect(pushed.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 1, updated: 0, deleted: 0 },
      { direction: 'here → hq', inserted: 1, updated: 0, deleted: 0 },
    ]);
    expect(ids(await rowsOf(hq.master))).toContain(41);
    expect(ids(await rowsOf(storeA.master))).not.toContain(42);

    await insert(storeA.master, [row(43, 'store-a, before the pull-only run', at(-100))]);
    const pulled = await multi(storeA, 'pull-only');
    expect(pulled.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 1, updated: 0, deleted: 0 },
      { direction: 'hq → here', inserted: 1, updated: 0, deleted: 0 },
    ]);
    expect(ids(await rowsOf(storeA.master))).toContain(42);
    expect(ids(await rowsOf(hq.master))).not.toContain(43);

    // The cursors are shared with the bidirectional config: it sends 43 and nothing twice.
    const both = await multi(storeA);
    expect(both.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 1, updated: 0, deleted: 0 },
      { direction: 'hq → here', inserted: 0, updated: 0, deleted: 0 },
      { direction: 'here → hq', inserted: 1, updated: 0, deleted: 0 },
    ]);
    await converge();
    expect(ids(await expectConverged())).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 41, 42, 43]);
  });
});

describe('nsync multi: crashes and restarts', () => {
  /**
   * Rows for the large exchanges: enough batches (of BATCH) for a kill to land part way. Not the
   * 60 000 one would like: on MariaDB, numbering the change log (assignRound) updates pending
   * entries 2 000 keys at a time with `(table_name, pk) IN (…)`, which MariaDB runs as a full scan
   * of nsync_changes, so it is quadratic — 60 000 pulled rows cost the next push ~50 s.
   */
  const LARGE = 24_000;
  const RESTART_ROWS = 12_000;
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  it('killed with SIGKILL part way through a large push, it takes over its stale lock and converges on the next run', async () => {
    const before = (await rowsOf(hq.master)).length;
    const bulk = range(100_001, LARGE);
    await insert(
      storeB.master,
      bulk.map((id) => row(id, `bulk ${id}`, at(-50))),
    );
    const run = startCli(['multi', storeB.configPath(), '--json'], { cwd: dir, env: childEnv });
    try {
      await run.waitForEvent(
        (e) => e.type === 'batch' && e.direction === 'here → hq',
        'a first batch pushed to hq',
        60_000,
      );
    } finally {
      await run.kill();
    }
    const killed = await run.done;
    expect({ signal: killed.signal, ended: killed.events.some((e) => e.type === 'run-end') }).toEqual({
      signal: 'SIGKILL',
      ended: false,
    });
    // Part way: hq has some of the rows, not all.
    const atHq = (await rowsOf(hq.master)).length - before;
    expect(atHq).toBeGreaterThan(0);
    expect(atHq).toBeLessThan(LARGE);
    // The killed run left its lock behind, naming a process that no longer exists.
    const locks = () => readdirSync(dir).filter((f) => /^nsync-[0-9a-f]+\.lock$/.test(f));
    expect(locks().map((f) => readFileSync(join(dir, f), 'utf8').trim())).toEqual([String(run.child.pid)]);

    // The next run takes the stale lock over (no exit 5), finishes the push and releases the lock.
    const again = await runCli(['multi', storeB.configPath(), '--json'], { cwd: dir, env: childEnv });
    const ends = expectClean(again, 'nsync multi for store-b after the kill');
    expect(ends.map((t) => t.direction)).toEqual(['master → slave', 'hq → here', 'here → hq']);
    expect(locks()).toEqual([]);
    expect(ids(await rowsOf(hq.master)).filter((id) => id > 100_000)).toEqual(bulk);

    await converge();
    const rows = await expectConverged();
    expect(rows.length).toBe(before + LARGE);
    expect(ids(rows).filter((id) => id > 100_000)).toEqual(bulk);
  }, 150_000);

  it('hq restarted on the same port during a large pull: the retries carry the run through', async () => {
    const before = (await rowsOf(hq.master)).length;
    const bulk = range(300_001, RESTART_ROWS);
    await insert(
      hq.master,
      bulk.map((id) => row(id, `from hq ${id}`, at(-40))),
    );
    const port = hq.port;
    const run = startCli(['multi', storeB.configPath(), '--json'], { cwd: dir, env: childEnv });
    let restartedIn = 0;
    try {
      await run.waitForEvent(
        (e) => e.type === 'batch' && e.direction === 'hq → here',
        'a first batch pulled from hq',
        60_000,
      );
      const down = Date.now();
      await hq.serve?.kill();
      await hq.startServe();
      restartedIn = Date.now() - down;
    } catch (error) {
      await run.kill();
      throw error;
    }
    // The restart happened while the run was still pulling, on the same port the stores know.
    expect(run.events.some((e) => isTableEnd(e, 'hq → here'))).toBe(false);
    expect(hq.port).toBe(port);
    expect(restartedIn).toBeLessThan(2_500);

    const done = await run.done;
    const ends = expectClean(done, 'nsync multi for store-b across the restart of hq');
    const pulled = ends.find((t) => t.direction === 'hq → here');
    expect(pulled?.counts.inserted).toBe(RESTART_ROWS);
    // The new hq process answered part of the pull.
    const urls = (hq.serve?.logs ?? []).map((line) => (line.req as { url?: string } | undefined)?.url);
    expect(urls).toContain('/v1/pull');
    expect(ids(await rowsOf(storeB.master)).filter((id) => id > 300_000)).toEqual(bulk);

    await converge();
    const rows = await expectConverged();
    expect(rows.length).toBe(before + RESTART_ROWS);
  }, 120_000);

  it('hq down when the run starts and up 500 ms later: connection refused is retried', async () => {
    await hq.serve?.stop('SIGTERM');
    await insert(storeA.master, [row(51, 'pushed once hq is back', at(-30))]);
    await insert(hq.master, [row(52, 'pulled once hq is back', at(-30))]);
    const run = startCli(['multi', storeA.configPath(), '--json'], { cwd: dir, env: childEnv });
    try {
      // The local pass is over: the run is about to call hq, which is not listening yet.
      await run.waitForEvent((e) => isTableEnd(e, 'master → slave'), 'the end of the local pass', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await hq.startServe();
    } catch (error) {
      await run.kill();
      throw error;
    }
    const ends = expectClean(await run.done, 'nsync multi for store-a while hq came back');
    expect(ends.map(changed)).toEqual([
      { direction: 'master → slave', inserted: 1, updated: 0, deleted: 0 },
      { direction: 'hq → here', inserted: 1, updated: 0, deleted: 0 },
      { direction: 'here → hq', inserted: 1, updated: 0, deleted: 0 },
    ]);
    await converge();
    const rows = await expectConverged();
    expect([51, 52].map((id) => byId(rows, id)?.name)).toEqual([
      'pushed once hq is back',
      'pulled once hq is back',
    ]);
  }, 60_000);
});
