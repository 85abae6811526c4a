import type { TableConfig } from '../config/types.js';
import type { ApplyCounts, Change, ConflictStrategy, TableShape } from '../core/types.js';

/** One page of changes read from a source. */
export interface PullPage {
  changes: Change[];
  /** Opaque position after this page; store it once the page is committed at the target. */
  cursor: string;
  /** Whether another pull may return more. */
  more: boolean;
  /** Entries consumed, including those skipped because they came from the requester. */
  read: number;
  /** A page of a snapshot: rows in key order, each key once. */
  snapshot: boolean;
}

export interface CursorWrite {
  peer: string;
  direction: string;
  value: string;
}

export interface ApplyOptions {
  strategy: ConflictStrategy;
  /** Fractional-second digits both sides keep: times compare at this precision. */
  digits: number;
  /** A replica copy (master → slave): source wins and the write is not logged. */
  replica: boolean;
  /** Apply in a transaction and roll it back: the counts of a real run, nothing written. */
  dryRun: boolean;
  /** Stored in the same transaction as the batch (a peer that keeps its cursors). */
  cursor?: CursorWrite;
  /**
   * A snapshot page into a table that was empty when the snapshot began: no key can be
   * there yet but for a concurrent application write, which is kept. No lookups.
   */
  fresh?: boolean;
  /** The rows come from a table with the same column kinds, precision and scale: already canonical for this one. */
  fitted?: boolean;
}

/**
 * Either end of an exchange: a database here, or (later) another environment over HTTP.
 * The local pass and remote exchanges are the same code over this interface (DESIGN §9).
 */
export interface Peer {
  /** Environment id, recorded as the origin of what it sends. */
  readonly id: string;
  /** How messages name it. */
  readonly label: string;
  /** Fractional digits of its change-log times (tombstones). */
  readonly changeLogDigits: number;
  shape(table: TableConfig): Promise<TableShape>;
  pull(table: TableConfig, cursor: string | null, limit: number, requester: string): Promise<PullPage>;
  apply(table: TableConfig, origin: string, changes: Change[], options: ApplyOptions): Promise<ApplyCounts>;
  /** Whether the table holds no rows and remembers no deletes. */
  isEmpty(table: TableConfig): Promise<boolean>;
  readCursor(peer: string, table: string, direction: string): Promise<string | null>;
  writeCursor(table: string, write: CursorWrite): Promise<void>;
}
