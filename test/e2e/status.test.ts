import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VERSION, type StatusReport } from '../../src/index.js';
import { requireBuilt, runNsync, type CliResult } from '../helpers/cli.js';
import { ITEMS_DDL } from '../helpers/databases.js';
import { closedPort } from '../helpers/faultProxy.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

/**
 * `nsync status` as monitoring runs it: the built binary against a real `nsync serve` (in this
 * process, over SQLite), from a local environment of two SQLite files. Exit 0 only when every
 * remote asked answers, accepts the key and has no stale table; exit 1 otherwise (DESIGN §7).
 */

const AT = '2025-01-01 10:00:00';
const STACK = '    at ';

let dir: string;
let server: TestServer;
let downPort: number;

function sql(file: string, ...statements: string[]): void {
  const db = new Database(join(dir, file));
  try {
    for (const s of statements) db.prepare(s).run();
  } finally {
    db.close();
  }
}

const insert = (id: number) =>
  `INSERT INTO items (id, name, qty, price, note, updated_at) VALUES (${id}, 'row ${id}', ${id}, 1.5, NULL, '${AT}')`;

/** The environment's config; `hq` may be given other fields (e.g. staleAfterMinutes). */
function writeConfig(name: string, hq: Record<string, unknown> = {}): string {
  const raw = {
    environment: 'store-1',
    mode: 'master-slave',
    databases: { master: { url: 'sqlite:master.db' }, slave: { url: 'sqlite:slave.db' } },
    replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
    remoteEnvironments: {
      hq: { url: server.url, apiKey: TEST_KEY, ...hq },
      // The same server, never exchanged with: its cursors are kept under its own name.
      never: { url: server.url, apiKey: TEST_KEY },
      down: { url: `http://127.0.0.1:${downPort}`, apiKey: TEST_KEY, retries: 0 },
      badkey: { url: server.url, apiKey: 'not-the-key' },
    },
  };
  writeFileSync(join(dir, name), JSON.stringify(raw, null, 2));
  return name;
}

const run = (...args: string[]): Promise<CliResult> => runNsync(args, { cwd: dir });

/** The exit code, with stderr free of stack traces, shown together when either is wrong. */
function expectExit(result: CliResult, code: number): void {
  expect({ code: result.code, stack: result.stderr.includes(STACK), stderr: result.stderr }).toEqual({
    code,
    stack: false,
    stderr: expect.any(String),
  });
}

function report(result: CliResult): StatusReport {
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as StatusReport;
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'nsync-status-'));
  downPort = await closedPort();
  server = await startTestServer('sqlite');
  for (const id of [1, 2, 3]) await server.db.knex.raw(insert(id));
  sql('master.db', ITEMS_DDL.sqlite, insert(101), insert(102), insert(103));
  sql('slave.db', ITEMS_DDL.sqlite);
  writeConfig('nsync.json');
  expectExit(await run('install', 'nsync.json'), 0);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nsync status (the binary)', () => {
  it('a table never exchanged with a remote is STALE: exit 1', async () => {
    const text = await run('status', 'nsync.json', '--env', 'never');
    expectExit(text, 1);
    expect(text.stdout).toMatch(/^ok\s+never http:\/\/127\.0\.0\.1:\d+\s+hq · nsync \S+ · clock/m);
    expect(text.stdout).toMatch(/^\s+items\s+pull\s+never\s+.*STALE$/m);
    expect(text.stdout).toMatch(/^\s+items\s+push\s+never\s+.*STALE$/m);
    expect(text.stdout).toContain('some remotes or tables need attention');

    const json = await run('status', 'nsync.json', '--env', 'never', '--json');
    expectExit(json, 1);
    const r = report(json);
    expect(r.ok).toBe(false);
    expect(r.remotes[0]).toMatchObject({ name: 'never', reachable: true, authorised: true });
    expect(r.remotes[0]?.tables[0]?.directions).toEqual([
      expect.objectContaining({ direction: 'pull', lastExchange: null, stale: true }),
      expect.objectContaining({ direction: 'push', lastExchange: null, stale: true }),
    ]);
  });

  it('a healthy remote after `nsync multi`: exit 0, its version, clock offset, last exchange and pending counts', async () => {
    expectExit(await run('multi', 'nsync.json', '--env', 'hq'), 0);
    // After the exchange: one new row on each side, waiting for the next run.
    sql('master.db', insert(104));
    await server.db.knex.raw(insert(4));

    const text = await run('status', 'nsync.json', '--env', 'hq');
    expectExit(text, 0);
    const escaped = VERSION.replace(/\./g, '\\.');
    expect(text.stdout).toMatch(
      new RegExp(
        `^ok\\s+hq http://127\\.0\\.0\\.1:\\d+\\s+hq · nsync ${escaped} · clock [+-]\\d+\\.\\d{2} s$`,
        'm',
      ),
    );
    expect(text.stdout).toMatch(/^\s+table\s+direction\s+last exchange\s+pending\s+conflicts$/m);
    expect(text.stdout).toMatch(/^\s+items\s+pull\s+\d+ s ago\s+1\s+0$/m);
    expect(text.stdout).toMatch(/^\s+items\s+push\s+\d+ s ago\s+1\s+0$/m);
    expect(text.stdout).not.toContain('STALE');
    expect(text.stdout).toContain('all remotes healthy');

    const json = await run('status', 'nsync.json', '--env', 'hq', '--json');
    expectExit(json, 0);
    const r = report(json);
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([]);
    const hq = r.remotes[0];
    expect(hq).toMatchObject({
      name: 'hq',
      url: server.url,
      reachable: true,
      authorised: true,
      environment: 'hq',
      version: VERSION,
    });
    expect(Math.abs(hq?.clockOffsetMs ?? Infinity)).toBeLessThan(1_000);
    expect(hq?.tables).toEqual([
      {
        table: 'items',
        conflicts: 0,
        directions: [
          { direction: 'pull', lastExchange: expect.any(String), pending: 1, stale: false },
          { direction: 'push', lastExchange: expect.any(String), pending: 1, stale: false },
        ],
      },
    ]);
    for (const d of hq?.tables[0]?.directions ?? []) {
      const age = Date.now() - Date.parse(d.lastExchange as string);
      expect(age).toBeGreaterThanOrEqual(-1_000);
      expect(age).toBeLessThan(60_000);
    }

    // The next run moves them, and nothing is pending any more.
    expectExit(await run('multi', 'nsync.json', '--env', 'hq'), 0);
    const after = report(await run('status', 'nsync.json', '--env', 'hq', '--json'));
    expect(after.remotes[0]?.tables[0]?.directions.map((d) => d.pending)).toEqual([0, 0]);
  });

  it('a table exchanged longer ago than staleAfterMinutes is STALE: exit 1', async () => {
    writeConfig('stale.json', { staleAfterMinutes: 0.001 });
    expectExit(await run('multi', 'stale.json', '--env', 'hq'), 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await run('status', 'stale.json', '--env', 'hq');
    expectExit(text, 1);
    expect(text.stdout).toMatch(/^\s+items\s+pull\s+\d+ s ago\s+.*STALE$/m);
    expect(text.stdout).toMatch(/^\s+items\s+push\s+\d+ s ago\s+.*STALE$/m);

    const r = report(await run('status', 'stale.json', '--env', 'hq', '--json'));
    expect(r.ok).toBe(false);
    for (const d of r.remotes[0]?.tables[0]?.directions ?? []) {
      expect(d.lastExchange).not.toBeNull();
      expect(d.stale).toBe(true);
    }
    // The same exchange under the default hour is not stale.
    expectExit(await run('status', 'nsync.json', '--env', 'hq'), 0);
  });

  it('a remote that is down: exit 1, "unreachable" and why', async () => {
    const text = await run('status', 'nsync.json', '--env', 'down');
    expectExit(text, 1);
    expect(text.stdout).toMatch(
      new RegExp(
        `^error\\s+down http://127\\.0\\.0\\.1:${downPort}\\s+unreachable: .*refused the connection`,
        'm',
      ),
    );

    const r = report(await run('status', 'nsync.json', '--env', 'down', '--json'));
    expect(r.ok).toBe(false);
    expect(r.remotes[0]).toMatchObject({ name: 'down', reachable: false, authorised: false, tables: [] });
    expect(r.remotes[0]?.error).toContain('ECONNREFUSED');
  });

  it('a remote that refuses the key: exit 1, "refuses the key"', async () => {
    const text = await run('status', 'nsync.json', '--env', 'badkey');
    expectExit(text, 1);
    expect(text.stdout).toMatch(/^error\s+badkey http:\/\/127\.0\.0\.1:\d+\s+refuses the key: .*401/m);
    expect(text.stdout).not.toContain('not-the-key');

    const r = report(await run('status', 'nsync.json', '--env', 'badkey', '--json'));
    expect(r.ok).toBe(false);
    expect(r.remotes[0]).toMatchObject({ name: 'badkey', reachable: true, authorised: false });
    expect(JSON.stringify(r)).not.toContain('not-the-key');
  });

  it('every remote at once: exit 1 when any is unhealthy, each reported on its own line', async () => {
    const text = await run('status', 'nsync.json');
    expectExit(text, 1);
    expect(text.stdout).toMatch(/^ok\s+hq /m);
    expect(text.stdout).toMatch(/^ok\s+never /m);
    expect(text.stdout).toMatch(/^error\s+down .*unreachable/m);
    expect(text.stdout).toMatch(/^error\s+badkey .*refuses the key/m);
    const r = report(await run('status', 'nsync.json', '--json'));
    expect(r.remotes.map((x) => [x.name, x.reachable, x.authorised])).toEqual([
      ['hq', true, true],
      ['never', true, true],
      ['down', false, false],
      ['badkey', true, false],
    ]);
  });
});
