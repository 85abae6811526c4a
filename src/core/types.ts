/** The three database families nsync speaks. */
export type Dialect = 'postgres' | 'mysql' | 'sqlite';

/**
 * Canonical column kinds (DESIGN §5). Every dialect maps its native types onto these,
 * so the same logical row encodes to the same JSON on every database.
 */
export type ColumnKind =
  'integer' | 'decimal' | 'float' | 'boolean' | 'text' | 'timestamp' | 'date' | 'binary' | 'json';

export interface ColumnShape {
  name: string;
  kind: ColumnKind;
  /** Native type as the database reports it, for messages. */
  dbType: string;
  nullable: boolean;
  autoIncrement: boolean;
  /** Fractional-second digits a timestamp column keeps (0–6). */
  precision?: number;
  /** Digits after the point of a decimal column, when declared. */
  scale?: number;
}

export interface TableShape {
  name: string;
  /** Columns nsync syncs, in the table's order (ignoreColumns removed). */
  columns: ColumnShape[];
  /** Primary-key columns, in key order. */
  primaryKey: string[];
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value in canonical encoding: what goes on the wire and into hashes. */
export type CanonicalValue = JsonValue;
export type CanonicalRow = Record<string, CanonicalValue>;

/** One change to one row, as a source hands it to a target. */
export type Change =
  | {
      op: 'upsert';
      /** Key values in primary-key order, canonical encoding. */
      key: CanonicalValue[];
      /** The row's timestamp column, canonical (ISO-8601 UTC), or null when the row has none. */
      at: string | null;
      row: CanonicalRow;
    }
  | {
      op: 'delete';
      key: CanonicalValue[];
      /** When the row was deleted (the tombstone's time), canonical. */
      at: string;
    };

export type ConflictStrategy = 'lww' | 'source-wins' | 'target-wins' | 'manual';
export type CaptureMode = 'trigger' | 'timestamp';
export type ReplicationMode = 'master-slave' | 'master-master';
export type SyncMode = 'push' | 'pull' | 'bidirectional';

/** Counts of what applying one or more batches did to a target. */
export interface ApplyCounts {
  inserted: number;
  updated: number;
  deleted: number;
  /** Incoming versions older than (or tied and losing to) what the target holds. */
  skippedOlder: number;
  /** Incoming versions identical to what the target holds. */
  unchanged: number;
  /** Rows recorded in nsync_conflicts under `conflict: manual`. */
  conflicts: number;
  /** Newer or equal-time local rows overwritten because of the strategy (source-wins) or a tie-break. */
  overwritten: number;
}

export const emptyCounts = (): ApplyCounts => ({
  inserted: 0,
  updated: 0,
  deleted: 0,
  skippedOlder: 0,
  unchanged: 0,
  conflicts: 0,
  overwritten: 0,
});

export function addCounts(into: ApplyCounts, more: ApplyCounts): ApplyCounts {
  for (const k of Object.keys(into) as (keyof ApplyCounts)[]) into[k] += more[k];
  return into;
}
