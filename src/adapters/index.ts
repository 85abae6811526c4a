import type { DatabaseConfig } from '../config/types.js';
import type { Dialect } from '../core/types.js';
import type { Adapter } from './adapter.js';
import { createMysqlAdapter } from './mysql/index.js';
import { createPostgresAdapter } from './postgres/index.js';
import { createSqliteAdapter } from './sqlite/index.js';

export type { Adapter, Capabilities, ChangeEntry, Db, SqlRow } from './adapter.js';

const factories: Record<Dialect, (config: DatabaseConfig, label: string) => Adapter> = {
  postgres: createPostgresAdapter,
  mysql: createMysqlAdapter,
  sqlite: createSqliteAdapter,
};

/** Where a database is, for messages (never its password). */
export function describeDatabase(config: DatabaseConfig): string {
  const c = config.connection;
  const where = 'filename' in c ? c.filename : `${c.host}:${c.port}/${c.database}`;
  return `${config.role} (${config.dialect} ${where})`;
}

export function createAdapter(config: DatabaseConfig): Adapter {
  return factories[config.dialect](config, describeDatabase(config));
}
