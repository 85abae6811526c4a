import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildConfig, type NsyncConfig } from '../../src/index.js';

export interface TableSpec {
  name: string;
  primaryKey?: string | string[];
  [key: string]: unknown;
}

/** A validated config for a master and a slave given by URL. */
export function localConfig(
  mode: 'master-slave' | 'master-master',
  masterUrl: string,
  slaveUrl: string,
  tables: TableSpec[],
  extra: Record<string, unknown> = {},
): NsyncConfig {
  const raw = {
    environment: 'test-env',
    mode,
    databases: { master: { url: masterUrl }, slave: { url: slaveUrl } },
    replication: { tables: tables.map((t) => ({ primaryKey: 'id', ...t })) },
    ...extra,
  };
  return buildConfig(
    raw,
    join(tmpdir(), `nsync-test-${process.pid}-${Math.random().toString(36).slice(2)}.json`),
    {},
  );
}
