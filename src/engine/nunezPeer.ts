import { pipeline, type Readable } from 'node:stream';
import StreamJson from 'stream-json';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import type { RemoteConfig, TableConfig } from '../config/types.js';
import { NsyncError } from '../core/errors.js';
import { emptyCounts, type ApplyCounts, type Change, type TableShape } from '../core/types.js';
import type { LocalPeer } from './localPeer.js';
import type { ApplyOptions, CursorWrite, Peer, PullPage } from './peer.js';
import { RemoteClient } from './remoteClient.js';
import { decodePhpRows, phpRow } from './wire.js';

/** What a NunezReplication server's `/api/push` answers. */
interface PhpPushAnswer {
  success?: boolean;
  result?: { inserted?: number; updated?: number; total?: number };
  error?: string;
}

/**
 * A remote that still runs NunezReplication's PHP server (`protocol: "nunez"`): it has no
 * change log, no cursors and no delete route. A pull streams its whole table (`/api/pull`,
 * parsed item by item, memory bounded by one page) and applies it here by last-write-wins;
 * a push sends this side's changes as PHP rows (`/api/push`), which the PHP server writes
 * blindly — so in a bidirectional exchange the pull runs first, and a local change that
 * lost to the remote's row is no longer pending when the push reads the log. Deletes cannot
 * be sent; they are counted in `unsentDeletes`.
 */
export class NunezPeer implements Peer {
  readonly changeLogDigits = 0;
  /** Deletes a push could not send, per table (the PHP server has no delete route). */
  readonly unsentDeletes = new Map<string, number>();
  private readonly client: RemoteClient;
  private readonly reading = new Map<string, AsyncIterator<{ value: unknown }>>();

  constructor(
    private readonly remote: RemoteConfig,
    /** This environment's master: a PHP server describes no schema, so rows are read as this one's. */
    private readonly local: LocalPeer,
  ) {
    this.client = new RemoteClient(remote, {
      retries: remote.retries,
      breakAfter: remote.breakAfter,
      minBackoffMs: 200,
    });
  }

  /** The origin recorded for what comes from it, and what is never sent back to it. */
  get id(): string {
    return `nunez:${this.remote.name}`;
  }

  get label(): string {
    return `${this.client.label} (NunezReplication)`;
  }

  get broken(): boolean {
    return this.client.broken;
  }

  shape(table: TableConfig): Promise<TableShape> {
    return this.local.shape(table);
  }

  /** The next `limit` rows of the table's one streamed answer; `more` until it ends. */
  async pull(table: TableConfig, _cursor: string | null, limit: number): Promise<PullPage> {
    let rows = this.reading.get(table.name);
    if (!rows) {
      const body = await this.client.stream(`/api/pull?table=${encodeURIComponent(table.name)}`);
      rows = dataItems(body)[Symbol.asyncIterator]();
      this.reading.set(table.name, rows);
    }
    const page: unknown[] = [];
    let done = false;
    while (page.length < limit) {
      const next = await rows.next().catch((error: unknown) => {
        throw new NsyncError('CONNECT', `${this.label}: the answer to /api/pull broke off: ${String(error)}`);
      });
      if (next.done) {
        done = true;
        break;
      }
      page.push(next.value.value);
    }
    if (done) this.reading.delete(table.name);
    const shape = await this.shape(table);
    const changes = decodePhpRows(table, shape, page);
    return { changes, cursor: 'nunez', more: !done, read: page.length, snapshot: false };
  }

  async apply(
    table: TableConfig,
    _origin: string,
    changes: Change[],
    options: ApplyOptions,
  ): Promise<ApplyCounts> {
    const counts = emptyCounts();
    const shape = await this.shape(table);
    const rows = changes.flatMap((c) => (c.op === 'upsert' ? [phpRow(shape, c.row)] : []));
    const deletes = changes.length - rows.length;
    if (deletes > 0) this.unsentDeletes.set(table.name, (this.unsentDeletes.get(table.name) ?? 0) + deletes);
    if (rows.length === 0 || options.dryRun) return counts;
    const answer = (await this.client.post('/api/push', { table: table.name, data: rows })) as PhpPushAnswer;
    if (answer?.success !== true) {
      throw new NsyncError(
        'REMOTE',
        `${this.label} did not apply the push: ${answer?.error ?? 'no success in its answer'}`,
      );
    }
    counts.inserted = answer.result?.inserted ?? 0;
    counts.updated = answer.result?.updated ?? 0;
    counts.unchanged = Math.max(0, rows.length - counts.inserted - counts.updated);
    return counts;
  }

  /** Asks the server, as `nsync status` does: `/api/status` answers without a key, `/api/metadata` needs one. */
  async probe(table: TableConfig): Promise<void> {
    await this.client.get('/api/status');
    await this.client.get(`/api/metadata?table=${encodeURIComponent(table.name)}`);
  }

  /** A PHP server cannot say: never assumed empty, so nothing is written without a lookup here. */
  async isEmpty(): Promise<boolean> {
    return false;
  }

  readCursor(): Promise<string | null> {
    return Promise.reject(new NsyncError('INTERNAL', `${this.label} keeps no cursors`));
  }

  writeCursor(_table: string, _write: CursorWrite): Promise<void> {
    return Promise.reject(new NsyncError('INTERNAL', `${this.label} keeps no cursors`));
  }

  async close(): Promise<void> {
    for (const rows of this.reading.values()) await rows.return?.();
    this.reading.clear();
    await this.client.close();
  }
}

/** The items of the top-level `data` array of a JSON body, one at a time. */
function dataItems(body: Readable): AsyncIterable<{ value: unknown }> {
  // pipeline, not pipe: a body that breaks off fails the items too, instead of leaving them waiting.
  const items = StreamArray.streamArray();
  pipeline(body, StreamJson.parser(), Pick.pick({ filter: 'data' }), items, () => undefined);
  return items as AsyncIterable<{ value: unknown }>;
}
