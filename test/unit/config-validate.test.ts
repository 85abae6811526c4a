import { describe, it, expect } from '@jest/globals';
import { buildConfig } from '../../src/config/index.js';
import { CONFIG_FILE, configError } from '../helpers/configErrors.js';

const base = (): Record<string, unknown> => ({
  mode: 'master-master',
  databases: {
    master: { url: 'postgres://app:pw@db1/app' },
    slave: { url: 'mysql://app:pw@db2/app' },
  },
  replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
});

describe('buildConfig: schema', () => {
  it('reports every problem at once, each with its path', () => {
    const error = configError({
      mode: 'master-slave',
      databases: { master: { url: 'sqlite:a.db' }, slave: { url: 'sqlite:b.db' } },
      replication: {
        tables: [
          { name: 'items', primaryKey: 'id', batchSize: 0 },
          { name: 'bad name', primaryKey: 7 },
          { primaryKey: ['a', 'a'], conflict: 'newest' },
        ],
      },
      remoteEnvironments: { hq: { syncMode: 'both', timeout: -1 } },
    });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`invalid config ${CONFIG_FILE}: 9 problems`);
    expect(error.details.sort()).toEqual(
      [
        'replication.tables[0].batchSize: must be at least 1',
        'replication.tables[1].name: must contain only letters, digits and "_"',
        'replication.tables[1].primaryKey: must be a string or an array (got an integer)',
        'replication.tables[2].name: is required',
        'replication.tables[2].primaryKey: must not repeat a value (items 1 and 0 are the same)',
        'replication.tables[2].conflict: must be one of "lww", "source-wins", "target-wins", "manual" (got "newest")',
        'remoteEnvironments.hq.url: is required',
        'remoteEnvironments.hq.syncMode: must be one of "push", "pull", "bidirectional" (got "both")',
        'remoteEnvironments.hq.timeout: must be greater than 0',
      ].sort(),
    );
  });

  it('rejects an unknown key and suggests the one meant', () => {
    const raw = base();
    raw.replication = { tables: [{ name: 'items', primaryKey: 'id', ignoreColumn: ['x'] }] };
    raw.enviroment = 'x';
    raw.primarykey = 'id';
    expect(configError(raw).details).toEqual([
      'enviroment: unknown key (did you mean "environment"?)',
      'primarykey: unknown key (allowed here: $schema, environment, mode, syncInterval, port, demoMode, batchSize, tombstoneRetentionDays, api, server, remoteEnvironments, databases, replication)',
      'replication.tables[0].ignoreColumn: unknown key (did you mean "ignoreColumns"?)',
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    const raw = base();
    raw.databases = { master: { url: 'sqlite:a.db', ssl: true }, slave: { url: 'sqlite:b.db' } };
    expect(configError(raw).details).toEqual([
      'databases.master.ssl: unknown key (allowed here: client, url, host, port, user, password, database, filename)',
    ]);
  });

  it('rejects a bad enum value, naming the allowed ones', () => {
    const error = configError({ ...base(), mode: 'multi' });
    expect(error.details).toEqual(['mode: must be one of "master-slave", "master-master" (got "multi")']);
    expect(error.message).toBe(`invalid config ${CONFIG_FILE}: 1 problem`);
  });

  it('requires mode, databases and replication', () => {
    expect(configError({}).details).toEqual([
      'mode: is required',
      'databases: is required',
      'replication: is required',
    ]);
  });

  it('accepts the ignored NunezReplication keys whatever they hold, but nothing else under them', () => {
    const config = buildConfig(
      { ...base(), syncInterval: null, port: 'x', demoMode: 'yes' },
      CONFIG_FILE,
      {},
    );
    expect(config).not.toHaveProperty('syncInterval');
    expect(
      configError({
        ...base(),
        databases: { master: { url: 'sqlite:a' }, slave: { url: 'sqlite:b' }, replica: {} },
      }).details,
    ).toEqual(['databases.replica: unknown key (allowed here: master, slave, stats)']);
  });

  it('takes the table batchSize from the top-level batchSize unless the table sets one', () => {
    const raw = base();
    raw.batchSize = 800;
    raw.replication = {
      tables: [
        { name: 'a', primaryKey: 'id' },
        { name: 'b', primaryKey: 'id', batchSize: 50 },
      ],
    };
    expect(buildConfig(raw, CONFIG_FILE, {}).tables.map((t) => t.batchSize)).toEqual([800, 50]);
    expect(configError({ ...raw, batchSize: 100001 }).details).toEqual(['batchSize: must be at most 100000']);
  });

  it('keeps composite keys in order and wraps a single key in an array', () => {
    const raw = base();
    raw.replication = {
      tables: [
        { name: 'order_lines', primaryKey: ['order_id', 'line_no'] },
        { name: 'items', primaryKey: 'id' },
      ],
    };
    expect(buildConfig(raw, CONFIG_FILE, {}).tables.map((t) => t.primaryKey)).toEqual([
      ['order_id', 'line_no'],
      ['id'],
    ]);
    raw.replication = { tables: [{ name: 'x', primaryKey: [] }] };
    expect(configError(raw).details).toEqual(['replication.tables[0].primaryKey: must not be empty']);
  });

  it('fills the per-table defaults and keeps the nsync additions', () => {
    const raw = base();
    raw.environment = 'store-7';
    raw.tombstoneRetentionDays = 90;
    raw.replication = {
      tables: [
        { name: 'items', primaryKey: 'id', conflict: 'manual', capture: 'timestamp', lookbackSeconds: 60 },
      ],
    };
    raw.remoteEnvironments = { hq: { url: 'https://hq.example/', protocol: 'nunez' } };
    const config = buildConfig(raw, CONFIG_FILE, {});
    expect(config.environment).toBe('store-7');
    expect(config.tombstoneRetentionDays).toBe(90);
    expect(config.api.keys).toEqual([]);
    expect(config.tables[0]).toMatchObject({ conflict: 'manual', capture: 'timestamp', lookbackSeconds: 60 });
    expect(config.remotes).toEqual([
      {
        name: 'hq',
        url: 'https://hq.example',
        syncMode: 'bidirectional',
        timeout: 30,
        protocol: 'nunez',
        retries: 4,
        breakAfter: 3,
        staleAfterMinutes: 60,
      },
    ]);
    expect(configError({ ...raw, environment: 'store 7' }).details).toEqual([
      'environment: must contain only letters, digits, "_", "." and "-"',
    ]);
  });
});

describe('buildConfig: rules', () => {
  it('needs databases.slave in master-slave mode (and in master-master)', () => {
    for (const mode of ['master-slave', 'master-master']) {
      const error = configError({ ...base(), mode, databases: { master: { url: 'sqlite:a.db' } } });
      expect(error.details).toEqual([`databases.slave: is required when mode is "${mode}"`]);
    }
  });

  it('reports duplicate tables, ignored key or timestamp columns and bad remote names together', () => {
    const raw = base();
    raw.replication = {
      tables: [
        { name: 'items', primaryKey: ['shop', 'id'], ignoreColumns: ['note', 'id'] },
        { name: 'other', primaryKey: 'id', timestampColumn: 'changed', ignoreColumns: ['changed'] },
        { name: 'items', primaryKey: 'id', capture: 'timestamp', maintainTimestamp: true },
      ],
    };
    raw.remoteEnvironments = { 'head office': { url: 'http://hq' } };
    expect(configError(raw).details).toEqual([
      'remoteEnvironments["head office"]: remote name must contain only letters, digits, "_", "." and "-"',
      'replication.tables[0].ignoreColumns[1]: "id" is part of the primary key and cannot be ignored',
      'replication.tables[1].ignoreColumns[0]: "changed" is the timestampColumn and cannot be ignored',
      'replication.tables[2].name: table "items" is already listed as replication.tables[0]',
      'replication.tables[2].maintainTimestamp: needs capture "trigger" (capture "timestamp" installs no triggers)',
    ]);
  });

  it('allows capture "timestamp" with conflict "manual"', () => {
    const raw = base();
    raw.replication = {
      tables: [{ name: 'items', primaryKey: 'id', capture: 'timestamp', conflict: 'manual' }],
    };
    expect(buildConfig(raw, CONFIG_FILE, {}).tables[0]).toMatchObject({
      capture: 'timestamp',
      conflict: 'manual',
    });
  });
});
