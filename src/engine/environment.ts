import { createAdapter, type Adapter } from '../adapters/index.js';
import type { DatabaseConfig, NsyncConfig } from '../config/types.js';
import { messageOf, NsyncError } from '../core/errors.js';
import { LocalPeer } from './localPeer.js';

/** This environment's databases, connected. Close it when done. */
export interface Environment {
  master: LocalPeer;
  slave?: LocalPeer;
  peers: LocalPeer[];
  close(): Promise<void>;
}

/** The origin id of the slave database in the local pass. */
export const slaveId = (config: NsyncConfig) => `${config.environment}/slave`;

export async function connect(config: DatabaseConfig): Promise<Adapter> {
  const adapter = await createAdapter(config);
  try {
    await adapter.query(adapter.db, 'SELECT 1');
    return adapter;
  } catch (error) {
    await adapter.close().catch(() => undefined);
    throw new NsyncError('CONNECT', `cannot connect to ${adapter.label}: ${connectionCause(error)}`, {
      cause: error,
    });
  }
}

function connectionCause(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = messageOf(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export async function openEnvironment(config: NsyncConfig): Promise<Environment> {
  const opened: Adapter[] = [];
  const close = async () => {
    // Last opened, first closed; every close runs even if one fails, and the first error wins.
    let first: unknown;
    for (const adapter of opened.reverse()) {
      await adapter.close().catch((error: unknown) => (first ??= error));
    }
    if (first) throw first;
  };
  try {
    opened.push(await connect(config.databases.master));
    if (config.databases.slave) opened.push(await connect(config.databases.slave));
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const master = new LocalPeer(config.environment, opened[0] as Adapter);
  const slave = opened[1] ? new LocalPeer(slaveId(config), opened[1]) : undefined;
  return { master, ...(slave ? { slave } : {}), peers: slave ? [master, slave] : [master], close };
}

/** Fails when nsync's tables are not in a database. */
export async function requireInstalled(peer: LocalPeer): Promise<void> {
  try {
    await peer.adapter.query(peer.adapter.db, `SELECT value FROM nsync_meta WHERE name = 'seq'`);
  } catch {
    throw new NsyncError('SCHEMA', `nsync is not installed in ${peer.label}: run \`nsync install\` first`);
  }
}
