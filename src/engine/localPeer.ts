import type { Adapter } from '../adapters/index.js';
import type { TableConfig } from '../config/types.js';
import { keyId } from '../core/canonical.js';
import { decodeCursor, encodeCursor, type Cursor } from '../core/cursor.js';
import { NsyncError } from '../core/errors.js';
import { canonicalTimestamp } from '../core/timestamp.js';
import type { CanonicalValue, Change, TableShape } from '../core/types.js';
import { applyBatch, storeCursor, type BeforeCommit } from './localApply.js';
import { canonicalRow, keyOf, readPage, rowsByKeys, upsertOf } from './localRows.js';
import type { ApplyOptions, CursorWrite, Peer, PullPage } from './peer.js';
import { resolveShape } from './shape.js';

/** A database in this environment, as one end of an exchange. */
export class LocalPeer implements Peer {
  readonly changeLogDigits: number;
  private readonly shapes = new Map<string, Promise<TableShape>>();

  constructor(
    readonly id: string,
    readonly adapter: Adapter,
  ) {
    this.changeLogDigits = adapter.caps.changeLogDigits;
  }

  get label(): string {
    return this.adapter.label;
  }

  shape(table: TableConfig): Promise<TableShape> {
    let shape = this.shapes.get(table.name);
    if (!shape) {
      shape = resolveShape(this.adapter, table);
      shape.catch(() => this.shapes.delete(table.name));
      this.shapes.set(table.name, shape);
    }
    return shape;
  }

  async pull(
    table: TableConfig,
    cursorText: string | null,
    limit: number,
    requester: string,
  ): Promise<PullPage> {
    const shape = await this.shape(table);
    const cursor = cursorText ? decodeCursor(cursorText) : await this.startCursor(table);
    switch (cursor.phase) {
      case 'snapshot':
        return this.pullSnapshot(table, shape, cursor, limit);
      case 'tombstones':
        return this.pullTombstones(table, shape, cursor, limit, requester);
      case 'log':
        return this.pullLog(table, shape, cursor.seq, limit, requester);
      case 'ts':
        return this.pullByTimestamp(table, shape, cursor, limit);
    }
  }

  apply(
    table: TableConfig,
    origin: string,
    changes: Change[],
    options: ApplyOptions & { beforeCommit?: BeforeCommit },
  ) {
    return this.shape(table).then((shape) =>
      applyBatch(this.adapter, table, shape, origin, changes, options),
    );
  }

  /** No rows and no tombstones: nothing an incoming row could be weighed against. */
  async isEmpty(table: TableConfig): Promise<boolean> {
    if ((await readPage(this.adapter, await this.shape(table), null, 1)).length > 0) return false;
    const tombstones = await this.adapter.query(
      this.adapter.db,
      `SELECT 1 AS found FROM nsync_changes WHERE table_name = ? AND op = 'delete' LIMIT 1`,
      [table.name],
    );
    return tombstones.length === 0;
  }

  async readCursor(peer: string, table: string, direction: string): Promise<string | null> {
    const [row] = await this.adapter.query(
      this.adapter.db,
      `SELECT position FROM nsync_cursors WHERE peer = ? AND table_name = ? AND direction = ?`,
      [peer, table, direction],
    );
    return row ? String(row.position) : null;
  }

  /** A stored cursor and when it was last stored (UTC, canonical). */
  async cursorRow(
    peer: string,
    table: string,
    direction: string,
  ): Promise<{ position: string; updatedAt: string } | null> {
    const [row] = await this.adapter.query(
      this.adapter.db,
      `SELECT position, updated_at FROM nsync_cursors WHERE peer = ? AND table_name = ? AND direction = ?`,
      [peer, table, direction],
    );
    if (!row) return null;
    return { position: String(row.position), updatedAt: canonicalTimestamp(row.updated_at as string | Date) };
  }

  /** Conflicts recorded for a table (from one origin) and not yet resolved. */
  async openConflicts(table: TableConfig, origin: string): Promise<number> {
    const [row] = await this.adapter.query(
      this.adapter.db,
      `SELECT count(*) AS n FROM nsync_conflicts WHERE table_name = ? AND origin = ? AND resolved_at IS NULL`,
      [table.name, origin],
    );
    return Number(row?.n ?? 0);
  }

  writeCursor(table: string, write: CursorWrite): Promise<void> {
    return storeCursor(this.adapter.db, table, write);
  }

  /**
   * How many changes a reader at `cursorText` has still to read, leaving out those from
   * `requester`; null while it is in a snapshot (or follows timestamps), where the log says nothing.
   */
  async pending(table: TableConfig, cursorText: string | null, requester: string): Promise<number | null> {
    const cursor = cursorText === null ? null : decodeCursor(cursorText);
    if (cursor === null || cursor.phase !== 'log') return null;
    const [row] = await this.adapter.query(
      this.adapter.db,
      `SELECT count(*) AS n FROM nsync_changes
       WHERE table_name = ? AND (seq > ? OR seq IS NULL) AND (origin IS NULL OR origin <> ?)`,
      [table.name, cursor.seq, requester],
    );
    return Number(row?.n ?? 0);
  }

  /** The change-log position now: whatever changes after it is read from the log. */
  async logPosition(): Promise<string> {
    return encodeCursor({ phase: 'log', seq: await this.adapter.assignRound() });
  }

  private async startCursor(table: TableConfig): Promise<Cursor> {
    if (table.capture === 'timestamp') {
      // A first read by timestamp copies every row in key order, then follows timestamps from when it began.
      return { phase: 'snapshot', key: null, hw: 0, at: await this.adapter.now() };
    }
    return { phase: 'snapshot', key: null, hw: await this.adapter.assignRound() };
  }

  private async pullSnapshot(
    table: TableConfig,
    shape: TableShape,
    cursor: Cursor & { phase: 'snapshot' },
    limit: number,
  ): Promise<PullPage> {
    const rows = await readPage(this.adapter, shape, cursor.key, limit);
    const changes = rows.map((row) => upsertOf(table, shape, row));
    const last = changes.at(-1);
    let next: Cursor;
    if (rows.length === limit && last) next = { ...cursor, key: last.key };
    else if (table.capture === 'timestamp')
      next = { phase: 'ts', at: lookBack(cursor.at ?? null, table), key: null };
    else next = { phase: 'tombstones', hw: cursor.hw, after: null };
    return { changes, cursor: encodeCursor(next), more: true, read: rows.length, snapshot: true };
  }

  private async pullTombstones(
    table: TableConfig,
    shape: TableShape,
    cursor: Cursor & { phase: 'tombstones' },
    limit: number,
    requester: string,
  ): Promise<PullPage> {
    const entries = await this.adapter.query(
      this.adapter.db,
      `SELECT pk, changed_at, origin FROM nsync_changes
       WHERE table_name = ? AND op = 'delete' AND seq <= ?${cursor.after === null ? '' : ' AND pk > ?'}
       ORDER BY pk LIMIT ${Number(limit)}`,
      cursor.after === null ? [table.name, cursor.hw] : [table.name, cursor.hw, cursor.after],
    );
    const changes: Change[] = entries
      .filter((e) => e.origin === null || String(e.origin) !== requester)
      .map((e) => ({
        op: 'delete',
        key: this.adapter.parseKeyText(shape, String(e.pk)),
        at: canonicalTimestamp(String(e.changed_at)),
      }));
    const last = entries.at(-1);
    const next: Cursor =
      entries.length === limit && last
        ? { phase: 'tombstones', hw: cursor.hw, after: String(last.pk) }
        : { phase: 'log', seq: cursor.hw };
    return { changes, cursor: encodeCursor(next), more: true, read: entries.length, snapshot: false };
  }

  private async pullLog(
    table: TableConfig,
    shape: TableShape,
    after: number,
    limit: number,
    requester: string,
  ): Promise<PullPage> {
    const [purged] = await this.adapter.query(
      this.adapter.db,
      `SELECT value FROM nsync_meta WHERE name = 'purged_seq'`,
    );
    if (after < Number(purged?.value ?? 0)) {
      throw new NsyncError(
        'CURSOR_EXPIRED',
        `${table.name} on ${this.label}: the reader is older than tombstone retention; it must take a new snapshot`,
      );
    }
    // A round takes the numbering lock and commits; when none of this table's entries waits
    // for a number there is nothing for it to do (numbers only ever go to committed entries).
    const [waiting] = await this.adapter.query(
      this.adapter.db,
      `SELECT 1 AS found FROM nsync_changes WHERE table_name = ? AND seq IS NULL LIMIT 1`,
      [table.name],
    );
    if (waiting) await this.adapter.assignRound();
    const entries = await this.adapter.query(
      this.adapter.db,
      `SELECT seq, pk, op, changed_at, origin FROM nsync_changes
       WHERE table_name = ? AND seq > ? ORDER BY seq LIMIT ${Number(limit)}`,
      [table.name, after],
    );
    const wanted = entries.filter((e) => e.origin === null || String(e.origin) !== requester);
    const upsertKeys = wanted
      .filter((e) => e.op === 'upsert')
      .map((e) => this.adapter.parseKeyText(shape, String(e.pk)));
    const rows = new Map(
      (await rowsByKeys(this.adapter, this.adapter.db, shape, upsertKeys, false)).map((r) => [
        keyId(keyOf(shape, r)),
        r,
      ]),
    );
    const changes: Change[] = [];
    for (const e of wanted) {
      const key: CanonicalValue[] = this.adapter.parseKeyText(shape, String(e.pk));
      if (e.op === 'delete') {
        changes.push({ op: 'delete', key, at: canonicalTimestamp(String(e.changed_at)) });
        continue;
      }
      // The row as it is now; if it is gone, its delete has a later entry.
      const row = rows.get(keyId(key));
      if (!row) continue;
      changes.push(upsertOf(table, shape, row, key));
    }
    const last = entries.at(-1);
    const seq = last ? Number(last.seq) : after;
    return {
      changes,
      cursor: encodeCursor({ phase: 'log', seq }),
      more: entries.length === limit,
      read: entries.length,
      snapshot: false,
    };
  }

  /** capture: timestamp — rows after (at, key), re-reading the look-back window for late commits. */
  private async pullByTimestamp(
    table: TableConfig,
    shape: TableShape,
    cursor: Cursor & { phase: 'ts' },
    limit: number,
  ): Promise<PullPage> {
    const q = this.adapter.quote;
    const ts = shape.columns.find((c) => c.name === table.timestampColumn);
    if (!ts) throw new NsyncError('SCHEMA', `${table.name} has no timestamp column ${table.timestampColumn}`);
    const keyCols = [ts.name, ...shape.primaryKey];
    const bindings: unknown[] = [];
    let where = `${q(ts.name)} IS NOT NULL`;
    if (cursor.at !== null) {
      const after = [cursor.at, ...(cursor.key ?? [])];
      const cols = cursor.key ? keyCols : [ts.name];
      where += ` AND (${cols.map(q).join(', ')}) ${cursor.key ? '>' : '>='} (${cols.map(() => '?').join(', ')})`;
      cols.forEach((name, i) => {
        const column = shape.columns.find((c) => c.name === name);
        bindings.push(column ? this.adapter.toDriver(column, after[i] ?? null) : null);
      });
    }
    const raw = await this.adapter.query(
      this.adapter.db,
      `SELECT ${shape.columns.map((c) => q(c.name)).join(', ')} FROM ${q(shape.name)} WHERE ${where}
       ORDER BY ${keyCols.map(q).join(', ')} LIMIT ${Number(limit)}`,
      bindings,
    );
    const page = raw.map((r) => upsertOf(table, shape, canonicalRow(this.adapter, shape, r)));
    const last = page.at(-1);
    const next: Cursor =
      raw.length === limit && last
        ? { phase: 'ts', at: last.at, key: last.key }
        : { phase: 'ts', at: lookBack(last?.at ?? cursor.at, table), key: null };
    return {
      changes: page,
      cursor: encodeCursor(next),
      more: raw.length === limit,
      read: raw.length,
      snapshot: false,
    };
  }
}

/** The time a timestamp reader restarts from: `lookbackSeconds` before what it has seen. */
function lookBack(at: string | null, table: TableConfig): string | null {
  if (at === null) return null;
  const ms = Date.parse(at) - table.lookbackSeconds * 1000;
  return canonicalTimestamp(new Date(ms));
}
