import { isAbsolute, resolve } from 'node:path';
import type { Dialect } from '../core/types.js';
import type { Connection, DatabaseConfig } from './types.js';
import { problem, type ConfigPath } from './path.js';
import type { RawDatabase } from './validate.js';

const CLIENTS: Record<string, Dialect> = {
  postgres: 'postgres',
  pg: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mysql2: 'mysql',
  mariadb: 'mysql',
  sqlite: 'sqlite',
  'better-sqlite3': 'sqlite',
};

const DEFAULT_PORT = { postgres: 5432, mysql: 3306 } as const;

const SERVER_FIELDS = ['host', 'port', 'user', 'database'] as const;

type Result = { database?: DatabaseConfig; errors: string[] };

/**
 * One `databases.*` block as a DatabaseConfig. The block is one of: a `url`; `client` with
 * connection fields; or NunezReplication's host/port/user/password/database, which is MySQL.
 * A `filename` without a client means SQLite. Messages never repeat a url or password.
 */
export function resolveDatabase(
  raw: RawDatabase,
  role: DatabaseConfig['role'],
  path: ConfigPath,
  baseDir: string,
): Result {
  const errors: string[] = [];
  const report = (key: keyof RawDatabase, message: string): void => {
    errors.push(problem([...path, key], message));
  };
  const client = raw.client === undefined ? undefined : CLIENTS[raw.client];
  const connection =
    raw.url !== undefined
      ? fromUrl(raw, raw.url, client, report)
      : fromFields(
          raw,
          client ?? (raw.filename !== undefined && raw.host === undefined ? 'sqlite' : 'mysql'),
          report,
        );
  if (connection === undefined || errors.length > 0) return { errors };
  const [dialect, fields] = connection;
  if ('filename' in fields && fields.filename !== ':memory:' && !isAbsolute(fields.filename)) {
    fields.filename = resolve(baseDir, fields.filename);
  }
  return { database: { role, dialect, connection: fields }, errors };
}

type Report = (key: keyof RawDatabase, message: string) => void;

function fromUrl(
  raw: RawDatabase,
  url: string,
  client: Dialect | undefined,
  report: Report,
): [Dialect, Connection] | undefined {
  const scheme = url.slice(0, url.indexOf(':'));
  const dialect = CLIENTS[scheme] as Dialect; // the schema only lets known schemes through
  if (client !== undefined && client !== dialect) {
    report('client', `is "${raw.client}" but the url is ${scheme}:`);
  }
  for (const key of [...SERVER_FIELDS, 'filename'] as const) {
    if (raw[key] !== undefined) report(key, 'give either url or this field, not both');
  }
  if (dialect === 'sqlite') {
    if (raw.password !== undefined) report('password', 'is not used by sqlite');
    const rest = url.slice(scheme.length + 1);
    const filename = rest.startsWith('//') ? rest.slice(2) : rest;
    if (filename === '') report('url', 'names no file (sqlite:path/to/file.db)');
    return [dialect, { filename }];
  }
  let parsed: URL;
  let user: string;
  let password: string;
  let database: string;
  try {
    parsed = new URL(url);
    user = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  } catch {
    report(
      'url',
      'is not a valid URL (percent-encode special characters, or give the password in "password")',
    );
    return undefined;
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') report('url', `has no host (${scheme}://user:password@host:port/database)`);
  if (user === '') report('url', `has no user (${scheme}://user:password@host:port/database)`);
  if (database === '' || database.includes('/')) report('url', `must end with /database-name`);
  if (parsed.search !== '' || parsed.hash !== '') {
    report('url', 'must not have query parameters or a #fragment');
  }
  if (raw.password !== undefined) {
    if (password !== '') report('password', 'is given twice: in the url and here');
    password = raw.password;
  }
  const port = parsed.port === '' ? DEFAULT_PORT[dialect] : Number(parsed.port);
  return [dialect, { host, port, user, password, database }];
}

function fromFields(raw: RawDatabase, dialect: Dialect, report: Report): [Dialect, Connection] | undefined {
  if (dialect === 'sqlite') {
    for (const key of [...SERVER_FIELDS, 'password'] as const) {
      if (raw[key] !== undefined) report(key, 'is not used by sqlite (give "filename")');
    }
    if (raw.filename === undefined) {
      report('filename', 'is required for sqlite');
      return undefined;
    }
    return [dialect, { filename: raw.filename }];
  }
  if (raw.filename !== undefined) report('filename', `is only for sqlite (this database is ${dialect})`);
  const { host, user, database } = raw;
  if (host === undefined) report('host', 'is required (or give a url)');
  if (user === undefined) report('user', 'is required');
  if (database === undefined) report('database', 'is required');
  if (host === undefined || user === undefined || database === undefined) return undefined;
  const port = raw.port === undefined ? DEFAULT_PORT[dialect] : Number(raw.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) report('port', 'must be between 1 and 65535');
  return [dialect, { host, port, user, password: raw.password ?? '', database }];
}
