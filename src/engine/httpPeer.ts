import { randomUUID } from 'node:crypto';
import type { RemoteConfig, TableConfig } from '../config/types.js';
import { NsyncError } from '../core/errors.js';
import type { ApplyCounts, Change, ColumnShape, TableShape } from '../core/types.js';
import type { EndpointInfo, PushResult, TableInfo } from './endpoint.js';
import { PROTOCOL_VERSION } from './endpoint.js';
import type { ApplyOptions, CursorWrite, Peer, PullPage } from './peer.js';
import { RemoteClient, remoteStatus, type RemoteClientOptions } from './remoteClient.js';

/**
 * Another environment's `nsync serve`, as one end of an exchange: the same Peer as a local
 * database (DESIGN §9), so a remote exchange is the local pass's code over HTTP. Its cursors
 * live on this side (`cursorHome` is always the local database).
 */
export class HttpPeer implements Peer {
  private constructor(
    private readonly client: RemoteClient,
    readonly info: EndpointInfo,
    /** This environment's id: what the remote skips when it sends, and the origin of what it receives. */
    private readonly self: string,
  ) {}

  /**
   * Connects and reads `/v1/info`: refuses a server that speaks another protocol, or that has
   * this environment's own id (its changes would never be told apart from ours).
   */
  static async connect(
    remote: RemoteConfig,
    self: string,
    options?: Partial<RemoteClientOptions>,
  ): Promise<HttpPeer> {
    const client = new RemoteClient(remote, {
      retries: remote.retries,
      breakAfter: remote.breakAfter,
      minBackoffMs: 200,
      ...options,
    });
    const notNsync = () =>
      new NsyncError(
        'REMOTE',
        `${client.label} does not speak the nsync protocol (no /v1/info): if it runs NunezReplication, set its "protocol": "nunez"`,
      );
    try {
      const info = (await client.get('/v1/info').catch((error: unknown) => {
        throw remoteStatus(error) === 404 ? notNsync() : error;
      })) as Partial<EndpointInfo> | undefined;
      if (typeof info !== 'object' || info === null || typeof info.protocol !== 'number') {
        throw notNsync();
      }
      if (info.protocol !== PROTOCOL_VERSION) {
        throw new NsyncError(
          'REMOTE',
          `${client.label} speaks nsync protocol ${info.protocol} (nsync ${String(info.version)}); this nsync speaks ${PROTOCOL_VERSION}`,
        );
      }
      if (info.environment === self) {
        throw new NsyncError(
          'CONFIG_INVALID',
          `${client.label} has this environment's own id ${self}: every environment needs its own "environment"`,
        );
      }
      return new HttpPeer(client, info as EndpointInfo, self);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  get id(): string {
    return this.info.environment;
  }

  get label(): string {
    return this.client.label;
  }

  get changeLogDigits(): number {
    return this.info.changeLogDigits;
  }

  async shape(table: TableConfig): Promise<TableShape> {
    const served = this.info.tables.find((t) => t.name === table.name);
    if (!served) throw new NsyncError('SCHEMA', `${this.label} does not serve table ${table.name}`);
    if (served.error !== undefined || !served.columns) {
      throw new NsyncError(
        'SCHEMA',
        `${this.label}: ${served.error ?? `table ${table.name} cannot be served`}`,
      );
    }
    const key = table.primaryKey.join(', ');
    if (served.primaryKey.join(', ') !== key) {
      throw new NsyncError(
        'SCHEMA',
        `${this.label}: table ${table.name} has key (${served.primaryKey.join(', ')}), here (${key})`,
      );
    }
    return { name: table.name, columns: served.columns.map(columnOf), primaryKey: served.primaryKey };
  }

  async pull(table: TableConfig, cursor: string | null, limit: number): Promise<PullPage> {
    const page = (await this.client.post('/v1/pull', {
      table: table.name,
      cursor,
      limit,
      requester: this.self,
    })) as PullPage & { changes: Change[] };
    if (!Array.isArray(page?.changes) || typeof page.cursor !== 'string') {
      throw new NsyncError('REMOTE', `${this.label} answered /v1/pull without changes and cursor`);
    }
    return page;
  }

  /** One batch, one request; the batch id stays the same through retries, so a retry is applied once. */
  async apply(
    table: TableConfig,
    origin: string,
    changes: Change[],
    options: ApplyOptions,
  ): Promise<ApplyCounts> {
    if (origin !== this.self) throw new NsyncError('INTERNAL', `pushing ${origin}'s changes as ${this.self}`);
    const result = (await this.client.post('/v1/push', {
      table: table.name,
      origin: this.self,
      batchId: randomUUID(),
      changes,
      digits: options.digits,
      ...(options.fresh ? { fresh: true } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    })) as PushResult;
    return {
      inserted: result.inserted,
      updated: result.updated,
      deleted: result.deleted,
      skippedOlder: result.skippedOlder,
      unchanged: result.unchanged,
      conflicts: result.conflicts,
      overwritten: result.overwritten,
    };
  }

  /** Changes the remote still has for this environment after `cursor` (null during a snapshot). */
  async pending(table: TableConfig, cursor: string | null): Promise<number | null> {
    const answer = (await this.client.post('/v1/pending', {
      table: table.name,
      cursor,
      requester: this.self,
    })) as {
      pending?: number | null;
    };
    return typeof answer?.pending === 'number' ? answer.pending : null;
  }

  async isEmpty(table: TableConfig): Promise<boolean> {
    const answer = (await this.client.post('/v1/snapshot', { table: table.name, origin: this.self })) as {
      empty?: boolean;
    };
    return answer?.empty === true;
  }

  readCursor(): Promise<string | null> {
    return Promise.reject(new NsyncError('INTERNAL', `${this.label} keeps no cursors`));
  }

  writeCursor(_table: string, _write: CursorWrite): Promise<void> {
    return Promise.reject(new NsyncError('INTERNAL', `${this.label} keeps no cursors`));
  }

  get broken(): boolean {
    return this.client.broken;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function columnOf(c: NonNullable<TableInfo['columns']>[number]): ColumnShape {
  const column: ColumnShape = {
    name: c.name,
    kind: c.kind,
    dbType: c.kind,
    nullable: c.nullable,
    autoIncrement: false,
  };
  if (c.precision !== undefined) column.precision = c.precision;
  if (c.scale !== undefined) column.scale = c.scale;
  return column;
}
