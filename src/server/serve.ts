import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { DestinationStream } from 'pino';
import { Endpoint, messageOf, NsyncError, type NsyncConfig } from '../index.js';
import { buildApp } from './app.js';

export interface ServeOptions {
  /** `host:port`, overriding `server.listen`. */
  listen?: string;
  /** Serve without keys: refused unless the address is loopback. */
  insecureNoAuth?: boolean;
  logLevel?: string;
  logStream?: DestinationStream;
}

export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:8080`. */
  url: string;
  app: FastifyInstance;
  /** Stops accepting, lets requests in flight finish, closes the database. */
  close(): Promise<void>;
}

const PURGE_EVERY_MS = 3_600_000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new NsyncError('USAGE', `--listen ${listen}: expected host:port, e.g. 127.0.0.1:8080`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new NsyncError('CONFIG_INVALID', `server.tls.${what}: cannot read ${path}: ${messageOf(error)}`);
  }
}

/** Node's server with the timeouts that keep slow or idle clients from holding it. */
function serverFactory(config: NsyncConfig): FastifyServerFactory {
  const { tls, requestTimeoutMs } = config.server;
  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 30_000),
    connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
    keepAliveTimeout: 65_000,
  };
  return (handler) => {
    const handle = (req: IncomingMessage, res: ServerResponse) => handler(req, res);
    if (!tls) return createHttpServer(timeouts, handle);
    return createHttpsServer(
      {
        ...timeouts,
        cert: readPem(tls.cert, 'cert'),
        key: readPem(tls.key, 'key'),
        ...(tls.ca ? { ca: readPem(tls.ca, 'ca'), requestCert: true, rejectUnauthorized: true } : {}),
      },
      handle,
    );
  };
}

/**
 * `nsync serve`: checks that serving is safe as configured, connects to the master database,
 * and listens. Refuses to run without API keys unless told so on a loopback address, and
 * plain HTTP on another address unless `server.plainHttp` says a proxy terminates TLS.
 */
export async function startServer(config: NsyncConfig, options: ServeOptions = {}): Promise<RunningServer> {
  const { host, port } = options.listen
    ? parseListen(options.listen)
    : { host: config.server.host, port: config.server.port };
  const noAuth = options.insecureNoAuth === true;
  if (config.api.keys.length === 0 && !noAuth) {
    throw new NsyncError(
      'CONFIG_INVALID',
      'api.keys is empty: nsync serve needs at least one key (or --insecure-no-auth, on a loopback address only)',
    );
  }
  if (noAuth && !isLoopback(host)) {
    throw new NsyncError('USAGE', `--insecure-no-auth is only allowed on a loopback address, not ${host}`);
  }
  if (!config.server.tls && !config.server.plainHttp && !isLoopback(host)) {
    throw new NsyncError(
      'CONFIG_INVALID',
      `server: plain HTTP on ${host} would send keys and rows unencrypted; configure server.tls, or set server.plainHttp behind a TLS proxy`,
    );
  }
  const factory = serverFactory(config);
  const endpoint = await Endpoint.open(config);
  let app: FastifyInstance;
  try {
    ({ app } = await buildApp({
      config,
      endpoint,
      noAuth,
      serverFactory: factory,
      logLevel: options.logLevel ?? 'info',
      ...(options.logStream ? { logStream: options.logStream } : {}),
    }));
    await app.listen({ host, port });
  } catch (error) {
    await endpoint.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new NsyncError('USAGE', `cannot listen on ${host}:${port}: ${messageOf(error)}`);
    }
    throw error;
  }
  const purge = () =>
    endpoint.purge().catch((error: unknown) => app.log.warn({ err: error }, 'ledger purge failed'));
  void purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);
  timer.unref();
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `${config.server.tls ? 'https' : 'http'}://${shownHost}:${boundPort}`;
  app.log.info(
    { url, environment: config.environment, tables: config.tables.length },
    'nsync serve listening',
  );
  return {
    url,
    app,
    async close() {
      clearInterval(timer);
      // Connections become idle as their last answer goes out; close each then, not after the
      // client's keep-alive runs out (a supervisor would SIGKILL before the pool is closed).
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
        await endpoint.close();
      }
    },
  };
}
