import { dirname } from 'node:path';
import { resolveDatabase } from './connection.js';
import type { DatabaseConfig, NsyncConfig, RemoteConfig, TableConfig } from './types.js';
import type { RawConfig } from './validate.js';

/**
 * A validated config in the shape the rest of nsync uses: dialects resolved, SQLite paths
 * made absolute (relative to the config file), keys always arrays, remotes in file order.
 * `file` must be absolute. Connection problems come back as `path: message` lines.
 */
export function normalise(raw: RawConfig, file: string): { config?: NsyncConfig; errors: string[] } {
  const baseDir = dirname(file);
  const errors: string[] = [];
  const database = (role: DatabaseConfig['role']): DatabaseConfig | undefined => {
    const block = raw.databases[role];
    if (block === undefined) return undefined;
    const resolved = resolveDatabase(block, role, ['databases', role], baseDir);
    errors.push(...resolved.errors);
    return resolved.database;
  };
  const master = database('master');
  const slave = database('slave');
  if (master === undefined || errors.length > 0) return { errors };

  const tables = raw.replication.tables.map((table): TableConfig => ({
    name: table.name,
    primaryKey: typeof table.primaryKey === 'string' ? [table.primaryKey] : [...table.primaryKey],
    timestampColumn: table.timestampColumn,
    ignoreColumns: [...table.ignoreColumns],
    conflict: table.conflict,
    capture: table.capture,
    maintainTimestamp: table.maintainTimestamp,
    batchSize: table.batchSize ?? raw.batchSize,
    lookbackSeconds: table.lookbackSeconds,
  }));
  const remotes = Object.entries(raw.remoteEnvironments).map(([name, remote]): RemoteConfig => {
    const config: RemoteConfig = {
      name,
      // NunezReplication appends /api/... after trimming a trailing slash; so does nsync.
      url: remote.url.replace(/\/+$/, ''),
      syncMode: remote.syncMode,
      timeout: remote.timeout,
      protocol: remote.protocol,
    };
    // As in NunezReplication, an empty key means "send none".
    if (remote.apiKey !== undefined && remote.apiKey !== '') config.apiKey = remote.apiKey;
    return config;
  });
  const config: NsyncConfig = {
    file,
    environment: raw.environment,
    mode: raw.mode,
    databases: slave === undefined ? { master } : { master, slave },
    tables,
    api: { keys: [...raw.api.keys] },
    remotes,
    tombstoneRetentionDays: raw.tombstoneRetentionDays,
  };
  return { config, errors };
}
