import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/index.js';
import { lockPath } from '../../src/engine/lock.js';
import { ITEMS_DDL } from '../helpers/databases.js';
import { BIN, requireBuilt, runNsync, type CliResult } from '../helpers/cli.js';

/**
 * The built `nsync` binary as cron runs it: exit codes (DESIGN §7), and messages on stderr
 * that name what is wrong without a stack trace. SQLite files in a temp folder per test.
 */

const OTHERS_DDL = `CREATE TABLE others (id integer PRIMARY KEY, label text, updated_at datetime)`;
const STACK = '    at ';

const folders: string[] = [];

/** A temp folder holding a config and SQLite files named relative to it. */
class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'nsync-e2e-'));

  constructor() {
    folders.push(this.dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs SQL on one SQLite file, creating it; returns the rows of the last statement if it reads. */
  sql(file: string, ...statements: string[]): unknown[] {
    const db = new Database(this.path(file));
    try {
      let rows: unknown[] = [];
      for (const s of statements) {
        const stmt = db.prepare(s);
        if (stmt.reader) rows = stmt.all();
        else stmt.run();
      }
      return rows;
    } finally {
      db.close();
    }
  }

  writeConfig(name: string, raw: unknown): string {
    writeFileSync(this.path(name), JSON.stringify(raw, null, 2));
    return this.path(name);
  }

  run(...args: string[]): Promise<CliResult> {
    return runNsync(args, { cwd: this.dir });
  }
}

/** A master-slave config over master.db and slave.db beside it. */
function configFor(tables: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    environment: 'e2e',
    mode: 'master-slave',
    databases: { master: { url: 'sqlite:master.db' }, slave: { url: 'sqlite:slave.db' } },
    replication: { tables: tables.map((t) => ({ primaryKey: 'id', ...t })) },
    ...extra,
  };
}

/** Both databases with `items` (one row on the master) and any further DDL. */
function withItems(ws: Workspace, ...ddl: string[]): void {
  ws.sql('master.db', ITEMS_DDL.sqlite, ...ddl);
  ws.sql('slave.db', ITEMS_DDL.sqlite, ...ddl);
  ws.sql(
    'master.db',
    `INSERT INTO items (id, name, qty, price, note, updated_at) VALUES (1, 'apple', 3, 1.5, NULL, '2025-01-01 10:00:00')`,
  );
}

const count = (ws: Workspace, file: string, table: string): number =>
  Number((ws.sql(file, `SELECT count(*) AS n FROM ${table}`)[0] as { n: number }).n);

/** The exit code, and a stderr free of stack traces, shown together when either is wrong. */
function expectExit(result: CliResult, code: number): void {
  expect({ code: result.code, stackInStderr: result.stderr.includes(STACK), stderr: result.stderr }).toEqual({
    code,
    stackInStderr: false,
    stderr: expect.any(String),
  });
}

beforeAll(() => requireBuilt());

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('nsync binary: config problems exit 3', () => {
  it('a config path that does not exist is an error naming it, never a fallback to the one in cwd', async () => {
    const ws = new Workspace();
    withItems(ws);
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }]));
    expectExit(await ws.run('install'), 0);

    const missing = await ws.run('sync', 'missing-config.json');
    expectExit(missing, 3);
    expect(missing.stderr).toContain('missing-config.json');
    expect(missing.stdout).toBe('');
    expect(count(ws, 'slave.db', 'items')).toBe(0);

    // The config in cwd works: the run above had something to fall back on and did not.
    expectExit(await ws.run('sync'), 0);
    expect(count(ws, 'slave.db', 'items')).toBe(1);
  });

  it('an invalid config shows every problem as `path: message` at once', async () => {
    const ws = new Workspace();
    ws.writeConfig('bad.json', {
      ...configFor([{ primaryKey: 'id' }]),
      mode: 'master-bogus',
    });
    const result = await ws.run('sync', 'bad.json');
    expectExit(result, 3);
    expect(result.stderr).toContain('bad.json');
    expect(result.stderr).toMatch(/^\s*mode: \S.*$/m);
    expect(result.stderr).toMatch(/^\s*replication\.tables\[0\]\.name: \S.*$/m);
  });
});

describe('nsync binary: an unreachable database exits 4', () => {
  it('names the database it cannot reach', async () => {
    const ws = new Workspace();
    ws.writeConfig('nsync.config.json', {
      ...configFor([{ name: 'items' }]),
      databases: { master: { url: 'mysql://root@127.0.0.1:1/x' }, slave: { url: 'sqlite:slave.db' } },
    });
    const result = await ws.run('sync');
    expectExit(result, 4);
    expect(result.stderr).toMatch(/master/);
    expect(result.stderr).toContain('127.0.0.1:1');
  });
});

describe('nsync binary: a table that cannot be synced exits 1, and the others still sync', () => {
  it('a configured table missing from the databases', async () => {
    const ws = new Workspace();
    withItems(ws);
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }, { name: 'ghost' }]));
    const install = await ws.run('install');
    expectExit(install, 1);
    expect(install.stderr).toContain('ghost');

    const result = await ws.run('sync');
    expectExit(result, 1);
    // Loud failure (DESIGN §1.7): the failed table's line goes to stderr, where cron and
    // `>/dev/null` keep it; the table that synced is reported on stdout.
    expect(result.stderr).toMatch(/^ghost\s.*does not exist/m);
    expect(result.stdout).toMatch(/^items\s.*inserted 1/m);
    expect(count(ws, 'slave.db', 'items')).toBe(1);
  });

  it('a table without a primary key, and one without the timestamp column', async () => {
    const ws = new Workspace();
    withItems(
      ws,
      `CREATE TABLE nopk (id integer, name text, updated_at datetime)`,
      `CREATE TABLE nots (id integer PRIMARY KEY, name text)`,
    );
    ws.writeConfig('nsync.config.json', configFor([{ name: 'nopk' }, { name: 'items' }, { name: 'nots' }]));
    expectExit(await ws.run('install'), 1);

    const result = await ws.run('sync');
    expectExit(result, 1);
    expect(result.stderr).toMatch(/^nopk\s.*no primary key/m);
    expect(result.stderr).toMatch(/^nots\s.*no timestamp column updated_at/m);
    expect(count(ws, 'slave.db', 'items')).toBe(1);
  });
});

describe('nsync binary: usage errors exit 2', () => {
  it('an unknown option', async () => {
    const ws = new Workspace();
    withItems(ws);
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }]));
    const result = await ws.run('sync', '--bogus');
    expectExit(result, 2);
    expect(result.stderr).toContain('--bogus');
  });

  it('an unknown --table name', async () => {
    const ws = new Workspace();
    withItems(ws);
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }]));
    expectExit(await ws.run('install'), 0);
    const result = await ws.run('sync', '--table', 'nosuch');
    expectExit(result, 2);
    expect(result.stderr).toContain('nosuch');
    expect(count(ws, 'slave.db', 'items')).toBe(0);
  });
});

describe('nsync binary: the run lock', () => {
  async function lockedWorkspace(): Promise<{ ws: Workspace; lock: string }> {
    const ws = new Workspace();
    withItems(ws);
    const file = ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }]));
    expectExit(await ws.run('install'), 0);
    const lock = lockPath(await loadConfig(file, { env: {} }));
    return { ws, lock };
  }

  it('a live holder makes the run exit 5, naming its pid, and its lock stays', async () => {
    const { ws, lock } = await lockedWorkspace();
    writeFileSync(lock, String(process.pid));
    try {
      const result = await ws.run('sync');
      expectExit(result, 5);
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
      expect(count(ws, 'slave.db', 'items')).toBe(0);
    } finally {
      rmSync(lock, { force: true });
    }
  });

  it('a stale lock (its process is gone) is taken over, and released after the run', async () => {
    const { ws, lock } = await lockedWorkspace();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    writeFileSync(lock, String(dead));
    try {
      const result = await ws.run('sync');
      expectExit(result, 0);
      expect(count(ws, 'slave.db', 'items')).toBe(1);
      expect(existsSync(lock)).toBe(false);
    } finally {
      rmSync(lock, { force: true });
    }
  });
});

describe('nsync binary: output nobody reads', () => {
  it('finishes the sync when its reader goes away (`nsync sync --json | head -1`)', async () => {
    const ws = new Workspace();
    withItems(ws, OTHERS_DDL);
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }, { name: 'others' }]));
    expectExit(await ws.run('install'), 0);
    const child = spawn(process.execPath, [BIN, 'sync', '--json'], {
      cwd: ws.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before nsync writes a line: every write to stdout fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
    expect(count(ws, 'slave.db', 'items')).toBe(1);
  });
});

describe('nsync binary: the happy path', () => {
  it('check fails before install; install, check, dry run, sync and --json then succeed', async () => {
    const ws = new Workspace();
    withItems(ws, OTHERS_DDL);
    ws.sql(
      'master.db',
      `INSERT INTO others (id, label, updated_at) VALUES (7, 'seven', '2025-01-02 00:00:00')`,
    );
    ws.writeConfig('nsync.config.json', configFor([{ name: 'items' }, { name: 'others' }]));

    const before = await ws.run('check');
    expectExit(before, 1);
    expect(before.stdout + before.stderr).toContain('nsync install');

    expectExit(await ws.run('install'), 0);
    const check = await ws.run('check');
    expectExit(check, 0);
    expect(check.stderr).toBe('');

    const dry = await ws.run('sync', '--dry-run');
    expectExit(dry, 0);
    expect(count(ws, 'slave.db', 'items')).toBe(0);
    expect(count(ws, 'slave.db', 'others')).toBe(0);
    expect(count(ws, 'slave.db', 'nsync_cursors')).toBe(0);

    const sync = await ws.run('sync');
    expectExit(sync, 0);
    expect(sync.stderr).toBe('');
    const lines = sync.stdout.split('\n').filter((l) => l !== '');
    expect(lines.filter((l) => /^items\s/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^others\s/.test(l))).toHaveLength(1);
    expect(lines.some((l) => /FAILED/.test(l))).toBe(false);
    expect(count(ws, 'slave.db', 'items')).toBe(1);
    expect(count(ws, 'slave.db', 'others')).toBe(1);

    ws.sql('master.db', `UPDATE items SET qty = 4, updated_at = '2025-01-03 00:00:00' WHERE id = 1`);
    const json = await ws.run('sync', '--json');
    expectExit(json, 0);
    const events = json.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; result?: { ok: boolean } });
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', result: { ok: true } });
    expect(ws.sql('slave.db', `SELECT qty FROM items WHERE id = 1`)).toEqual([{ qty: 4 }]);
  });
});
