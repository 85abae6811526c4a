import type { NsyncConfig, TableConfig } from '../config/types.js';
import { NsyncError } from '../core/errors.js';
import { endRun, type Reporter, type RunResult, type TableResult } from './events.js';
import { openEnvironment, requireInstalled } from './environment.js';
import { exchangeTable } from './exchange.js';
import type { LocalPeer } from './localPeer.js';
import { purgeTombstones } from './retention.js';
import { readPage } from './localRows.js';
import { repairDrift, reconcileReplica } from './replica.js';

export interface SyncOptions {
  tables?: string[];
  dryRun?: boolean;
  reporter: Reporter;
}

/** Only the tables named (all when none), failing on a name the config does not have. */
export function selectTables(config: NsyncConfig, names?: string[]): TableConfig[] {
  return selectNamed(config.tables, names, 'table', 'the config');
}

/** The items with these names (all when none), in config order; an unknown name is a usage error. */
export function selectNamed<T extends { name: string }>(
  items: T[],
  names: string[] | undefined,
  what: string,
  holder: string,
): T[] {
  if (!names || names.length === 0) return items;
  const unknown = names.filter((n) => !items.some((i) => i.name === n));
  if (unknown.length > 0) {
    const known = items.map((i) => i.name).join(', ') || 'none';
    throw new NsyncError('USAGE', `unknown ${what} ${unknown.join(', ')}: ${holder} has ${known}`);
  }
  return items.filter((i) => names.includes(i.name));
}

/**
 * The local pass (PHP `sync.php`): master → slave as a replica, or master ↔ master by the
 * tables' conflict strategies. One table failing does not stop the others.
 */
export async function syncLocal(config: NsyncConfig, options: SyncOptions): Promise<RunResult> {
  const started = Date.now();
  const tables = selectTables(config, options.tables);
  const dryRun = options.dryRun ?? false;
  const env = await openEnvironment(config);
  const results: TableResult[] = [];
  try {
    const { master, slave } = env;
    if (!slave) throw new NsyncError('CONFIG_INVALID', `mode ${config.mode} needs databases.slave`);
    for (const peer of env.peers) await requireInstalled(peer);
    for (const table of tables) {
      if (config.mode === 'master-slave')
        results.push(...(await replicate(table, master, slave, dryRun, options.reporter)));
      else results.push(...(await exchangeBoth(table, master, slave, dryRun, options.reporter)));
    }
    if (!dryRun) {
      for (const peer of env.peers) await purgeTombstones(peer.adapter, config.tombstoneRetentionDays);
    }
  } finally {
    await env.close();
  }
  return endRun(results, dryRun, started, options.reporter);
}

async function replicate(
  table: TableConfig,
  master: LocalPeer,
  slave: LocalPeer,
  dryRun: boolean,
  reporter: Reporter,
): Promise<TableResult[]> {
  const cursorKey = { peer: master.id, direction: 'replica' };
  const fresh = (await slave.readCursor(cursorKey.peer, table.name, cursorKey.direction)) === null;
  // Before a first copy: whether the slave holds rows to reconcile, and where its own log
  // stands, so direct writes to it during the copy are still undone afterwards.
  const start = fresh ? await firstCopyStart(table, slave) : null;
  const copy = await exchangeTable({
    table,
    source: master,
    target: slave,
    direction: 'master → slave',
    cursorHome: slave,
    cursorKey,
    strategy: 'source-wins',
    replica: true,
    dryRun,
    reporter,
    // A first copy also removes what only the slave has; afterwards, the slave's own
    // change log shows every write made to it directly, and each is undone.
    afterwards: async (counts) => {
      if (start?.hasRows) counts.deleted += await reconcileReplica(table, master, slave, dryRun);
      if (!dryRun) await repairDrift(table, master, slave, counts, start?.logPosition ?? null);
    },
  });
  return [copy];
}

/** Never throws: a table that cannot be read fails in its exchange, with its own message. */
async function firstCopyStart(
  table: TableConfig,
  slave: LocalPeer,
): Promise<{ hasRows: boolean; logPosition: string | null }> {
  try {
    const shape = await slave.shape(table);
    const hasRows = (await readPage(slave.adapter, shape, null, 1)).length > 0;
    return { hasRows, logPosition: await slave.logPosition() };
  } catch {
    return { hasRows: true, logPosition: null };
  }
}

async function exchangeBoth(
  table: TableConfig,
  master: LocalPeer,
  slave: LocalPeer,
  dryRun: boolean,
  reporter: Reporter,
): Promise<TableResult[]> {
  const common = { table, strategy: table.conflict, replica: false, dryRun, reporter };
  const down = await exchangeTable({
    ...common,
    source: master,
    target: slave,
    direction: 'master → slave',
    cursorHome: slave,
    cursorKey: { peer: master.id, direction: 'pull' },
  });
  const up = await exchangeTable({
    ...common,
    source: slave,
    target: master,
    direction: 'slave → master',
    cursorHome: master,
    cursorKey: { peer: slave.id, direction: 'pull' },
  });
  return [down, up];
}
