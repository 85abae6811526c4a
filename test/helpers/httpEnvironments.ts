import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { buildConfig, install, silentReporter, type NsyncConfig } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { createTestDatabase, ITEMS_DDL, type TestDatabase } from './databases.js';
import { jsonOrUndefined, serverConfig, TEST_KEY } from './server.js';

/**
 * Environments that exchange over HTTP, for properties of `nsync multi` across several of
 * them: each one a SQLite master, its own in-process `nsync serve`, and a proxy in front of
 * that server that can drop a request (before the server sees it, or after the server has
 * answered: a lost reply) and keeps every `/v1/push` body that went through it, so a test can
 * deliver one again later.
 */

/** Which request (1-based, counted from `arm`) the proxy fails, and whether the server has handled it. */
export interface FaultPlan {
  failOn: number;
  when: 'before' | 'after';
}

/** A `/v1/push` request as the client sent it (headers that matter and the raw, possibly gzipped, body). */
export interface CapturedPush {
  headers: Record<string, string>;
  body: Buffer;
}

/** Request and response headers that belong to one hop, never forwarded. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
  'proxy-connection',
]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name.toLowerCase())) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** An HTTP proxy to one server that fails the request it is told to, by closing the connection. */
export class FaultyProxy {
  url = '';
  /** Requests seen since `arm`. */
  requests = 0;
  /** Their paths, the failed one marked with `✗`. */
  readonly seen: string[] = [];
  /** Whether the armed fault happened. */
  fired = false;
  readonly pushes: CapturedPush[] = [];
  private plan: FaultPlan | null = null;
  private hook: { at: number; run: () => Promise<void> } | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch(() => req.socket.destroy());
  });

  constructor(private readonly target: string) {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /**
   * Arms a fault and/or work to do (e.g. an application write on the server's database) when
   * the `at`-th request has arrived, before it is forwarded: as if it happened while the client
   * was between two requests.
   */
  arm(plan: FaultPlan | null, hook: { at: number; run: () => Promise<void> } | null = null): void {
    this.plan = plan;
    this.hook = hook;
    this.requests = 0;
    this.seen.length = 0;
    this.fired = false;
  }

  reset(): void {
    this.arm(null);
    this.pushes.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    this.requests++;
    const failing = this.plan !== null && this.requests === this.plan.failOn;
    this.seen.push(`${req.url ?? '/'}${failing ? ` ✗${this.plan?.when ?? ''}` : ''}`);
    if (this.hook?.at === this.requests) await this.hook.run();
    const headers = forwardable(req.headers);
    if (req.method === 'POST' && req.url === '/v1/push') this.pushes.push({ headers, body });
    if (failing && this.plan?.when === 'before') {
      this.fired = true;
      req.socket.destroy();
      return;
    }
    const response = await request(`${this.target}${req.url ?? '/'}`, {
      method: (req.method ?? 'GET') as 'GET' | 'POST',
      headers,
      dispatcher: this.agent,
      ...(body.length > 0 || req.method === 'POST' ? { body } : {}),
    });
    const answer = await readAll(response.body);
    if (failing) {
      // The server has handled it (a push has committed): the reply is what gets lost.
      this.fired = true;
      req.socket.destroy();
      return;
    }
    res.writeHead(response.statusCode, { ...forwardable(response.headers), 'content-length': answer.length });
    res.end(answer);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.agent.close();
  }
}

/** One environment: its master database (SQLite), its `nsync serve`, and the proxy clients reach it by. */
export interface HttpEnvironment {
  name: string;
  db: TestDatabase;
  server: RunningServer;
  proxy: FaultyProxy;
  /** The server's warnings and errors (pino JSON lines), newest last, at most 200. */
  logs: string[];
}

export interface EnvironmentTable {
  name: string;
  batchSize?: number;
  [key: string]: unknown;
}

const TABLES: EnvironmentTable[] = [{ name: 'items', batchSize: 2 }];

/** A fresh SQLite database with ITEMS_DDL, nsync installed, its server and its proxy. */
export async function startHttpEnvironment(
  name: string,
  tables: EnvironmentTable[] = TABLES,
): Promise<HttpEnvironment> {
  const db = await createTestDatabase('sqlite', name);
  try {
    // Kept in the file, so nsync's and the server's connections use it too: a commit then costs
    // no fsync of a rollback journal (about 10 ms each on a plain disk), which dominates otherwise.
    await db.knex.raw('PRAGMA journal_mode = WAL');
    await db.knex.raw('PRAGMA busy_timeout = 10000');
    await db.knex.raw(ITEMS_DDL.sqlite);
    const config = serverConfig(db.url, {
      environment: name,
      tables,
      // Properties make thousands of requests a minute with one key.
      server: { rateLimit: { max: 1_000_000, windowSeconds: 60 } },
    });
    await install(config, { reporter: silentReporter });
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        if (logs.length > 200) logs.splice(0, logs.length - 200);
        done();
      },
    });
    const server = await startServer(config, { logStream, logLevel: 'warn' });
    try {
      const proxy = await FaultyProxy.start(server.url);
      return { name, db, server, proxy, logs };
    } catch (error) {
      await server.close();
      throw error;
    }
  } catch (error) {
    await db.drop();
    throw error;
  }
}

export async function stopHttpEnvironment(env: HttpEnvironment | undefined): Promise<void> {
  if (!env) return;
  await env.proxy.close().catch(() => undefined);
  await env.server.close().catch(() => undefined);
  await env.db.drop();
}

/** nsync's own tables that hold state of past exchanges (nsync_meta and nsync_settings stay). */
export const NSYNC_STATE_TABLES = ['nsync_changes', 'nsync_cursors', 'nsync_conflicts', 'nsync_batches'];

/** Empties the synced tables, then nsync's state, as if nothing had ever been written or exchanged. */
export async function clearHttpEnvironment(
  env: HttpEnvironment,
  tables: string[] = ['items'],
): Promise<void> {
  for (const table of tables) await env.db.knex(table).delete();
  for (const table of NSYNC_STATE_TABLES) await env.db.knex(table).delete();
  env.proxy.reset();
}

export interface RemoteSpec {
  name: string;
  url: string;
}

/**
 * The config `nsync multi` runs with in `env`: its master (the slave is the same file, the
 * local pass is skipped), bidirectional remotes, and no retries, so a dropped request fails the
 * run at once instead of after seconds of backoff.
 */
export function multiConfig(
  env: HttpEnvironment,
  remotes: RemoteSpec[],
  tables: EnvironmentTable[] = TABLES,
): NsyncConfig {
  const raw = {
    environment: env.name,
    mode: 'master-slave',
    databases: { master: { url: env.db.url }, slave: { url: env.db.url } },
    replication: { tables: tables.map((t) => ({ primaryKey: 'id', ...t })) },
    remoteEnvironments: Object.fromEntries(
      remotes.map((r) => [
        r.name,
        { url: r.url, apiKey: TEST_KEY, syncMode: 'bidirectional', timeout: 10, retries: 0, breakAfter: 3 },
      ]),
    ),
  };
  return buildConfig(
    raw,
    join(tmpdir(), `nsync-multi-${process.pid}-${Math.random().toString(36).slice(2)}.json`),
    {},
  );
}

/** A loopback URL nothing listens on (a port just bound and released). */
export async function closedPortUrl(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Sends a captured push again, straight to the environment's server (not through its proxy); the answer uncompressed. */
export async function redeliver(
  env: HttpEnvironment,
  push: CapturedPush,
): Promise<{ status: number; json: unknown; text: string }> {
  const headers = Object.fromEntries(
    Object.entries(push.headers).filter(([name]) => name !== 'accept-encoding'),
  );
  const response = await request(`${env.server.url}/v1/push`, { method: 'POST', headers, body: push.body });
  const text = (await readAll(response.body)).toString('utf8');
  return { status: response.statusCode, json: jsonOrUndefined(text), text };
}
