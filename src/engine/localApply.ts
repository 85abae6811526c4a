import type { Knex } from 'knex';
import type { Adapter } from '../adapters/index.js';
import { chunks } from '../adapters/sql.js';
import type { TableConfig } from '../config/types.js';
import { keyId, rowHash } from '../core/canonical.js';
import { decide, type LocalState } from '../core/lww.js';
import { canonicalTimestamp, compareTimestamps, sqlTimestamp } from '../core/timestamp.js';
import {
  emptyCounts,
  type ApplyCounts,
  type CanonicalRow,
  type CanonicalValue,
  type Change,
  type TableShape,
} from '../core/types.js';
import { deleteKeys, fitRow, keyOf, rowsByKeys, rowTime, upsertOf } from './localRows.js';
import type { ApplyOptions } from './peer.js';

type Write =
  | { kind: 'row'; row: CanonicalRow; fresh: boolean }
  | { kind: 'delete'; key: CanonicalValue[]; at: string }
  | { kind: 'tombstone'; key: CanonicalValue[]; at: string };

// Stand-ins for hashes that cannot decide anything (the times differ): never equal.
const UNTIED = '0';
const UNTIED_INCOMING = '1';

interface Requeue {
  key: CanonicalValue[];
  local: LocalState;
}

interface Conflict {
  key: CanonicalValue[];
  local: CanonicalRow | { deletedAt: string } | null;
  incoming: Change;
}

class DryRun extends Error {}

/** Work that must commit or roll back with the batch (e.g. the server's ledger of pushed batches). */
export type BeforeCommit = (trx: Knex.Transaction, counts: ApplyCounts) => Promise<void>;

/**
 * Applies one batch to a database in one transaction (DESIGN §3–4): reads what the target
 * holds for the batch's keys (rows locked, tombstones), decides each change by the table's
 * strategy, then writes inserts, updates, deletes, tombstones, conflicts and the cursor in
 * bulk. Either all of it commits or none of it does.
 */
export async function applyBatch(
  adapter: Adapter,
  table: TableConfig,
  shape: TableShape,
  origin: string,
  changes: Change[],
  options: ApplyOptions & { beforeCommit?: BeforeCommit },
): Promise<ApplyCounts> {
  const counts = emptyCounts();
  const work = async (trx: Knex.Transaction) => {
    await adapter.setOrigin(trx, options.replica ? '-' : origin);
    if (options.cursor) await adapter.deferFlush(trx);
    // A key deleted here since the copy began has a tombstone an older row must not pass.
    if (options.fresh && (options.replica || !(await anyTombstone(adapter, trx, table, shape, changes)))) {
      const rows = changes.flatMap((c) =>
        c.op === 'upsert' ? [options.fitted ? c.row : fitRow(shape, c.row)] : [],
      );
      const logged = !options.replica && table.capture === 'trigger';
      const log = logged ? { timestampColumn: table.timestampColumn, origin } : undefined;
      const written = await adapter.writeRows(trx, shape, rows, 'fresh', log);
      // A key the application inserted meanwhile keeps its row: not inserted, and newer or not, it flows back later.
      counts.inserted += written;
      counts.skippedOlder += rows.length - written;
      if (options.cursor) await storeCursor(trx, table.name, options.cursor);
      await adapter.setOrigin(trx, null);
      if (options.dryRun) throw new DryRun();
      await options.beforeCommit?.(trx, counts);
      return;
    }
    const state = await localState(adapter, trx, table, shape, changes, options.replica);
    const writes = new Map<string, Write>();
    const conflicts: Conflict[] = [];
    const repeated = repeatedKeys(changes);
    const requeue = new Map<string, Requeue>();
    for (const change of changes) {
      const id = keyId(change.key);
      const incoming: Change =
        change.op === 'upsert' && !options.fitted ? fitChange(shape, table, change) : change;
      const held = state.get(id);
      // Hashes matter only when both versions carry the same time (at the compared precision):
      // otherwise the time decides, and the contents differ anyway (the time is a column).
      // A key repeated in this batch keeps a real hash for its next version.
      const tied =
        incoming.op === 'upsert' &&
        held?.state.kind === 'row' &&
        compareTimestamps(incoming.at, held.state.at, options.digits) === 0;
      const hash = incoming.op === 'upsert' && (tied || repeated.has(id)) ? rowHash(incoming.row) : null;
      const local: LocalState =
        held?.state.kind === 'row'
          ? { ...held.state, hash: tied ? held.state.hash || rowHash(held.row ?? {}) : UNTIED }
          : (held?.state ?? { kind: 'absent' });
      const decision = decide(incoming, hash ?? UNTIED_INCOMING, local, options.strategy, options.digits);
      switch (decision.action) {
        case 'insert':
        case 'update': {
          if (incoming.op !== 'upsert') break;
          const fresh = local.kind !== 'row' && writes.get(id)?.kind !== 'row';
          writes.set(id, { kind: 'row', row: incoming.row, fresh });
          state.set(id, { state: { kind: 'row', at: incoming.at, hash: hash ?? '' }, row: incoming.row });
          if (local.kind === 'row') counts.updated++;
          else counts.inserted++;
          if (decision.overwrite) counts.overwritten++;
          break;
        }
        case 'delete':
        case 'tombstone':
          writes.set(id, { kind: decision.action, key: change.key, at: change.at as string });
          state.set(id, { state: { kind: 'tombstone', at: change.at as string }, row: null });
          if (decision.action === 'delete') counts.deleted++;
          if (decision.action === 'delete' && decision.overwrite) counts.overwritten++;
          break;
        case 'skip':
          if (decision.reason === 'older') {
            counts.skippedOlder++;
            if (options.strategy === 'lww' && local.kind !== 'absent')
              requeue.set(id, { key: change.key, local });
          } else counts.unchanged++;
          break;
        case 'conflict': {
          const held = state.get(id);
          conflicts.push({
            key: change.key,
            local: held?.row ?? (local.kind === 'tombstone' ? { deletedAt: local.at } : null),
            incoming,
          });
          counts.conflicts++;
          break;
        }
      }
    }
    await write(adapter, trx, table, shape, origin, [...writes.values()], conflicts, options);
    if (!options.replica && table.capture === 'trigger') {
      await requeueWinners(
        adapter,
        trx,
        table,
        shape,
        [...requeue.entries()].filter(([id]) => !writes.has(id)).map(([, r]) => r),
      );
    }
    if (options.cursor) await storeCursor(trx, table.name, options.cursor);
    await adapter.setOrigin(trx, null);
    if (options.dryRun) throw new DryRun();
    await options.beforeCommit?.(trx, counts);
  };
  try {
    await adapter.transaction(work);
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }
  return counts;
}

/** Whether any key of the batch has a tombstone here. */
async function anyTombstone(
  adapter: Adapter,
  trx: Knex.Transaction,
  table: TableConfig,
  shape: TableShape,
  changes: Change[],
): Promise<boolean> {
  for (const part of chunks(changes, 2_000)) {
    const keys = part.map((c) => adapter.keyText(shape, c.key));
    const found = await adapter.query(
      trx,
      `SELECT 1 AS found FROM nsync_changes WHERE table_name = ? AND op = 'delete' AND pk IN (${keys.map(() => '?').join(', ')}) LIMIT 1`,
      [table.name, ...keys],
    );
    if (found.length > 0) return true;
  }
  return false;
}

function repeatedKeys(changes: Change[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const c of changes) {
    const id = keyId(c.key);
    if (seen.has(id)) repeated.add(id);
    seen.add(id);
  }
  return repeated;
}

function fitChange(shape: TableShape, table: TableConfig, change: Change & { op: 'upsert' }): Change {
  return upsertOf(table, shape, fitRow(shape, change.row), change.key);
}

async function localState(
  adapter: Adapter,
  trx: Knex.Transaction,
  table: TableConfig,
  shape: TableShape,
  changes: Change[],
  replica: boolean,
): Promise<Map<string, { state: LocalState; row: CanonicalRow | null }>> {
  const unique = new Map<string, CanonicalValue[]>();
  for (const c of changes) unique.set(keyId(c.key), c.key);
  const keys = [...unique.values()];
  const state = new Map<string, { state: LocalState; row: CanonicalRow | null }>();
  for (const row of await rowsByKeys(adapter, trx, shape, keys, adapter.caps.rowLocks)) {
    state.set(keyId(keyOf(shape, row)), {
      state: { kind: 'row', at: rowTime(table, row), hash: '' },
      row,
    });
  }
  if (replica) return state;
  const missing = keys.filter((k) => !state.has(keyId(k)));
  const byText = new Map(missing.map((k) => [adapter.keyText(shape, k), k]));
  for (const part of chunks([...byText.keys()], 2_000)) {
    const rows = await adapter.query(
      trx,
      `SELECT pk, changed_at FROM nsync_changes WHERE table_name = ? AND op = 'delete' AND pk IN (${part.map(() => '?').join(', ')})`,
      [table.name, ...part],
    );
    for (const r of rows) {
      const key = byText.get(String(r.pk));
      if (key && r.changed_at !== null) {
        state.set(keyId(key), {
          state: { kind: 'tombstone', at: canonicalTimestamp(String(r.changed_at)) },
          row: null,
        });
      }
    }
  }
  return state;
}

async function write(
  adapter: Adapter,
  trx: Knex.Transaction,
  table: TableConfig,
  shape: TableShape,
  origin: string,
  writes: Write[],
  conflicts: Conflict[],
  options: ApplyOptions,
): Promise<void> {
  const rows = writes.flatMap((w) => (w.kind === 'row' ? [w] : []));
  // A key nobody held is inserted without overwriting: if the application inserted it
  // meanwhile, its row stays and reaches the source later. A replica always takes the source's row.
  const fresh = rows.filter((w) => w.fresh && !options.replica).map((w) => w.row);
  const existing = rows.filter((w) => !w.fresh || options.replica).map((w) => w.row);
  await adapter.writeRows(trx, shape, fresh, 'ignore');
  await adapter.writeRows(trx, shape, existing, 'upsert');
  const deletes = writes.flatMap((w) => (w.kind === 'delete' ? [w.key] : []));
  if (deletes.length > 0) await deleteKeys(adapter, trx, shape, deletes);
  const tombstones = writes.flatMap((w) => (w.kind === 'row' ? [] : [w]));
  if (!options.replica && tombstones.length > 0) {
    // The trigger stamped each delete with the time it ran here; the tombstone keeps the
    // time it happened at its origin, so every environment decides later conflicts alike.
    for (const part of chunks(tombstones, 500)) {
      await trx('nsync_changes')
        .insert(
          part.map((t) => ({
            table_name: table.name,
            pk: adapter.keyText(shape, t.key),
            op: 'delete',
            changed_at: sqlTimestamp(t.at),
            origin,
            seq: null,
          })),
        )
        .onConflict(['table_name', 'pk'])
        .merge();
    }
  }
  if (conflicts.length > 0) {
    const now = sqlTimestamp(await adapter.now(trx));
    for (const part of chunks(conflicts, 500)) {
      await trx('nsync_conflicts').insert(
        part.map((c) => ({
          table_name: table.name,
          pk: adapter.keyText(shape, c.key),
          origin,
          detected_at: now,
          local_version: JSON.stringify(c.local),
          incoming_version: JSON.stringify(c.incoming),
          resolved_at: null,
        })),
      );
    }
  }
}

/**
 * The target kept its own version over an incoming one. That version may already have
 * been read by the source's side of the exchange (an equal-time tie lost there, a write
 * after it, a skewed clock), so it is logged again as a local change: it flows back and
 * every side ends on the same winner.
 */
async function requeueWinners(
  adapter: Adapter,
  trx: Knex.Transaction,
  table: TableConfig,
  shape: TableShape,
  winners: Requeue[],
): Promise<void> {
  for (const part of chunks(winners, 500)) {
    await trx('nsync_changes')
      .insert(
        part.map(({ key, local }) => ({
          table_name: table.name,
          pk: adapter.keyText(shape, key),
          op: local.kind === 'tombstone' ? 'delete' : 'upsert',
          changed_at: local.kind !== 'absent' && local.at !== null ? sqlTimestamp(local.at) : null,
          origin: null,
          seq: null,
        })),
      )
      .onConflict(['table_name', 'pk'])
      .merge();
  }
}

/** Stores a cursor; its `updated_at` (this host's clock) is only shown by `status`. */
export async function storeCursor(
  on: Knex | Knex.Transaction,
  table: string,
  write: { peer: string; direction: string; value: string },
): Promise<void> {
  await on('nsync_cursors')
    .insert({
      peer: write.peer,
      table_name: table,
      direction: write.direction,
      position: write.value,
      updated_at: sqlTimestamp(new Date().toISOString()),
    })
    .onConflict(['peer', 'table_name', 'direction'])
    .merge();
}
