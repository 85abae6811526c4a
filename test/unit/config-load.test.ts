import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from '@jest/globals';
import { loadConfig } from '../../src/config/index.js';
import { NsyncError } from '../../src/core/errors.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function tempDir(files: Record<string, string | object> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nsync-config-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

async function loadError(promise: Promise<unknown>): Promise<NsyncError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof NsyncError)) throw new Error(`expected an NsyncError, got ${String(outcome)}`);
  return outcome;
}

/** Every key NunezReplication's config.json has (PREDECESSOR.md §2), as its users write them. */
const PHP_CONFIG = {
  mode: 'master-slave',
  syncInterval: '*/5 * * * *',
  port: 8080,
  demoMode: false,
  api: { keys: ['key-one', 'key-two'] },
  remoteEnvironments: {
    production: { url: 'https://prod.example.com/', apiKey: 'prod-key', syncMode: 'push', timeout: 60 },
    staging: { url: 'http://staging.example.com' },
  },
  databases: {
    master: { host: 'localhost', port: 3306, user: 'root', password: 'secret', database: 'app' },
    slave: { host: '10.0.0.2', port: 3307, user: 'repl', password: '', database: 'app_replica' },
    stats: { host: 'localhost', port: 3306, user: 'root', password: 'secret', database: 'replication_stats' },
  },
  replication: {
    tables: [
      { name: 'users', primaryKey: 'id', timestampColumn: 'modified', ignoreColumns: ['last_login'] },
      { name: 'products', primaryKey: 'sku' },
    ],
  },
};

const SQLITE_CONFIG = {
  mode: 'master-slave',
  databases: { master: { filename: 'm.db' }, slave: { filename: 's.db' } },
  replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
};

describe('loadConfig', () => {
  it('loads a NunezReplication config.json unchanged: MySQL databases and nsync defaults', async () => {
    const dir = tempDir({ 'config.json': PHP_CONFIG });
    const config = await loadConfig('config.json', { cwd: dir, env: {} });

    expect(config.file).toBe(join(dir, 'config.json'));
    expect(config.environment).toBe('default');
    expect(config.mode).toBe('master-slave');
    expect(config.databases.master).toEqual({
      role: 'master',
      dialect: 'mysql',
      connection: { host: 'localhost', port: 3306, user: 'root', password: 'secret', database: 'app' },
    });
    expect(config.databases.slave).toEqual({
      role: 'slave',
      dialect: 'mysql',
      connection: { host: '10.0.0.2', port: 3307, user: 'repl', password: '', database: 'app_replica' },
    });
    expect(config.tables).toEqual([
      {
        name: 'users',
        primaryKey: ['id'],
        timestampColumn: 'modified',
        ignoreColumns: ['last_login'],
        conflict: 'lww',
        capture: 'trigger',
        maintainTimestamp: false,
        batchSize: 5000,
        lookbackSeconds: 300,
      },
      expect.objectContaining({
        name: 'products',
        primaryKey: ['sku'],
        timestampColumn: 'updated_at',
        ignoreColumns: [],
      }),
    ]);
    expect(config.api.keys).toEqual(['key-one', 'key-two']);
    expect(config.remotes).toEqual([
      {
        name: 'production',
        url: 'https://prod.example.com',
        apiKey: 'prod-key',
        syncMode: 'push',
        timeout: 60,
        protocol: 'nsync',
        retries: 4,
        breakAfter: 3,
        staleAfterMinutes: 60,
      },
      {
        name: 'staging',
        url: 'http://staging.example.com',
        syncMode: 'bidirectional',
        timeout: 30,
        protocol: 'nsync',
        retries: 4,
        breakAfter: 3,
        staleAfterMinutes: 60,
      },
    ]);
    expect(config.tombstoneRetentionDays).toBe(30);
  });

  it('fills a default MySQL port and an empty password into a PHP database block', async () => {
    const raw = structuredClone(PHP_CONFIG);
    raw.databases.master = { host: 'db', user: 'u', database: 'd' } as typeof raw.databases.master;
    const dir = tempDir({ 'config.json': raw });
    const config = await loadConfig(join(dir, 'config.json'), { env: {} });
    expect(config.databases.master.connection).toEqual({
      host: 'db',
      port: 3306,
      user: 'u',
      password: '',
      database: 'd',
    });
  });

  it('loads config.example.json without any environment variable set', async () => {
    const config = await loadConfig(join(ROOT, 'config.example.json'), { env: {} });
    expect(config.environment).toBe('store-12');
    expect(config.databases.master).toEqual({
      role: 'master',
      dialect: 'sqlite',
      connection: { filename: join(ROOT, 'data', 'master.db') },
    });
    expect(config.databases.slave?.connection).toEqual({ filename: join(ROOT, 'data', 'slave.db') });
    expect(config.tables.map((t) => t.primaryKey)).toEqual([['id'], ['order_id', 'line_no']]);
    expect(config.tables[1]).toMatchObject({ maintainTimestamp: true, batchSize: 2000 });
    expect(config.api.keys).toEqual(['change-me']);
    expect(config.remotes).toEqual([
      expect.objectContaining({ name: 'hq', url: 'http://127.0.0.1:8080', syncMode: 'bidirectional' }),
    ]);
  });

  it('takes ${VAR} values in config.example.json from the environment when set', async () => {
    const config = await loadConfig(join(ROOT, 'config.example.json'), {
      env: { NSYNC_API_KEY: 'from-env', NSYNC_HQ_API_KEY: 'hq-from-env' },
    });
    expect(config.api.keys).toEqual(['from-env']);
    expect(config.remotes[0]?.apiKey).toBe('hq-from-env');
  });

  it('resolves relative SQLite files against the config file, not the working directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'nsync.json'), JSON.stringify(SQLITE_CONFIG));
    const config = await loadConfig('conf/nsync.json', { cwd: dir, env: {} });
    expect(config.databases.master.connection).toEqual({ filename: join(dir, 'conf', 'm.db') });
  });

  it('reports a named file that does not exist, even when nsync.config.json is in the directory', async () => {
    const dir = tempDir({ 'nsync.config.json': SQLITE_CONFIG, 'config.json': SQLITE_CONFIG });
    const error = await loadError(loadConfig('config.prod.json', { cwd: dir, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('config file not found: config.prod.json');
    expect(error.details).toEqual([`looked for ${join(dir, 'config.prod.json')}`]);
  });

  it('finds nsync.config.json in cwd when no path is given', async () => {
    const dir = tempDir({
      'nsync.config.json': SQLITE_CONFIG,
      '.nsyncrc': { ...SQLITE_CONFIG, environment: 'rc' },
    });
    const config = await loadConfig(undefined, { cwd: dir, env: {} });
    expect(config.file).toBe(join(dir, 'nsync.config.json'));
    expect(config.environment).toBe('default');
  });

  it('reads .nsyncrc as JSON', async () => {
    const dir = tempDir({ '.nsyncrc': { ...SQLITE_CONFIG, environment: 'rc' } });
    const config = await loadConfig(undefined, { cwd: dir, env: {} });
    expect(config.file).toBe(join(dir, '.nsyncrc'));
    expect(config.environment).toBe('rc');
  });

  it('finds the "nsync" key of package.json, and skips a package.json without one', async () => {
    const withKey = tempDir({
      'package.json': { name: 'app', nsync: { ...SQLITE_CONFIG, environment: 'pkg' } },
    });
    expect((await loadConfig(undefined, { cwd: withKey, env: {} })).environment).toBe('pkg');

    const withoutKey = tempDir({ 'package.json': { name: 'app' } });
    const error = await loadError(loadConfig(undefined, { cwd: withoutKey, env: {} }));
    expect(error.message).toBe(`no nsync config found in ${withoutKey}`);
  });

  it('names the places it searched when it finds nothing', async () => {
    const dir = tempDir();
    const error = await loadError(loadConfig(undefined, { cwd: dir, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details[0]).toContain(
      'nsync.config.json, .nsyncrc, .nsyncrc.json, package.json ("nsync" key)',
    );
  });

  it('does not pass a cosmiconfig $import through silently', async () => {
    const dir = tempDir({ 'nsync.config.json': { ...SQLITE_CONFIG, $import: 'other.json' } });
    const error = await loadError(loadConfig(undefined, { cwd: dir, env: {} }));
    expect(error.details).toHaveLength(1);
    expect(error.details[0]).toMatch(/^\$import: unknown key /);
  });

  it('reports invalid JSON with the file, line and column', async () => {
    const text = '{\n  "mode": "master-slave",\n  "databases": { }\n  "replication": {}\n}\n';
    const dir = tempDir({ 'broken.json': text, 'nsync.config.json': text });
    const file = join(dir, 'broken.json');
    const error = await loadError(loadConfig(file, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`invalid JSON in ${file}: line 4, column 3: expected "," or "}", found "\\""`);

    const searched = await loadError(loadConfig(undefined, { cwd: dir, env: {} }));
    expect(searched.message).toContain(`invalid JSON in ${join(dir, 'nsync.config.json')}: line 4, column 3`);
  });

  it('points at a trailing comma and at a comment', async () => {
    const dir = tempDir({ 'a.json': '{"mode": "master-slave",\n}', 'b.json': '{\n  // note\n}' });
    const trailing = await loadError(loadConfig('a.json', { cwd: dir, env: {} }));
    expect(trailing.message).toMatch(/line 1, column 24: trailing comma before "}"$/);
    const comment = await loadError(loadConfig('b.json', { cwd: dir, env: {} }));
    expect(comment.message).toMatch(/line 2, column 3: comments are not allowed in JSON$/);
  });

  it.each([
    ['{"mode": "master-slave', 'line 1, column 10: string is not closed'],
    ["{'mode': 1}", 'line 1, column 2: expected a property name in double quotes, found "\'"'],
    ['{"mode": \'x\'}', 'line 1, column 10: strings must use double quotes'],
    ['{"a": "x\ny"}', 'line 1, column 9: line break or control character inside a string'],
    ['{"a": [1, 2}', 'line 1, column 12: expected "," or "]", found "}"'],
    ['{"a": 1}\n{}', 'line 2, column 1: unexpected "{" after the end of the JSON value'],
    ['{"a": tru}', 'line 1, column 7: expected a value, found "t"'],
  ])('locates the JSON error in %j', async (text, where) => {
    const dir = tempDir({ 'c.json': text });
    const error = await loadError(loadConfig('c.json', { cwd: dir, env: {} }));
    expect(error.message).toBe(`invalid JSON in ${join(dir, 'c.json')}: ${where}`);
  });

  it('reports an empty file as empty', async () => {
    const dir = tempDir({ 'empty.json': '  \n' });
    const error = await loadError(loadConfig('empty.json', { cwd: dir, env: {} }));
    expect(error.message).toBe(`config file is empty: ${join(dir, 'empty.json')}`);
  });
});
