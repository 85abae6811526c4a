import { describe, it, expect } from '@jest/globals';
import { buildConfig } from '../../src/config/index.js';
import { CONFIG_FILE, configError } from '../helpers/configErrors.js';

const withMaster = (master: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  mode: 'master-slave',
  databases: { master, slave: { filename: 'slave.db' } },
  replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
  ...extra,
});

describe('${VAR} substitution', () => {
  const php = {
    host: '${DB_HOST}',
    port: '${DB_PORT:-3306}',
    user: 'app',
    password: '${DB_PASS}',
    database: 'app',
  };

  it('replaces ${VAR} and ${VAR:-default} inside any string', () => {
    const config = buildConfig(withMaster(php, { api: { keys: ['k-${KEY_SUFFIX}'] } }), CONFIG_FILE, {
      DB_HOST: 'db.internal',
      DB_PASS: 's3cret',
      KEY_SUFFIX: '2025',
    });
    expect(config.databases.master.connection).toEqual({
      host: 'db.internal',
      port: 3306,
      user: 'app',
      password: 's3cret',
      database: 'app',
    });
    expect(config.api.keys).toEqual(['k-2025']);
  });

  it('prefers a set variable over the default, and uses the default for an empty one', () => {
    const env = { DB_HOST: 'h', DB_PASS: 'p' };
    expect(
      buildConfig(withMaster(php), CONFIG_FILE, { ...env, DB_PORT: '3310' }).databases.master.connection,
    ).toMatchObject({
      port: 3310,
    });
    expect(
      buildConfig(withMaster(php), CONFIG_FILE, { ...env, DB_PORT: '' }).databases.master.connection,
    ).toMatchObject({
      port: 3306,
    });
  });

  it('keeps a set-but-empty variable without default as an empty string', () => {
    const config = buildConfig(withMaster(php), CONFIG_FILE, { DB_HOST: 'h', DB_PASS: '' });
    expect(config.databases.master.connection).toMatchObject({ password: '' });
  });

  it('lists every missing variable with the path that uses it, and nothing else for that path', () => {
    const raw = withMaster(
      { url: '${MASTER_URL}' },
      { remoteEnvironments: { hq: { url: 'https://hq', apiKey: '${HQ_KEY}' } } },
    );
    const error = configError(raw, {});
    expect(error.message).toBe(`invalid config ${CONFIG_FILE}: 2 problems`);
    expect(error.details).toEqual([
      'databases.master.url: environment variable MASTER_URL is not set',
      'remoteEnvironments.hq.apiKey: environment variable HQ_KEY is not set',
    ]);
  });

  it('reports a missing variable in the PHP form with the field path', () => {
    expect(configError(withMaster(php), { DB_HOST: 'h' }).details).toEqual([
      'databases.master.password: environment variable DB_PASS is not set',
    ]);
  });

  it('leaves $${ as a literal ${ and does not substitute keys', () => {
    const config = buildConfig(withMaster({ ...php, password: 'a$${B}c' }), CONFIG_FILE, { DB_HOST: 'h' });
    expect(config.databases.master.connection).toMatchObject({ password: 'a${B}c' });
  });

  it('does not require variables used only in keys nsync ignores', () => {
    const raw = withMaster({ filename: 'm.db' }, { syncInterval: '${CRON}', databases: undefined }) as Record<
      string,
      unknown
    >;
    raw.databases = {
      master: { filename: 'm.db' },
      slave: { filename: 's.db' },
      stats: { host: 'h', user: 'u', password: '${STATS_PASS}', database: 'replication_stats' },
    };
    expect(buildConfig(raw, CONFIG_FILE, {}).databases.master.connection).toEqual({
      filename: '/srv/nsync/m.db',
    });
  });
});
