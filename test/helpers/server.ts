import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { request as httpRequest, type Dispatcher } from 'undici';
import { buildConfig, install, silentReporter, type NsyncConfig } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import type { Dialect } from '../../src/core/types.js';
import { createTestDatabase, ITEMS_DDL, type TestDatabase } from './databases.js';
import type { TableSpec } from './configs.js';

export const TEST_KEY = 'test-key-one';
export const OTHER_KEY = 'test-key-two';

/** A real `nsync serve` (in this process, on a free loopback port) over a fresh database. */
export interface TestServer {
  url: string;
  db: TestDatabase;
  config: NsyncConfig;
  server: RunningServer;
  /** Log lines the server wrote (pino JSON). */
  logs: string[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** DDL run before install (default: ITEMS_DDL for the dialect). */
  ddl?: string[];
  tables?: TableSpec[];
  keys?: string[];
  environment?: string;
  /** Fields of the config's `server` block. */
  server?: Record<string, unknown>;
  batchSize?: number;
}

export function serverConfig(url: string, options: TestServerOptions = {}): NsyncConfig {
  const raw = {
    environment: options.environment ?? 'hq',
    mode: 'master-slave',
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    // A server exposes its master only; the config still names a slave (required by mode), here the same database.
    databases: { master: { url }, slave: { url } },
    replication: { tables: (options.tables ?? [{ name: 'items' }]).map((t) => ({ primaryKey: 'id', ...t })) },
    api: { keys: options.keys ?? [TEST_KEY, OTHER_KEY] },
    server: { listen: '127.0.0.1:0', ...options.server },
  };
  return buildConfig(
    raw,
    join(tmpdir(), `nsync-serve-${process.pid}-${Math.random().toString(36).slice(2)}.json`),
    {},
  );
}

export async function startTestServer(
  dialect: Dialect,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const db = await createTestDatabase(dialect, 'serve');
  try {
    for (const sql of options.ddl ?? [ITEMS_DDL[dialect]]) await db.knex.raw(sql);
    const config = serverConfig(db.url, options);
    await install(config, { reporter: silentReporter });
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const server = await startServer(config, { logStream, logLevel: 'info' });
    return {
      url: server.url,
      db,
      config,
      server,
      logs,
      close: async () => {
        await server.close();
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent as JSON unless it is a string or Buffer (sent as it is). */
  body?: unknown;
  /** The API key; null sends none. Default TEST_KEY. */
  key?: string | null;
  headers?: Record<string, string>;
  gzip?: boolean;
  /** E.g. an undici Agent with TLS options. */
  dispatcher?: Dispatcher;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP request to a test server; the body comes back as text and, when it parses, JSON. */
export async function call(base: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const key = options.key === undefined ? TEST_KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    body =
      typeof options.body === 'string' || Buffer.isBuffer(options.body)
        ? options.body
        : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
    if (options.gzip) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
  }
  const response = await httpRequest(`${base}${path}`, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: jsonOrUndefined(text) };
}

/** The JSON in a response body, or undefined when it is not JSON. */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
