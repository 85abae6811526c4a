import { describe, it, expect } from '@jest/globals';
import { buildConfig, redactConfig } from '../../src/config/index.js';

describe('redactConfig', () => {
  const raw = {
    mode: 'master-slave',
    api: { keys: ['k1', 'k2'] },
    remoteEnvironments: { hq: { url: 'https://user:basic@hq.example/', apiKey: 'remote-key', timeout: 30 } },
    databases: {
      master: { host: 'db', user: 'root', password: 'secret', database: 'app' },
      slave: { url: 'postgres://app:p%40ss@word@db2:5432/app' },
      stats: { host: 'db', password: 'stats-secret' },
    },
    replication: { tables: [{ name: 'password', primaryKey: 'id', ignoreColumns: ['password'] }] },
  };

  it('removes every password, apiKey and api.keys value and the password inside urls', () => {
    expect(redactConfig(raw)).toEqual({
      mode: 'master-slave',
      api: {},
      remoteEnvironments: { hq: { url: 'https://user@hq.example/', timeout: 30 } },
      databases: {
        master: { host: 'db', user: 'root', database: 'app' },
        slave: { url: 'postgres://app@db2:5432/app' },
        stats: { host: 'db' },
      },
      replication: { tables: [{ name: 'password', primaryKey: 'id', ignoreColumns: ['password'] }] },
    });
    const text = JSON.stringify(redactConfig(raw));
    for (const secret of ['secret', 'k1', 'k2', 'remote-key', 'basic', 'p%40ss'])
      expect(text).not.toContain(secret);
  });

  it('does not change its argument', () => {
    const before = structuredClone(raw);
    redactConfig(raw);
    expect(raw).toEqual(before);
  });

  it('redacts a normalised config too', () => {
    const config = buildConfig(
      {
        mode: 'master-slave',
        api: { keys: ['k1'] },
        remoteEnvironments: { hq: { url: 'http://hq', apiKey: 'remote-key' } },
        databases: { master: { url: 'mysql://u:pw@h/d' }, slave: { filename: 's.db' } },
        replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      },
      '/tmp/nsync.json',
      {},
    );
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toMatch(/"pw"|k1|remote-key/);
    expect(text).toContain('"host":"h"');
  });
});
