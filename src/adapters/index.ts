import type { DatabaseConfig } from '../config/types.js';
import type { Dialect } from '../core/types.js';
import type { Adapter } from './adapter.js';

export type { Adapter, Capabilities, ChangeEntry, Db, FreshLog, SqlRow } from './adapter.js';

type Factory = (config: DatabaseConfig, label: string) => Adapter;

// Each dialect (and its driver) is loaded only when a database of that kind is opened:
// loading all three costs ~0.3 s of start-up on every run.
const factories: Record<Dialect, () => Promise<Factory>> = {
  postgres: async () => (await import('./postgres/index.js')).createPostgresAdapter,
  mysql: async () => (await import('./mysql/index.js')).createMysqlAdapter,
  sqlite: async () => (await import('./sqlite/index.js')).createSqliteAdapter,
};

/** Where a database is, for messages (never its password). */
export function describeDatabase(config: DatabaseConfig): string {
  const c = config.connection;
  const where = 'filename' in c ? c.filename : `${c.host}:${c.port}/${c.database}`;
  return `${config.role} (${config.dialect} ${where})`;
}

export async function createAdapter(config: DatabaseConfig): Promise<Adapter> {
  const factory = await factories[config.dialect]();
  return factory(config, describeDatabase(config));
}
