import type { TableConfig } from '../config/types.js';
import { keyId } from '../core/canonical.js';
import { addCounts, type ApplyCounts, type Change } from '../core/types.js';
import { deleteKeys, keyOf, pagesInKeyOrder, rowsByKeys, upsertOf } from './localRows.js';
import type { LocalPeer } from './localPeer.js';

/**
 * Removes, after a first copy, the rows only the slave has: the slave's keys are walked
 * in pages and looked up on the master. Returns how many were deleted.
 */
export async function reconcileReplica(
  table: TableConfig,
  master: LocalPeer,
  slave: LocalPeer,
  dryRun: boolean,
): Promise<number> {
  const shape = await slave.shape(table);
  const masterShape = await master.shape(table);
  let deleted = 0;
  for await (const page of pagesInKeyOrder(slave.adapter, shape, table.batchSize)) {
    const keys = page.map((row) => keyOf(shape, row));
    const present = new Set(
      (await rowsByKeys(master.adapter, master.adapter.db, masterShape, keys, false)).map((r) =>
        keyId(keyOf(masterShape, r)),
      ),
    );
    const gone = keys.filter((k) => !present.has(keyId(k)));
    if (gone.length > 0 && !dryRun) {
      await slave.adapter.transaction(async (trx) => {
        await slave.adapter.setOrigin(trx, '-');
        await deleteKeys(slave.adapter, trx, shape, gone);
        await slave.adapter.setOrigin(trx, null);
      });
    }
    deleted += gone.length;
  }
  return deleted;
}

/**
 * Undoes writes made directly to the slave: its change log holds only those (nsync's own
 * replica writes are not logged), so each logged key is set back to the master's row, or
 * deleted when the master has none. `startAt` is where to begin after a first copy.
 */
export async function repairDrift(
  table: TableConfig,
  master: LocalPeer,
  slave: LocalPeer,
  counts: ApplyCounts,
  startAt: string | null,
): Promise<void> {
  if (table.capture !== 'trigger' || !(await slave.adapter.hasCapture(table.name))) return;
  const key = { peer: slave.id, direction: 'drift' };
  let cursor = startAt ?? (await slave.readCursor(key.peer, table.name, key.direction));
  if (cursor === null) {
    await slave.writeCursor(table.name, { ...key, value: await slave.logPosition() });
    return;
  }
  const shape = await master.shape(table);
  for (;;) {
    const page = await slave.pull(table, cursor, table.batchSize, master.id);
    if (page.changes.length === 0 && page.cursor === cursor) break;
    const keys = page.changes.map((c) => c.key);
    const rows = new Map(
      (await rowsByKeys(master.adapter, master.adapter.db, shape, keys, false)).map((r) => [
        keyId(keyOf(shape, r)),
        r,
      ]),
    );
    const now = await master.adapter.now();
    const fixes: Change[] = keys.map((k) => {
      const row = rows.get(keyId(k));
      if (!row) return { op: 'delete', key: k, at: now };
      return upsertOf(table, shape, row, k);
    });
    const fixed = await slave.apply(table, master.id, fixes, {
      strategy: 'source-wins',
      digits: 6,
      replica: true,
      dryRun: false,
      cursor: { ...key, value: page.cursor },
    });
    addCounts(counts, fixed);
    cursor = page.cursor;
    if (!page.more) break;
  }
}
