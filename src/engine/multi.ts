import type { NsyncConfig, RemoteConfig, TableConfig } from '../config/types.js';
import { messageOf } from '../core/errors.js';
import { emptyCounts } from '../core/types.js';
import { endRun, type Reporter, type RunResult, type TableResult } from './events.js';
import { connect, requireInstalled } from './environment.js';
import { exchangeTable } from './exchange.js';
import type { HttpPeer } from './httpPeer.js';
import { selectNamed, selectTables, syncLocal } from './localPass.js';
import { LocalPeer } from './localPeer.js';
import type { NunezPeer } from './nunezPeer.js';
import { purgeTombstones } from './retention.js';

export interface MultiOptions {
  /** Only these remotes (by name in `remoteEnvironments`); all when none. */
  envs?: string[];
  tables?: string[];
  /** Run the local pass first (default true; skipped when there is no slave). */
  local?: boolean;
  dryRun?: boolean;
  reporter: Reporter;
}

/** Remotes named (all when none), failing on a name the config does not have. */
export function selectRemotes(config: NsyncConfig, names?: string[]): RemoteConfig[] {
  return selectNamed(config.remotes, names, 'remote', 'remoteEnvironments');
}

/** Cursor direction names, as stored in nsync_cursors with the remote's name as the peer. */
export const PUSH = 'push' as const;
export const PULL = 'pull' as const;

/**
 * `nsync multi` (PHP `sync_multi.php`): the local pass, then for every remote and every table
 * a pull, a push or both (pull first), by last-write-wins. One remote down or one table
 * failing does not stop the others; every failure is a failed TableResult naming the remote,
 * the table and the cause.
 */
export async function syncMulti(config: NsyncConfig, options: MultiOptions): Promise<RunResult> {
  const started = Date.now();
  const tables = selectTables(config, options.tables);
  const remotes = selectRemotes(config, options.envs);
  const dryRun = options.dryRun ?? false;
  const results: TableResult[] = [];
  const quietReporter: Reporter = {
    event: (event) => {
      if (event.type !== 'run-end') options.reporter.event(event);
    },
  };
  if (options.local !== false) {
    if (config.databases.slave) {
      const local = await syncLocal(config, { tables: options.tables, dryRun, reporter: quietReporter });
      results.push(...local.tables);
    } else {
      options.reporter.event({ type: 'info', message: 'no databases.slave: local pass skipped' });
    }
  }
  if (remotes.length > 0) {
    const adapter = await connect(config.databases.master);
    const master = new LocalPeer(config.environment, adapter);
    try {
      await requireInstalled(master);
      for (const remote of remotes) {
        results.push(...(await exchangeRemote(config, remote, master, tables, dryRun, options.reporter)));
      }
      if (!dryRun) await purgeTombstones(adapter, config.tombstoneRetentionDays);
    } finally {
      await adapter.close();
    }
  }
  return endRun(results, dryRun, started, options.reporter);
}

/** Every table with one remote, in config order; a remote that cannot be reached fails each of its tables. */
async function exchangeRemote(
  config: NsyncConfig,
  remote: RemoteConfig,
  master: LocalPeer,
  tables: TableConfig[],
  dryRun: boolean,
  reporter: Reporter,
): Promise<TableResult[]> {
  const directions = directionsOf(remote);
  let peer: HttpPeer | NunezPeer;
  try {
    peer = await openRemote(remote, config.environment, master);
  } catch (error) {
    const cause = messageOf(error);
    return tables.flatMap((table) =>
      directions.map((d) => failed(table, remote, arrow(d, remote), cause, reporter)),
    );
  }
  const results: TableResult[] = [];
  try {
    for (const table of tables) {
      for (const direction of directions) {
        if (peer.broken) {
          results.push(
            failed(
              table,
              remote,
              arrow(direction, remote),
              `${peer.label} skipped after repeated failures`,
              reporter,
            ),
          );
          continue;
        }
        const pulling = direction === PULL;
        results.push(
          await exchangeTable({
            table,
            source: pulling ? peer : master,
            target: pulling ? master : peer,
            direction: arrow(direction, remote),
            cursorHome: master,
            cursorKey: { peer: remote.name, direction },
            strategy: table.conflict,
            replica: false,
            dryRun,
            reporter,
            remote: remote.name,
          }),
        );
      }
      const unsent = 'unsentDeletes' in peer ? (peer.unsentDeletes.get(table.name) ?? 0) : 0;
      if (unsent > 0) {
        reporter.event({
          type: 'warning',
          message: `${table.name}: ${unsent} delete(s) not sent to ${remote.name}: a NunezReplication server has no delete route`,
        });
      }
    }
  } finally {
    await peer.close();
  }
  return results;
}

/**
 * The peer for a remote: its `nsync serve` (after reading its `/v1/info`), or a NunezReplication
 * server. The HTTP client is loaded only here, so a run without remotes never loads it.
 */
export async function openRemote(
  remote: RemoteConfig,
  self: string,
  master: LocalPeer,
  options: { retries?: number } = {},
): Promise<HttpPeer | NunezPeer> {
  const settings = { ...remote, ...options };
  if (remote.protocol === 'nunez') {
    const { NunezPeer } = await import('./nunezPeer.js');
    return new NunezPeer(settings, master);
  }
  const { HttpPeer } = await import('./httpPeer.js');
  return HttpPeer.connect(settings, self);
}

/** The directions of a remote's exchange, in the order they run: bidirectional pulls first. */
export function directionsOf(remote: RemoteConfig): ('pull' | 'push')[] {
  return remote.syncMode === 'bidirectional' ? [PULL, PUSH] : [remote.syncMode];
}

function arrow(direction: string, remote: RemoteConfig): string {
  return direction === PULL ? `${remote.name} → here` : `here → ${remote.name}`;
}

function failed(
  table: TableConfig,
  remote: RemoteConfig,
  direction: string,
  cause: string,
  reporter: Reporter,
): TableResult {
  const result: TableResult = {
    table: table.name,
    direction,
    remote: remote.name,
    ok: false,
    read: 0,
    counts: emptyCounts(),
    durationMs: 0,
    error: `${table.name} (${direction}): ${cause}`,
  };
  reporter.event({ type: 'table-end', result });
  return result;
}
