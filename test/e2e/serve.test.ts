import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { Agent, request } from 'undici';
import { ITEMS_DDL } from '../helpers/databases.js';
import { requireBuilt, runNsync, type CliResult } from '../helpers/cli.js';
import {
  killAllServe,
  startServe,
  within,
  type LogLine,
  type ServeProcess,
} from '../helpers/serveProcess.js';
import { call, type CallResult } from '../helpers/server.js';
import { makeTlsFiles, type TlsFiles } from '../helpers/tlsCerts.js';

/**
 * `nsync serve` as the built binary, a real process (DESIGN §6-7): what it refuses to start
 * with, a graceful stop on SIGTERM / SIGINT with requests in flight, TLS with client
 * certificates, and the status page in a real headless Chromium. SQLite files in temp folders.
 */

const KEY = `serve-e2e-${randomBytes(12).toString('hex')}`;
const OLD_KEY = `serve-e2e-old-${randomBytes(12).toString('hex')}`;
const ENVIRONMENT = 'hq-e2e';
const STACK = '    at ';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const folders: string[] = [];

/** A temp folder with `items.db` (nsync installed) and config files beside it. */
class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'nsync-serve-e2e-'));
  readonly db = join(this.dir, 'items.db');

  private constructor() {
    folders.push(this.dir);
  }

  /** `rows` rows in `items` before install, each with a ~300-character note so pulls are large. */
  static async create(rows = 0): Promise<Workspace> {
    const ws = new Workspace();
    const db = new Database(ws.db);
    try {
      db.exec(ITEMS_DDL.sqlite);
      const insert = db.prepare(
        `INSERT INTO items (id, name, qty, price, note, updated_at) VALUES (?, ?, ?, '1.50', ?, '2025-01-01 10:00:00')`,
      );
      db.transaction(() => {
        for (let id = 1; id <= rows; id++) insert.run(id, `item ${id}`, id % 97, `${'n'.repeat(300)} ${id}`);
      })();
    } finally {
      db.close();
    }
    const installed = await runNsync(['install', ws.writeConfig('install.json', {})], { cwd: ws.dir });
    expect({ code: installed.code, stderr: installed.stderr }).toEqual({ code: 0, stderr: '' });
    return ws;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A config over items.db; `api: null` leaves the api block (and so every key) out. */
  writeConfig(name: string, options: { api?: unknown; server?: Record<string, unknown> }): string {
    const raw = {
      environment: ENVIRONMENT,
      mode: 'master-slave',
      // A server exposes its master only; the mode still needs a slave, here the same file.
      databases: { master: { url: `sqlite:${this.db}` }, slave: { url: `sqlite:${this.db}` } },
      replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      ...(options.api === null ? {} : { api: options.api ?? { keys: [KEY, OLD_KEY] } }),
      server: { listen: '127.0.0.1:0', ...options.server },
    };
    writeFileSync(this.path(name), JSON.stringify(raw, null, 2));
    return this.path(name);
  }

  count(): number {
    const db = new Database(this.db, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  serve(...args: string[]): Promise<CliResult> {
    return runNsync(['serve', ...args], { cwd: this.dir });
  }
}

/** A refusal: the exit code, one line on stderr naming `mentions`, no stack trace, never listening. */
function expectRefused(result: CliResult, code: number, ...mentions: string[]): void {
  expect({
    code: result.code,
    stackInStderr: result.stderr.includes(STACK),
    listened: result.stdout.includes('nsync serve listening'),
    oneLine: /^nsync: [^\n]+\n?$/.test(result.stderr),
    mentioned: mentions.filter((m) => !result.stderr.includes(m)),
    stderr: result.stderr,
  }).toEqual({
    code,
    stackInStderr: false,
    listened: false,
    oneLine: true,
    mentioned: [],
    stderr: expect.any(String),
  });
}

const msgStarts = (prefix: string) => (line: LogLine) =>
  typeof line.msg === 'string' && line.msg.startsWith(prefix);

const indexOf = (logs: LogLine[], matches: (line: LogLine) => boolean) => logs.findIndex(matches);

/** One request with this file's key unless told otherwise (see `call`). */
function callApi(
  url: string,
  options: { key?: string | null; dispatcher?: Agent; body?: unknown } = {},
): Promise<CallResult> {
  return call(url, '', { ...options, key: options.key === undefined ? KEY : options.key });
}

/** An `items` change as nsync's protocol carries it (canonical encoding, DESIGN §5). */
function upsert(id: number, qty: unknown = id % 97) {
  const at = '2025-06-01T12:00:00Z';
  return {
    op: 'upsert',
    key: [id],
    at,
    row: { id, name: `pushed ${id}`, qty, price: '2.50', note: null, updated_at: at },
  };
}

interface TlsOutcome {
  /** The client's side of the handshake completed. */
  secure: boolean;
  /** An HTTP answer came back. */
  answered: boolean;
  /** The code the connection ended with, if an error. */
  error: string | null;
}

/**
 * A TLS connection to `url` that sends `GET /healthz` once the handshake is done. With TLS 1.3
 * the client's side of the handshake finishes before the server has checked the certificate,
 * so a refusal shows as a closed connection (an alert, or none); with TLS 1.2 the handshake
 * itself fails.
 */
function handshake(url: string, options: ConnectionOptions): Promise<TlsOutcome> {
  const { hostname, port } = new URL(url);
  const outcome = new Promise<TlsOutcome>((resolve) => {
    const seen: TlsOutcome = { secure: false, answered: false, error: null };
    const socket = tlsConnect({ ...options, host: hostname, port: Number(port) });
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('secureConnect', () => {
      seen.secure = true;
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    socket.on(
      'data',
      (chunk: Buffer) => (seen.answered ||= chunk.toString('latin1').startsWith('HTTP/1.1 200')),
    );
    socket.on('error', (e: NodeJS.ErrnoException) => (seen.error = e.code ?? e.message));
    socket.on('close', () => resolve(seen));
  });
  return within(outcome, 15_000, `a TLS connection to ${url} to end`);
}

beforeAll(() => requireBuilt());

afterAll(async () => {
  await killAllServe();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('nsync serve: refuses to start when serving would be unsafe or impossible', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
  });

  it('without api.keys (and without --insecure-no-auth): exit 3 naming api.keys', async () => {
    const config = ws.writeConfig('no-keys.json', { api: null });
    expectRefused(await ws.serve(config, '--listen', '127.0.0.1:0'), 3, 'api.keys');
  });

  it('--insecure-no-auth on an address that is not loopback: exit 2', async () => {
    const config = ws.writeConfig('no-keys-open.json', { api: null });
    expectRefused(
      await ws.serve(config, '--insecure-no-auth', '--listen', '0.0.0.0:0'),
      2,
      '--insecure-no-auth',
      '0.0.0.0',
    );
  });

  it('plain HTTP on an address that is not loopback, without server.plainHttp: exit 3', async () => {
    const config = ws.writeConfig('keys.json', {});
    expectRefused(await ws.serve(config, '--listen', '0.0.0.0:0'), 3, 'server.tls', 'plainHttp', '0.0.0.0');
  });

  it('a --listen address already in use: exit 2 naming it', async () => {
    const config = ws.writeConfig('keys.json', {});
    const taken = createNetServer();
    await within(
      new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve)),
      5_000,
      'a port to occupy',
    );
    try {
      const port = (taken.address() as AddressInfo).port;
      expectRefused(await ws.serve(config, '--listen', `127.0.0.1:${port}`), 2, `127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a server.tls.cert that does not exist: exit 3 naming the file', async () => {
    const config = ws.writeConfig('missing-cert.json', {
      server: { tls: { cert: 'no-such-dir/server-cert.pem', key: 'no-such-dir/server-key.pem' } },
    });
    expectRefused(
      await ws.serve(config, '--listen', '127.0.0.1:0'),
      3,
      'server.tls.cert',
      ws.path('no-such-dir/server-cert.pem'),
    );
  });

  it('--insecure-no-auth on 127.0.0.1 starts, and serves /v1/info without a key', async () => {
    const config = ws.writeConfig('no-keys.json', { api: null });
    const server = await startServe([config, '--insecure-no-auth', '--listen', '127.0.0.1:0'], {
      cwd: ws.dir,
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const info = await callApi(`${server.url}/v1/info`, { key: null });
      expect(info.status).toBe(200);
      expect(info.json).toMatchObject({ environment: ENVIRONMENT, tables: [{ name: 'items' }] });
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      await server.kill();
    }
  });
});

describe('nsync serve: graceful shutdown', () => {
  /**
   * The clients are undici with keep-alive, as nsync's own HTTP peer is: a stop must not
   * wait for a client to drop a connection whose last request has been answered. 10 s is
   * Docker's default grace period between SIGTERM and SIGKILL.
   */
  const EXIT_AFTER_LAST_REQUEST_MS = 10_000;
  const promptExit = (server: ServeProcess) =>
    server.waitForExit(
      EXIT_AFTER_LAST_REQUEST_MS,
      `nsync serve to exit once its last request in flight had been answered (it keeps waiting on the client's idle keep-alive connection)`,
    );

  it('SIGTERM while a 50 000-row GET /api/pull streams: the pull completes in full, then exit 0', async () => {
    const ws = await Workspace.create(50_000);
    const config = ws.writeConfig('keys.json', {});
    const server = await startServe([config, '--listen', '127.0.0.1:0'], { cwd: ws.dir });
    const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
    try {
      // The body (~20 MB) is not read until the server has begun shutting down, so the server
      // cannot have finished writing it: the request is in flight when the signal arrives.
      const response = await request(`${server.url}/api/pull?table=items`, {
        dispatcher: client,
        headers: { 'x-api-key': KEY, 'x-request-id': 'e2e-slow-pull' },
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      expect(response.statusCode).toBe(200);
      server.child.kill('SIGTERM');
      await server.waitForLog(msgStarts('shutting down'), '"shutting down"');

      const text = await within(response.body.text(), 60_000, 'the pull body');
      const body = JSON.parse(text) as { success: boolean; data: { id: number }[] };
      expect(body.success).toBe(true);
      expect(body.data).toHaveLength(50_000);
      expect(body.data.every((row, i) => row.id === i + 1)).toBe(true);

      const shuttingDown = indexOf(server.logs, msgStarts('shutting down'));
      const completed = () =>
        indexOf(server.logs, (line) => line.reqId === 'e2e-slow-pull' && line.msg === 'request completed');
      await server.waitForLog(
        (line) => line.reqId === 'e2e-slow-pull' && line.msg === 'request completed',
        'the pull completing',
      );
      expect(server.logs[shuttingDown]).toMatchObject({ signal: 'SIGTERM' });
      expect({ completedAfterShuttingDown: completed() > shuttingDown }).toEqual({
        completedAfterShuttingDown: true,
      });

      expect(await promptExit(server)).toEqual({ code: 0, signal: null });
      expect(indexOf(server.logs, (line) => line.msg === 'stopped')).toBeGreaterThan(completed());
      expect(server.stderr()).toBe('');
    } finally {
      await client.destroy();
      await server.kill();
    }
  });

  it('SIGTERM while a 20 000-row /v1/push is still being sent: it is applied in full, then exit 0', async () => {
    const ws = await Workspace.create();
    const config = ws.writeConfig('keys.json', {});
    const server = await startServe([config, '--listen', '127.0.0.1:0'], { cwd: ws.dir });
    const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
    try {
      const changes = Array.from({ length: 20_000 }, (_, i) => upsert(i + 1));
      const body = Buffer.from(
        JSON.stringify({ table: 'items', origin: 'store-7', batchId: 'e2e-big-push', changes }),
      );
      const half = Math.floor(body.length / 2);
      // Half the body; the signal once the server has the request; then the rest.
      async function* slowBody() {
        yield body.subarray(0, half);
        await server.waitForLog(
          (line) => line.reqId === 'e2e-slow-push' && line.msg === 'incoming request',
          'the push arriving',
        );
        server.child.kill('SIGTERM');
        await server.waitForLog(msgStarts('shutting down'), '"shutting down"');
        yield body.subarray(half);
      }
      const response = await request(`${server.url}/v1/push`, {
        method: 'POST',
        dispatcher: client,
        headers: {
          'x-api-key': KEY,
          'x-request-id': 'e2e-slow-push',
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
        body: Readable.from(slowBody(), { objectMode: false }),
        headersTimeout: 60_000,
        bodyTimeout: 30_000,
      });
      const text = await within(response.body.text(), 30_000, 'the push answer');
      expect({ status: response.statusCode, text }).toEqual({ status: 200, text: expect.any(String) });
      expect(JSON.parse(text)).toMatchObject({ applied: 20_000, inserted: 20_000, replayed: false });
      expect(indexOf(server.logs, msgStarts('shutting down'))).toBeGreaterThan(-1);

      expect(await promptExit(server)).toEqual({ code: 0, signal: null });
      expect(server.logs.some((line) => line.msg === 'stopped')).toBe(true);
      expect(ws.count()).toBe(20_000);
    } finally {
      await client.destroy();
      await server.kill();
    }
  });

  it('SIGINT stops it too: exit 0, "shutting down" then "stopped" in the log', async () => {
    const ws = await Workspace.create();
    const server = await startServe([ws.writeConfig('keys.json', {}), '--listen', '127.0.0.1:0'], {
      cwd: ws.dir,
    });
    try {
      expect((await callApi(`${server.url}/v1/info`)).status).toBe(200);
      expect(await server.stop('SIGINT')).toEqual({ code: 0, signal: null });
      const shuttingDown = indexOf(server.logs, msgStarts('shutting down'));
      expect(server.logs[shuttingDown]).toMatchObject({ signal: 'SIGINT' });
      expect(indexOf(server.logs, (line) => line.msg === 'stopped')).toBeGreaterThan(shuttingDown);
    } finally {
      await server.kill();
    }
  });
});

describe('nsync serve: TLS with client certificates', () => {
  let ws: Workspace;
  let tls: TlsFiles;
  let server: ServeProcess;
  let ca: Buffer;

  beforeAll(async () => {
    ws = await Workspace.create();
    mkdirSync(ws.path('tls'));
    tls = makeTlsFiles(ws.path('tls'));
    ca = readFileSync(tls.ca);
    // Paths relative to the config file, and a working directory elsewhere: they must resolve from the file.
    const config = ws.writeConfig('tls.json', {
      server: { tls: { cert: 'tls/server.pem', key: 'tls/server.key', ca: 'tls/ca.pem' } },
    });
    server = await startServe([config, '--listen', '127.0.0.1:0'], { cwd: tmpdir() });
  });

  afterAll(async () => {
    await server?.kill();
  });

  it('serves HTTPS: with the CA trusted and a client certificate it signed, /v1/info answers 200', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = new Agent({
      connect: { ca, cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey), timeout: 10_000 },
    });
    try {
      const info = await callApi(`${server.url}/v1/info`, { dispatcher: agent });
      expect(info.status).toBe(200);
      expect(info.json).toMatchObject({ environment: ENVIRONMENT });
      // The certificate is not a key: without X-API-Key, still 401.
      expect((await callApi(`${server.url}/v1/info`, { dispatcher: agent, key: null })).status).toBe(401);
    } finally {
      await agent.destroy();
    }
  });

  it('refuses the TLS handshake without a client certificate', async () => {
    // TLS 1.3: the server's "certificate required" alert ends the connection before any answer.
    expect(await handshake(server.url, { ca })).toMatchObject({
      answered: false,
      error: expect.stringMatching(/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/),
    });
    expect(await handshake(server.url, { ca, maxVersion: 'TLSv1.2' })).toMatchObject({
      secure: false,
      answered: false,
    });
    // An HTTP client sees the connection closed, never an HTTP answer.
    const agent = new Agent({ connect: { ca, timeout: 10_000 } });
    try {
      const answer = await callApi(`${server.url}/v1/info`, { dispatcher: agent }).then(
        (got) => `HTTP ${got.status}`,
        () => 'refused',
      );
      expect(answer).toBe('refused');
    } finally {
      await agent.destroy();
    }
  });

  it('refuses a client certificate signed by another CA', async () => {
    const stranger = { ca, cert: readFileSync(tls.strangerCert), key: readFileSync(tls.strangerKey) };
    expect(await handshake(server.url, stranger)).toMatchObject({ answered: false });
    expect(await handshake(server.url, { ...stranger, maxVersion: 'TLSv1.2' })).toMatchObject({
      secure: false,
      answered: false,
    });
  });

  it('accepts the handshake with its client certificate (so the refusals above are real)', async () => {
    const client = { ca, cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) };
    expect(await handshake(server.url, client)).toEqual({ secure: true, answered: true, error: null });
    expect(await handshake(server.url, { ...client, maxVersion: 'TLSv1.2' })).toEqual({
      secure: true,
      answered: true,
      error: null,
    });
  });

  it('with TLS configured, a non-loopback address is allowed', async () => {
    const config = ws.writeConfig('tls-any.json', {
      server: { tls: { cert: 'tls/server.pem', key: 'tls/server.key' } },
    });
    const open = await startServe([config, '--listen', '0.0.0.0:0'], { cwd: ws.dir });
    try {
      expect(open.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
      const port = new URL(open.url).port;
      const agent = new Agent({ connect: { ca, timeout: 10_000 } });
      try {
        expect((await callApi(`https://127.0.0.1:${port}/v1/info`, { dispatcher: agent })).status).toBe(200);
      } finally {
        await agent.destroy();
      }
      expect(await open.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      await open.kill();
    }
  });
});

describe('nsync serve: the status page in headless Chromium', () => {
  it('shows the environment, tables, the last exchange and the last error, and no API key', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the status page test needs Debian's Chromium; install it with \`apt-get install -y chromium\``,
      );
    }
    const ws = await Workspace.create();
    const server = await startServe([ws.writeConfig('keys.json', {}), '--listen', '127.0.0.1:0'], {
      cwd: ws.dir,
    });
    try {
      const pushed = await callApi(`${server.url}/v1/push`, {
        body: { table: 'items', origin: 'store-7', batchId: 'e2e-page-1', changes: [upsert(1), upsert(2)] },
      });
      expect({ status: pushed.status, json: pushed.json }).toMatchObject({
        status: 200,
        json: { applied: 2 },
      });
      const bad = await callApi(`${server.url}/v1/push`, {
        key: OLD_KEY,
        body: { table: 'items', origin: 'store-7', batchId: 'e2e-page-2', changes: [upsert(3, 'lots')] },
      });
      expect(bad.status).toBe(400);
      const badMessage = (bad.json as { error: string }).error;
      expect(badMessage).toContain('qty');
      // Without a key the API refuses; the page needs none.
      expect((await callApi(`${server.url}/v1/info`, { key: null })).status).toBe(401);

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
      });
      try {
        const page = await browser.newPage();
        page.setDefaultTimeout(15_000);
        const response = await page.goto(`${server.url}/`, { waitUntil: 'load', timeout: 15_000 });
        expect(response?.status()).toBe(200);
        const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();

        expect(await text('#environment')).toBe(ENVIRONMENT);
        expect(await text('#database')).toBe('reachable');
        expect(await text('#tables')).toContain('items');
        const exchanges = await text('#exchanges');
        expect(exchanges).toContain('store-7');
        expect(exchanges).toContain('items');
        expect(await text('#errors')).toContain(badMessage);
        expect(await page.title()).toContain(ENVIRONMENT);

        const html = await page.content();
        const sent = (await response?.text()) ?? '';
        for (const key of [KEY, OLD_KEY]) {
          expect({ inPage: html.includes(key), inResponse: sent.includes(key) }).toEqual({
            inPage: false,
            inResponse: false,
          });
        }
      } finally {
        await within(browser.close(), 15_000, 'Chromium to close').catch(() => undefined);
      }
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      await server.kill();
    }
  });
});
