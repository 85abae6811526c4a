import type { CaptureMode, ConflictStrategy, Dialect, ReplicationMode, SyncMode } from '../core/types.js';

export type Connection =
  { host: string; port: number; user: string; password: string; database: string } | { filename: string };

export interface DatabaseConfig {
  /** `master` or `slave`: where it sits in the config. */
  role: 'master' | 'slave';
  dialect: Dialect;
  connection: Connection;
}

export interface TableConfig {
  name: string;
  /** Key columns, in key order (one or more). */
  primaryKey: string[];
  timestampColumn: string;
  ignoreColumns: string[];
  conflict: ConflictStrategy;
  capture: CaptureMode;
  maintainTimestamp: boolean;
  batchSize: number;
  /** capture: timestamp only — how far back each read looks, for late commits. */
  lookbackSeconds: number;
}

export interface RemoteConfig {
  name: string;
  url: string;
  apiKey?: string;
  syncMode: SyncMode;
  /** Seconds for one request. */
  timeout: number;
  protocol: 'nsync' | 'nunez';
  /** CA to trust, and a client certificate to present (absolute paths). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Attempts after the first for a transient failure (connection, 429, 502–504). */
  retries: number;
  /** Failed requests in a row after which the remote is skipped for the rest of the run. */
  breakAfter: number;
  /** Minutes without a successful exchange after which `nsync status` calls a table stale. */
  staleAfterMinutes: number;
}

/** `nsync serve`: the `server` block, listen address split and paths made absolute. */
export interface ServerConfig {
  host: string;
  port: number;
  tls?: { cert: string; key: string; ca?: string };
  /** Plain HTTP allowed on an address that is not loopback. */
  plainHttp: boolean;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  rateLimit: { max: number; windowMs: number };
}

/** A config after loading, ${VAR} substitution, validation and normalisation. */
export interface NsyncConfig {
  /** Absolute path of the file it came from (the lock and relative SQLite paths hang off it). */
  file: string;
  environment: string;
  mode: ReplicationMode;
  databases: { master: DatabaseConfig; slave?: DatabaseConfig };
  tables: TableConfig[];
  api: { keys: string[] };
  server: ServerConfig;
  remotes: RemoteConfig[];
  tombstoneRetentionDays: number;
  /** The config as written, before `${VAR}` substitution (shown, secrets removed, by `GET /api/config`). */
  written?: unknown;
}
