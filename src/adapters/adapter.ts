import type { Knex } from 'knex';
import type { TableConfig } from '../config/types.js';
import type { CanonicalRow, CanonicalValue, ColumnShape, Dialect, TableShape } from '../core/types.js';

/** A database handle or an open transaction on it. */
export type Db = Knex | Knex.Transaction;
export type SqlRow = Record<string, unknown>;

/**
 * What differs between databases, declared as data so the engine never asks
 * `if (dialect === …)`.
 */
export interface Capabilities {
  /** Rows in one multi-row statement (SQLite: 500, DESIGN §3). */
  maxRowsPerStatement: number;
  /** Bound parameters one statement may carry. */
  maxBindings: number;
  /** Fractional-second digits of `nsync_changes.changed_at` (tombstone times). */
  changeLogDigits: number;
  /** Whether `SELECT … FOR UPDATE` locks rows (SQLite has one writer instead). */
  rowLocks: boolean;
}

export type WriteMode = 'fresh' | 'ignore' | 'upsert';

/**
 * How `fresh` rows of a logged table enter the change log. A database whose bulk path can
 * bypass the row trigger (PostgreSQL's COPY) writes the log entries in one statement instead,
 * exactly as the trigger would have; others let the trigger do it.
 */
export interface FreshLog {
  timestampColumn: string;
  origin: string;
}

/** The change-log entry of one row, as stored in `nsync_changes`. */
export interface ChangeEntry {
  seq: number;
  pk: string;
  op: 'upsert' | 'delete';
  changedAt: string | null;
  origin: string | null;
}

export interface Adapter {
  readonly dialect: Dialect;
  readonly caps: Capabilities;
  readonly db: Knex;
  /** How messages name this database, e.g. `master (postgres 127.0.0.1:5432/shop)`. */
  readonly label: string;

  query(db: Db, sql: string, bindings?: readonly unknown[]): Promise<SqlRow[]>;
  quote(identifier: string): string;
  /** Columns (all of them) and primary key of a table, or null when it does not exist. */
  introspect(table: string): Promise<{ columns: ColumnShape[]; primaryKey: string[] } | null>;
  /** The first column of each index on a table. */
  leadingIndexColumns(table: string): Promise<string[]>;
  /** Whether nsync's capture triggers are present on a table. */
  hasCapture(table: string): Promise<boolean>;
  /** The database clock, canonical (inside `on` when given: SQLite has one connection). */
  now(on?: Db): Promise<string>;

  /** Driver value → plain input for `toCanonical`. */
  fromDriver(column: ColumnShape, value: unknown): unknown;
  /** Canonical value → what the driver binds for that column. */
  toDriver(column: ColumnShape, value: CanonicalValue): unknown;
  /** A condition matching rows with these keys, and its bindings. */
  keyMatch(shape: TableShape, keys: CanonicalValue[][]): { sql: string; bindings: unknown[] };
  /** The exact text the capture triggers write as `nsync_changes.pk` for a key. */
  keyText(shape: TableShape, key: CanonicalValue[]): string;
  /** Key values (canonical) from `nsync_changes.pk` text. */
  parseKeyText(shape: TableShape, text: string): CanonicalValue[];

  /** DDL that installs (and that removes) the capture triggers of one table. */
  captureDdl(table: TableConfig, shape: TableShape): { install: string[]; uninstall: string[] };
  /** Gives every committed unnumbered change-log entry its sequence number; returns the high-water mark. */
  assignRound(): Promise<number>;
  /** Marks the transaction's writes as coming from `origin` (null: the application; '-': a replica copy, not logged). */
  setOrigin(trx: Knex.Transaction, origin: string | null): Promise<void>;
  /**
   * Writes rows in as few statements as the database allows: `upsert` overwrites, `ignore`
   * skips keys that exist, `fresh` is `ignore` for rows expected to be absent (a first copy
   * into an empty table), written the fastest way the database has. Returns the rows written
   * (for `fresh` and `ignore`: inserted, leaving out keys that existed).
   */
  writeRows(
    trx: Knex.Transaction,
    shape: TableShape,
    rows: CanonicalRow[],
    mode: WriteMode,
    log?: FreshLog,
  ): Promise<number>;
  /**
   * Lets the transaction commit without waiting for its log flush. Only for a batch whose
   * cursor commits in the same transaction: a crash can then lose the batch only together
   * with its cursor, and the batch is sent again. A no-op where the database has no such setting.
   */
  deferFlush(trx: Knex.Transaction): Promise<void>;
  /** Runs `fn` in a transaction at the isolation level the change log needs. */
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
