import { rejectedValue } from '../adapters/rejected.js';
import type { NsyncConfig, TableConfig } from '../config/types.js';
import { createHash, randomUUID } from 'node:crypto';
import { rowHash } from '../core/canonical.js';
import { NsyncError } from '../core/errors.js';
import { sealCursor, unsealCursor } from '../core/seal.js';
import { canonicalTimestamp, compareTimestamps, sqlTimestamp } from '../core/timestamp.js';
import {
  emptyCounts,
  type ApplyCounts,
  type CanonicalRow,
  type CanonicalValue,
  type Change,
  type ColumnShape,
  type JsonValue,
  type TableShape,
} from '../core/types.js';
import { VERSION } from '../version.js';
import { connect, requireInstalled } from './environment.js';
import { batchDigest, findBatch, purgeBatches, recordBatch } from './ledger.js';
import { LocalPeer } from './localPeer.js';
import { pagesInKeyOrder } from './localRows.js';
import type { PullPage } from './peer.js';
import { timestampDigits } from './shape.js';
import { decodeChanges, decodePhpRows, readKey } from './wire.js';

/** nsync's HTTP protocol version; a client refuses a server with another. */
export const PROTOCOL_VERSION = 1;

export interface TableInfo {
  name: string;
  primaryKey: string[];
  timestampColumn: string;
  capture: TableConfig['capture'];
  conflict: TableConfig['conflict'];
  columns?: Pick<ColumnShape, 'name' | 'kind' | 'nullable' | 'precision' | 'scale'>[];
  /** Why the table cannot be served (missing, no key…), instead of `columns`. */
  error?: string;
}

export interface EndpointInfo {
  environment: string;
  version: string;
  protocol: number;
  /** The database clock, canonical: clients compare it with theirs (LWW depends on clocks). */
  clock: string;
  changeLogDigits: number;
  tables: TableInfo[];
}

export interface PushRequest {
  table: string;
  origin: string;
  batchId: string;
  changes: unknown[];
  /** A snapshot page for a table this origin found empty (see `beginSnapshot`). */
  fresh?: boolean;
  dryRun?: boolean;
  /** Fractional-second digits the sender's times keep: times compare at the coarser precision. */
  digits?: number;
}

export interface PushResult extends ApplyCounts {
  /** Rows and tombstones written. */
  applied: number;
  /** The batch had been applied before: this is its first result, and nothing was written now. */
  replayed: boolean;
  /** Applied without lookups, as a page of a first copy into an empty table. */
  fresh: boolean;
}

export interface KeyRange {
  /** Rows after this key (exclusive); null: from the first row. */
  after: CanonicalValue[] | null;
  /** Rows up to this key (inclusive); null: to the last row. */
  upTo: CanonicalValue[] | null;
}

export interface RangeChecksum extends KeyRange {
  count: number;
  /** SHA-256 over the canonical hashes of the range's rows in key order. */
  hash: string;
}

const CHECKSUM_PAGE = 5_000;

/**
 * This environment's master database as the server side of remote exchanges (DESIGN §6):
 * what `nsync serve` calls, with no HTTP in it. Names of tables and columns come only from
 * the config and the database; everything from a request is checked before it is used.
 */
export class Endpoint {
  /** Origins whose first copy into an empty table is under way, by `origin\ntable`. */
  private readonly freshCopies = new Set<string>();

  private constructor(
    readonly config: NsyncConfig,
    readonly peer: LocalPeer,
    private readonly cursorKey: Buffer,
  ) {}

  static async open(config: NsyncConfig): Promise<Endpoint> {
    const adapter = await connect(config.databases.master);
    try {
      const peer = new LocalPeer(config.environment, adapter);
      await requireInstalled(peer);
      const [row] = await adapter
        .query(adapter.db, `SELECT value FROM nsync_settings WHERE name = 'cursor_key'`)
        .catch(() => []);
      if (!row) {
        throw new NsyncError(
          'SCHEMA',
          `${adapter.label} lacks the tables of this nsync version: run \`nsync install\` again`,
        );
      }
      return new Endpoint(config, peer, Buffer.from(String(row.value), 'hex'));
    } catch (error) {
      await adapter.close().catch(() => undefined);
      throw error;
    }
  }

  get label(): string {
    return this.peer.label;
  }

  /** A configured table, or a refusal naming it (never a name from a request spliced into SQL). */
  table(name: string): TableConfig {
    const table = this.config.tables.find((t) => t.name === name);
    if (!table) {
      throw new NsyncError('INPUT', `Table ${String(name).slice(0, 128)} not configured for replication`);
    }
    return table;
  }

  async info(): Promise<EndpointInfo> {
    const tables = await Promise.all(
      this.config.tables.map(async (table): Promise<TableInfo> => {
        const base = {
          name: table.name,
          primaryKey: table.primaryKey,
          timestampColumn: table.timestampColumn,
          capture: table.capture,
          conflict: table.conflict,
        };
        try {
          const shape = await this.shapeOf(table);
          const columns = shape.columns.map((c) => ({
            name: c.name,
            kind: c.kind,
            nullable: c.nullable,
            ...(c.precision === undefined ? {} : { precision: c.precision }),
            ...(c.scale === undefined ? {} : { scale: c.scale }),
          }));
          return { ...base, columns };
        } catch (error) {
          return { ...base, error: error instanceof NsyncError ? error.message : 'cannot be read' };
        }
      }),
    );
    return {
      environment: this.config.environment,
      version: VERSION,
      protocol: PROTOCOL_VERSION,
      clock: await this.peer.adapter.now(),
      changeLogDigits: this.peer.changeLogDigits,
      tables,
    };
  }

  /** One page for `requester`; the cursor going out is sealed, the one coming in must be. */
  async pull(name: string, cursor: string | null, limit: number, requester: string): Promise<PullPage> {
    const table = this.table(name);
    const inner = cursor === null ? null : unsealCursor(this.cursorKey, cursor);
    const page = await this.peer.pull(table, inner, limit, requester);
    return { ...page, cursor: sealCursor(this.cursorKey, page.cursor) };
  }

  /** Changes `requester` has still to pull after `cursor` (null during a snapshot), for `nsync status`. */
  async pending(name: string, cursor: string | null, requester: string): Promise<number | null> {
    const table = this.table(name);
    const inner = cursor === null ? null : unsealCursor(this.cursorKey, cursor);
    return this.peer.pending(table, inner, requester);
  }

  /**
   * Whether the table holds no rows and no tombstones. When it is empty, the pages `origin`
   * pushes next with `fresh` are written without lookups, as the local pass does into an
   * empty table; any other push from it ends that.
   */
  async beginSnapshot(name: string, origin: string): Promise<boolean> {
    const table = this.table(name);
    const empty = await this.peer.isEmpty(table);
    if (empty) this.freshCopies.add(`${origin}\n${table.name}`);
    else this.freshCopies.delete(`${origin}\n${table.name}`);
    return empty;
  }

  /** Applies one batch in one transaction, once per batch id (DESIGN §1, idempotence). */
  async push(request: PushRequest): Promise<PushResult> {
    const table = this.table(request.table);
    const shape = await this.shapeOf(table);
    const changes = decodeChanges(table, shape, request.changes);
    const copy = `${request.origin}\n${table.name}`;
    if (request.fresh !== true) this.freshCopies.delete(copy);
    const fresh = request.fresh === true && this.freshCopies.has(copy);
    const digits = Math.min(request.digits ?? 6, timestampDigits(shape, table), this.peer.changeLogDigits);
    return this.applyOnce(table, request, changes, { fresh, digits });
  }

  /**
   * NunezReplication's `/api/push`: whole rows from a PHP client, through LWW, in one
   * transaction (the body is in memory already, at most the body limit), so a row the
   * database refuses leaves nothing applied. The push is recorded for `/api/metadata`.
   */
  async pushPhpRows(name: string, rows: unknown[]): Promise<ApplyCounts> {
    const table = this.table(name);
    const shape = await this.shapeOf(table);
    const changes = decodePhpRows(table, shape, rows);
    if (changes.length === 0) return emptyCounts();
    return this.apply(
      table,
      PHP_ORIGIN,
      changes,
      { fresh: false, digits: PHP_DIGITS },
      false,
      (trx, counts) =>
        recordBatch(trx, {
          origin: PHP_ORIGIN,
          batchId: `php-${randomUUID()}`,
          table: table.name,
          digest: batchDigest(table.name, changes),
          result: counts as unknown as JsonValue,
          at: new Date().toISOString(),
        }),
    );
  }

  /** Every row in key order (PHP `/api/pull`), page by page; only rows newer than `since` when given. */
  async *rows(name: string, since: string | null): AsyncGenerator<CanonicalRow[]> {
    const table = this.table(name);
    const shape = await this.shapeOf(table);
    for await (const page of pagesInKeyOrder(this.peer.adapter, shape, table.batchSize)) {
      const wanted =
        since === null
          ? page
          : page.filter((row) => {
              const at = row[table.timestampColumn];
              return typeof at === 'string' && compareTimestamps(at, since, 6) > 0;
            });
      if (wanted.length > 0) yield wanted;
    }
  }

  /**
   * The table's shape here. Why it cannot be served is told to clients, so the database's
   * label (address, file path) is taken out of the message.
   */
  async shapeOf(tableOrName: TableConfig | string): Promise<TableShape> {
    const table = typeof tableOrName === 'string' ? this.table(tableOrName) : tableOrName;
    try {
      return await this.peer.shape(table);
    } catch (error) {
      if (error instanceof NsyncError && (error.code === 'TABLE' || error.code === 'SCHEMA')) {
        throw new NsyncError(
          error.code,
          error.message.replaceAll(` on ${this.label}`, '').replaceAll(this.label, 'the database'),
        );
      }
      throw error;
    }
  }

  /** NunezReplication's `/api/metadata`: row and tombstone counts, first and last exchange. */
  async metadata(name: string): Promise<Record<string, number | string | null>> {
    const table = this.table(name);
    const { adapter } = this.peer;
    const shape = await this.shapeOf(table);
    const q = adapter.quote;
    const [rows] = await adapter.query(adapter.db, `SELECT count(*) AS n FROM ${q(shape.name)}`);
    const [deleted] = await adapter.query(
      adapter.db,
      `SELECT count(*) AS n FROM nsync_changes WHERE table_name = ? AND op = 'delete'`,
      [table.name],
    );
    const [times] = await adapter.query(
      adapter.db,
      `SELECT min(at) AS first, max(at) AS last FROM (
         SELECT applied_at AS at FROM nsync_batches WHERE table_name = ?
         UNION ALL SELECT updated_at AS at FROM nsync_cursors WHERE table_name = ?) exchanges`,
      [table.name, table.name],
    );
    const when = (value: unknown) =>
      value === null || value === undefined
        ? null
        : sqlTimestamp(canonicalTimestamp(value as string | Date), 0);
    return {
      total_records: Number(rows?.n ?? 0),
      deleted_records: Number(deleted?.n ?? 0),
      last_sync: when(times?.last),
      first_sync: when(times?.first),
    };
  }

  /** Row count and hash per key range, read page by page (for `verify`). */
  async checksum(name: string, ranges: KeyRange[]): Promise<RangeChecksum[]> {
    const table = this.table(name);
    const shape = await this.shapeOf(table);
    const out: RangeChecksum[] = [];
    for (const [i, range] of ranges.entries()) {
      const after = range.after ? readKey(shape, range.after, `ranges[${i}].after`) : null;
      const upTo = range.upTo ? readKey(shape, range.upTo, `ranges[${i}].upTo`) : null;
      const hash = createHash('sha256');
      let count = 0;
      for await (const page of pagesInKeyOrder(this.peer.adapter, shape, CHECKSUM_PAGE, after, upTo)) {
        for (const row of page) hash.update(rowHash(row));
        count += page.length;
      }
      out.push({ after, upTo, count, hash: hash.digest('hex') });
    }
    return out;
  }

  /** Whether the database answers. */
  async healthy(): Promise<boolean> {
    try {
      await this.peer.adapter.query(this.peer.adapter.db, 'SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  purge(): Promise<void> {
    return purgeBatches(this.peer.adapter, this.config.tombstoneRetentionDays);
  }

  close(): Promise<void> {
    return this.peer.adapter.close();
  }

  private async applyOnce(
    table: TableConfig,
    request: PushRequest,
    changes: Change[],
    how: { fresh: boolean; digits: number },
  ): Promise<PushResult> {
    const { fresh } = how;
    const digest = batchDigest(table.name, changes);
    const earlier = async (): Promise<PushResult | null> => {
      const entry = await findBatch(this.peer.adapter, request.origin, request.batchId);
      if (!entry) return null;
      if (entry.digest !== digest) {
        throw new NsyncError(
          'BATCH_MISMATCH',
          `batch ${request.batchId} from ${request.origin} was already applied with different content`,
        );
      }
      return { ...(entry.result as unknown as PushResult), replayed: true };
    };
    const before = await earlier();
    if (before) return before;
    try {
      let result: PushResult | null = null;
      const counts = await this.apply(
        table,
        request.origin,
        changes,
        how,
        request.dryRun === true,
        async (trx, counts) => {
          result = { ...counts, applied: applied(counts), replayed: false, fresh };
          await recordBatch(trx, {
            origin: request.origin,
            batchId: request.batchId,
            table: table.name,
            digest,
            result: result as unknown as JsonValue,
            at: new Date().toISOString(),
          });
        },
      );
      // A dry run rolls back before its ledger entry: its counts come from the apply itself.
      return result ?? { ...counts, applied: applied(counts), replayed: false, fresh };
    } catch (error) {
      // The same batch, sent twice at once: the other copy committed first.
      const raced = await earlier().catch(() => null);
      if (raced) return raced;
      throw error;
    }
  }

  private async apply(
    table: TableConfig,
    origin: string,
    changes: Change[],
    how: { fresh: boolean; digits: number },
    dryRun: boolean,
    beforeCommit?: Parameters<LocalPeer['apply']>[3]['beforeCommit'],
  ): Promise<ApplyCounts> {
    const shape = await this.shapeOf(table);
    try {
      return await this.peer.apply(table, origin, changes, {
        strategy: table.conflict,
        replica: false,
        dryRun,
        ...how,
        fitted: true,
        ...(beforeCommit ? { beforeCommit } : {}),
      });
    } catch (error) {
      const refused = rejectedValue(
        error,
        shape.columns.map((c) => c.name),
      );
      if (refused) throw new NsyncError('INPUT', `${table.name}: ${refused}; nothing was applied`);
      throw error;
    }
  }
}

/** The origin recorded for rows a NunezReplication PHP client pushes (it sends no environment id). */
export const PHP_ORIGIN = 'nunez-client';

/** The PHP wire format carries whole seconds (`YYYY-MM-DD HH:MM:SS`): its times compare at that precision. */
const PHP_DIGITS = 0;

function applied(counts: ApplyCounts): number {
  return counts.inserted + counts.updated + counts.deleted;
}
