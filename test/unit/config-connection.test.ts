import { describe, it, expect } from '@jest/globals';
import { buildConfig } from '../../src/config/index.js';
import { NsyncError } from '../../src/core/errors.js';

const FILE = '/srv/nsync/nsync.config.json';

const config = (master: Record<string, unknown>) => ({
  mode: 'master-slave',
  databases: { master, slave: { filename: '/var/lib/slave.db' } },
  replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
});

const master = (block: Record<string, unknown>) => buildConfig(config(block), FILE, {}).databases.master;

function problems(block: Record<string, unknown>): string[] {
  try {
    buildConfig(config(block), FILE, {});
  } catch (error) {
    if (error instanceof NsyncError) return error.details;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('database blocks', () => {
  it.each([
    ['postgres://app:pw@db.example:6543/shop', 'postgres', 6543],
    ['postgresql://app:pw@db.example/shop', 'postgres', 5432],
    ['mysql://app:pw@db.example:3307/shop', 'mysql', 3307],
    ['mariadb://app:pw@db.example/shop', 'mysql', 3306],
  ])('reads %s', (url, dialect, port) => {
    expect(master({ url })).toEqual({
      role: 'master',
      dialect,
      connection: { host: 'db.example', port, user: 'app', password: 'pw', database: 'shop' },
    });
  });

  it('decodes percent-encoded users, passwords and database names, and IPv6 hosts', () => {
    expect(master({ url: 'postgres://us%40er:p%2Fw%3A@[::1]:5432/my%20db' }).connection).toEqual({
      host: '::1',
      port: 5432,
      user: 'us@er',
      password: 'p/w:',
      database: 'my db',
    });
  });

  it('takes the password from "password" when the url has none', () => {
    expect(master({ url: 'postgres://app@db/shop', password: 'x/y?z' }).connection).toMatchObject({
      user: 'app',
      password: 'x/y?z',
    });
    expect(problems({ url: 'postgres://app:pw@db/shop', password: 'x' })).toEqual([
      'databases.master.password: is given twice: in the url and here',
    ]);
  });

  it.each([
    ['sqlite:data/app.db', '/srv/nsync/data/app.db'],
    ['sqlite://data/app.db', '/srv/nsync/data/app.db'],
    ['sqlite:/var/lib/app.db', '/var/lib/app.db'],
    ['sqlite:///var/lib/app.db', '/var/lib/app.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s relative to the config file', (url, filename) => {
    expect(master({ url })).toEqual({ role: 'master', dialect: 'sqlite', connection: { filename } });
  });

  it.each([
    ['pg', 'postgres', 5432],
    ['postgresql', 'postgres', 5432],
    ['mysql2', 'mysql', 3306],
    ['mariadb', 'mysql', 3306],
  ])('maps client %s to %s with its default port', (client, dialect, port) => {
    const database = master({ client, host: 'h', user: 'u', password: 'p', database: 'd' });
    expect(database.dialect).toBe(dialect);
    expect(database.connection).toEqual({ host: 'h', port, user: 'u', password: 'p', database: 'd' });
  });

  it('accepts a port given as a string of digits', () => {
    expect(
      master({ client: 'pg', host: 'h', port: '5433', user: 'u', database: 'd' }).connection,
    ).toMatchObject({
      port: 5433,
    });
    expect(problems({ client: 'pg', host: 'h', port: '70000', user: 'u', database: 'd' })).toEqual([
      'databases.master.port: must be between 1 and 65535',
    ]);
    expect(problems({ client: 'pg', host: 'h', port: 'fast', user: 'u', database: 'd' })).toEqual([
      'databases.master.port: must be a port number',
    ]);
  });

  it('treats better-sqlite3 and a lone filename as SQLite', () => {
    expect(master({ client: 'better-sqlite3', filename: 'a.db' }).connection).toEqual({
      filename: '/srv/nsync/a.db',
    });
    expect(master({ filename: 'b.db' }).dialect).toBe('sqlite');
  });

  it('rejects mixed or incomplete blocks without repeating the url or password', () => {
    expect(problems({ url: 'postgres://u:topsecret@h/d', host: 'other', client: 'mysql' })).toEqual([
      'databases.master.client: is "mysql" but the url is postgres:',
      'databases.master.host: give either url or this field, not both',
    ]);
    expect(problems({ client: 'sqlite', filename: 'a.db', host: 'h' })).toEqual([
      'databases.master.host: is not used by sqlite (give "filename")',
    ]);
    expect(problems({ client: 'sqlite' })).toEqual(['databases.master.filename: is required for sqlite']);
    expect(problems({ client: 'postgres', filename: 'a.db', host: 'h', user: 'u', database: 'd' })).toEqual([
      'databases.master.filename: is only for sqlite (this database is postgres)',
    ]);
    expect(problems({ host: 'h', password: 'topsecret' })).toEqual([
      'databases.master.user: is required',
      'databases.master.database: is required',
    ]);
    expect(problems({ url: 'postgres://u:topsecret@h' })).toEqual([
      'databases.master.url: must end with /database-name',
    ]);
    expect(problems({ url: 'mysql://:topsecret@h/d?ssl=true' })).toEqual([
      'databases.master.url: has no user (mysql://user:password@host:port/database)',
      'databases.master.url: must not have query parameters or a #fragment',
    ]);
    expect(problems({ url: 'mssql://u:topsecret@h/d' })).toEqual([
      'databases.master.url: must start with postgres://, postgresql://, mysql://, mariadb:// or sqlite:',
    ]);
    expect(problems({ url: 'postgres://u:p@h:notaport/d' })).toEqual([
      'databases.master.url: is not a valid URL (percent-encode special characters, or give the password in "password")',
    ]);
  });
});
