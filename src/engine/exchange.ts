import type { TableConfig } from '../config/types.js';
import { messageOf, NsyncError } from '../core/errors.js';
import { addCounts, emptyCounts, type ApplyCounts, type ConflictStrategy } from '../core/types.js';
import type { Reporter, TableResult } from './events.js';
import type { Peer, PullPage } from './peer.js';
import { timestampDigits } from './shape.js';

export interface Exchange {
  table: TableConfig;
  source: Peer;
  target: Peer;
  /** Human-readable, e.g. `master → slave`. */
  direction: string;
  /** The peer that keeps this exchange's cursor, and under which name and direction. */
  cursorHome: Peer;
  cursorKey: { peer: string; direction: string };
  strategy: ConflictStrategy;
  replica: boolean;
  dryRun: boolean;
  reporter: Reporter;
  /** The remote environment this exchange is with (absent in the local pass). */
  remote?: string;
  /** Runs after the last batch, before the result is reported; may add to the counts. */
  afterwards?: (counts: ApplyCounts) => Promise<void>;
}

/**
 * Moves one table from source to target in batches until the source has nothing more
 * (DESIGN §3). Each batch is applied in one transaction; the cursor moves only once the
 * batch has committed (in the same transaction when the target keeps the cursor).
 * Never throws: a failure becomes a failed TableResult naming the table and the cause.
 */
export async function exchangeTable(x: Exchange): Promise<TableResult> {
  const started = Date.now();
  const counts = emptyCounts();
  let read = 0;
  x.reporter.event({ type: 'table-start', table: x.table.name, direction: x.direction });
  const finish = (error?: string): TableResult => {
    const result: TableResult = {
      table: x.table.name,
      direction: x.direction,
      ok: error === undefined,
      read,
      counts,
      durationMs: Date.now() - started,
    };
    if (error !== undefined) result.error = error;
    if (x.remote !== undefined) result.remote = x.remote;
    x.reporter.event({ type: 'table-end', result });
    return result;
  };
  // The page being read ahead; a failed batch waits for it, so nothing still runs on the
  // source's connections when the caller closes them.
  let next: Promise<PullPage> | null = null;
  try {
    const { digits, fitted } = await compareShapes(x);
    let cursor = await x.cursorHome.readCursor(x.cursorKey.peer, x.table.name, x.cursorKey.direction);
    let restarted = false;
    // A first snapshot into an empty table needs no lookups: see ApplyOptions.fresh.
    let emptyTarget = cursor === null && (await x.target.isEmpty(x.table));
    const pull = (from: string | null) => x.source.pull(x.table, from, x.table.batchSize, x.target.id);
    next = pull(cursor);
    while (next) {
      let page: PullPage;
      try {
        page = await next;
      } catch (error) {
        if (error instanceof NsyncError && error.code === 'CURSOR_EXPIRED' && !restarted) {
          x.reporter.event({ type: 'warning', message: `${error.message}; starting a new snapshot` });
          restarted = true;
          cursor = null;
          emptyTarget = false;
          next = pull(null);
          continue;
        }
        throw error;
      }
      // Read the next page while this one is applied: source and target are separate connections.
      next = page.more ? pull(page.cursor) : null;
      next?.catch(() => undefined);
      if (page.changes.length > 0 || page.cursor !== cursor) {
        const batch = await applyPage(x, page, { digits, fitted, fresh: emptyTarget && page.snapshot });
        addCounts(counts, batch);
        read += page.read;
        x.reporter.event({
          type: 'batch',
          table: x.table.name,
          direction: x.direction,
          read: page.read,
          counts: batch,
        });
      }
      cursor = page.cursor;
    }
    // With a remote, stored again even when nothing moved: its time is the last successful
    // exchange that `nsync status` shows. The local pass has no such reader: no extra commit.
    if (x.remote !== undefined && !x.dryRun && cursor !== null) {
      await x.cursorHome.writeCursor(x.table.name, { ...x.cursorKey, value: cursor });
    }
    if (x.afterwards) await x.afterwards(counts);
    return finish();
  } catch (error) {
    await next?.catch(() => undefined);
    return finish(`${x.table.name} (${x.direction}): ${messageOf(error)}`);
  }
}

/** Applies one page; its cursor moves in the same transaction, or right after the target's commit. */
async function applyPage(
  x: Exchange,
  page: PullPage,
  how: { digits: number; fitted: boolean; fresh: boolean },
): Promise<ApplyCounts> {
  const write = { ...x.cursorKey, value: page.cursor };
  const keepsCursor = x.cursorHome === x.target;
  const counts = await x.target.apply(x.table, x.source.id, page.changes, {
    strategy: x.strategy,
    replica: x.replica,
    dryRun: x.dryRun,
    ...how,
    ...(keepsCursor ? { cursor: write } : {}),
  });
  if (!keepsCursor && !x.dryRun) await x.cursorHome.writeCursor(x.table.name, write);
  return counts;
}

/**
 * Both ends must sync the same columns; times compare at the coarser precision of the two,
 * and rows need re-encoding for the target only where a column differs in kind, precision or scale.
 */
async function compareShapes(x: Exchange): Promise<{ digits: number; fitted: boolean }> {
  const [from, to] = await Promise.all([x.source.shape(x.table), x.target.shape(x.table)]);
  const names = (s: typeof from) => new Set(s.columns.map((c) => c.name));
  const fromNames = names(from);
  const toNames = names(to);
  const onlyFrom = [...fromNames].filter((n) => !toNames.has(n));
  const onlyTo = [...toNames].filter((n) => !fromNames.has(n));
  if (onlyFrom.length > 0 || onlyTo.length > 0) {
    const parts = [
      onlyFrom.length > 0 ? `${x.target.label} lacks ${onlyFrom.join(', ')}` : '',
      onlyTo.length > 0 ? `${x.source.label} lacks ${onlyTo.join(', ')}` : '',
    ].filter(Boolean);
    throw new NsyncError('SCHEMA', `columns differ: ${parts.join('; ')}`);
  }
  const digits = Math.min(
    timestampDigits(from, x.table),
    timestampDigits(to, x.table),
    x.source.changeLogDigits,
    x.target.changeLogDigits,
  );
  const fitted = to.columns.every((c) => {
    const f = from.columns.find((d) => d.name === c.name);
    return f !== undefined && f.kind === c.kind && f.precision === c.precision && f.scale === c.scale;
  });
  return { digits, fitted };
}
