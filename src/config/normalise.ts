import { dirname, resolve } from 'node:path';
import { resolveDatabase } from './connection.js';
import type { DatabaseConfig, NsyncConfig, RemoteConfig, ServerConfig, TableConfig } from './types.js';
import type { RawConfig, RawServer } from './validate.js';

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
      retries: remote.retries,
      breakAfter: remote.breakAfter,
      staleAfterMinutes: remote.staleAfterMinutes,
    };
    if (remote.tls) {
      config.tls = Object.fromEntries(
        Object.entries(remote.tls).map(([what, path]) => [what, resolve(baseDir, path)]),
      );
    }
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
    server: serverConfig(raw.server, baseDir),
    remotes,
    tombstoneRetentionDays: raw.tombstoneRetentionDays,
  };
  return { config, errors };
}

/** `host:port` (`[::1]:8080` for IPv6) split; TLS paths relative to the config file. */
function serverConfig(raw: RawServer, baseDir: string): ServerConfig {
  const split = raw.listen.lastIndexOf(':');
  const host = raw.listen.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const server: ServerConfig = {
    host,
    port: Number(raw.listen.slice(split + 1)),
    plainHttp: raw.plainHttp,
    bodyLimitBytes: Math.round(raw.bodyLimitMB * 1024 * 1024),
    requestTimeoutMs: Math.round(raw.requestTimeoutSeconds * 1000),
    rateLimit: { max: raw.rateLimit.max, windowMs: Math.round(raw.rateLimit.windowSeconds * 1000) },
  };
  if (raw.tls) {
    const { cert, key, ca } = raw.tls;
    server.tls = { cert: resolve(baseDir, cert), key: resolve(baseDir, key) };
    if (ca !== undefined) server.tls.ca = resolve(baseDir, ca);
  }
  return server;
}
