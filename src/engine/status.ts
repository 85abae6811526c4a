import type { NsyncConfig, RemoteConfig, TableConfig } from '../config/types.js';
import { messageOf, NsyncError } from '../core/errors.js';
import { canonicalTimestamp } from '../core/timestamp.js';
import { connect, requireInstalled } from './environment.js';
import type { HttpPeer } from './httpPeer.js';
import { selectTables } from './localPass.js';
import { LocalPeer } from './localPeer.js';
import type { NunezPeer } from './nunezPeer.js';
import { directionsOf, openRemote, PUSH, selectRemotes } from './multi.js';

export interface DirectionStatus {
  direction: 'pull' | 'push';
  /** When the last successful exchange this way ended (UTC, ISO-8601), or null if never. */
  lastExchange: string | null;
  /** Changes still to move this way; null while a first copy is under way or unknown. */
  pending: number | null;
  stale: boolean;
}

export interface TableStatus {
  table: string;
  directions: DirectionStatus[];
  /** Conflicts with this remote recorded here and not yet resolved. */
  conflicts: number;
  error?: string;
}

export interface RemoteStatus {
  name: string;
  url: string;
  reachable: boolean;
  /** Whether it accepted this environment's key (false also when it could not be asked). */
  authorised: boolean;
  environment?: string;
  version?: string;
  /** The remote database clock minus this host's clock, in ms (LWW depends on clocks). */
  clockOffsetMs?: number;
  error?: string;
  tables: TableStatus[];
}

export interface StatusReport {
  ok: boolean;
  remotes: RemoteStatus[];
  warnings: string[];
}

/** A clock further off than this makes last-write-wins pick by skew rather than by order. */
export const CLOCK_WARN_MS = 1_000;

/**
 * `nsync status`: for each remote, whether it answers and accepts the key, its version and
 * clock offset; per table and direction, the last successful exchange, what is pending and
 * whether that is older than `staleAfterMinutes`. Not ok when any remote is unreachable,
 * refuses the key, or has a stale table — monitoring alerts on the exit code.
 */
export async function status(
  config: NsyncConfig,
  options: { envs?: string[]; tables?: string[] } = {},
): Promise<StatusReport> {
  const tables = selectTables(config, options.tables);
  const remotes = selectRemotes(config, options.envs);
  const adapter = await connect(config.databases.master);
  const master = new LocalPeer(config.environment, adapter);
  const warnings: string[] = [];
  try {
    await requireInstalled(master);
    const reports: RemoteStatus[] = [];
    for (const remote of remotes) reports.push(await remoteStatus(config, remote, master, tables, warnings));
    const ok = reports.every(
      (r) =>
        r.reachable && r.authorised && r.tables.every((t) => !t.error && t.directions.every((d) => !d.stale)),
    );
    return { ok, remotes: reports, warnings };
  } finally {
    await adapter.close();
  }
}

async function remoteStatus(
  config: NsyncConfig,
  remote: RemoteConfig,
  master: LocalPeer,
  tables: TableConfig[],
  warnings: string[],
): Promise<RemoteStatus> {
  const base = { name: remote.name, url: remote.url, tables: [] as TableStatus[] };
  if (remote.protocol === 'nunez') return nunezStatus(remote, master, tables);
  let peer: HttpPeer;
  const asked = Date.now();
  try {
    peer = (await openRemote(remote, config.environment, master, { retries: 1 })) as HttpPeer;
  } catch (error) {
    const refused = error instanceof NsyncError && error.code === 'AUTH';
    const reachable = refused || (error instanceof NsyncError && error.code === 'REMOTE');
    return { ...base, reachable, authorised: false, error: messageOf(error) };
  }
  try {
    const answered = Date.now();
    const clockOffsetMs = Math.round(
      Date.parse(canonicalTimestamp(peer.info.clock)) - (asked + answered) / 2,
    );
    if (Math.abs(clockOffsetMs) > CLOCK_WARN_MS) {
      warnings.push(
        `remote ${remote.name}: its clock is ${(clockOffsetMs / 1000).toFixed(1)} s off this host's; last-write-wins depends on clocks (use NTP)`,
      );
    }
    return {
      ...base,
      reachable: true,
      authorised: true,
      environment: peer.info.environment,
      version: peer.info.version,
      clockOffsetMs,
      tables: await tableStatuses(remote, tables, master, peer),
    };
  } finally {
    await peer.close();
  }
}

/** A NunezReplication server: reachable and key accepted, and what is known here (no clock, no pending pull). */
async function nunezStatus(
  remote: RemoteConfig,
  master: LocalPeer,
  tables: TableConfig[],
): Promise<RemoteStatus> {
  const base = { name: remote.name, url: remote.url, tables: [] as TableStatus[] };
  const peer = (await openRemote(remote, '', master, { retries: 1 })) as NunezPeer;
  const { remoteStatus: answeredStatus } = await import('./remoteClient.js');
  try {
    const first = tables[0];
    if (first) await peer.probe(first);
  } catch (error) {
    const refused = error instanceof NsyncError && error.code === 'AUTH';
    await peer.close();
    return {
      ...base,
      reachable: refused || answeredStatus(error) !== undefined,
      authorised: false,
      error: messageOf(error),
    };
  }
  try {
    const found = await tableStatuses(remote, tables, master, peer);
    return { ...base, reachable: true, authorised: true, version: 'NunezReplication', tables: found };
  } finally {
    await peer.close();
  }
}

async function tableStatuses(
  remote: RemoteConfig,
  tables: TableConfig[],
  master: LocalPeer,
  peer: HttpPeer | NunezPeer,
): Promise<TableStatus[]> {
  const out: TableStatus[] = [];
  for (const table of tables) out.push(await tableStatus(remote, table, master, peer));
  return out;
}

async function tableStatus(
  remote: RemoteConfig,
  table: TableConfig,
  master: LocalPeer,
  peer: HttpPeer | NunezPeer,
): Promise<TableStatus> {
  const staleBefore = Date.now() - remote.staleAfterMinutes * 60_000;
  const result: TableStatus = { table: table.name, directions: [], conflicts: 0 };
  try {
    for (const direction of directionsOf(remote)) {
      const cursor = await master.cursorRow(remote.name, table.name, direction);
      const pending =
        direction === PUSH
          ? await master.pending(table, cursor?.position ?? null, peer.id)
          : 'info' in peer
            ? await peer.pending(table, cursor?.position ?? null)
            : null;
      const lastExchange = cursor ? cursor.updatedAt : null;
      result.directions.push({
        direction,
        lastExchange,
        pending,
        stale: lastExchange === null || Date.parse(lastExchange) < staleBefore,
      });
    }
    result.conflicts = await master.openConflicts(table, peer.id);
  } catch (error) {
    result.error = messageOf(error);
  }
  return result;
}
