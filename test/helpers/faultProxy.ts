import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * What the proxy does to a request a rule matches:
 * - `answer`: replies with this status and JSON body itself, without asking the real server;
 * - `drop`: destroys the connection as soon as the request has arrived, answering nothing;
 * - `resetMidBody`: forwards, then sends the real headers and half of the real body, and
 *   destroys the connection (a remote that died while answering);
 * - `delayMs`: waits this long, then forwards (a remote slower than the client's timeout);
 * - `truncateGzip`: forwards, then sends the real answer gzip-compressed with its last half cut
 *   off (Content-Length matching what is sent, so only the gzip stream is broken);
 * - `rewrite`: forwards, then sends the real answer's JSON through this function.
 */
export type Fault =
  | { answer: number; body?: unknown }
  | { drop: true }
  | { resetMidBody: true }
  | { delayMs: number }
  | { truncateGzip: true }
  | { rewrite: (json: unknown) => unknown };

export interface FaultRule {
  /** The request path (query left out) the rule applies to; every path when absent. */
  path?: string;
  /** Matching requests let through untouched before the rule starts applying. */
  skip?: number;
  /** How many matching requests it applies to (then it lets them through); every one when absent. */
  times?: number;
  fault: Fault;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** Which connection (1-based, in order of arrival) it came on. */
  connection: number;
  /** The fault applied, if any (its kind). */
  fault?: string;
}

interface ActiveRule extends FaultRule {
  seen: number;
}

/** Forwarding drops these: they describe one hop, not the message. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * A small HTTP proxy on 127.0.0.1 in front of a real `nsync serve`, that injects the faults its
 * rules say (first matching rule wins) and records every request and connection.
 */
export class FaultProxy {
  readonly requests: SeenRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  private rules: ActiveRule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new Agent({ keepAlive: false });
  private closed = false;

  private constructor(
    private readonly server: Server,
    /** Base URL of the real server requests are forwarded to. */
    public target: string,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.connections++;
      (socket as Socket & { nsyncConnection?: number }).nsyncConnection = this.connections;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string, rules: FaultRule[] = []): Promise<FaultProxy> {
    const proxy = new FaultProxy(createServer(), target);
    proxy.setRules(rules);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's own base URL, what the remote's config points at. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Replaces the rules (an empty list makes the proxy a plain, healthy forwarder). */
  setRules(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, seen: 0 }));
  }

  /** How many requests arrived for `path` (every path when absent). */
  count(path?: string): number {
    return this.requests.filter((r) => path === undefined || r.path === path).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private faultFor(path: string): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.path !== undefined && rule.path !== path) continue;
      rule.seen++;
      const index = rule.seen - 1 - (rule.skip ?? 0);
      if (index < 0) return undefined;
      if (rule.times !== undefined && index >= rule.times) return undefined;
      return rule.fault;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req).catch(() => null);
    if (body === null || this.closed) return;
    const path = (req.url ?? '/').split('?')[0] as string;
    const fault = this.faultFor(path);
    const connection = (req.socket as Socket & { nsyncConnection?: number }).nsyncConnection ?? 0;
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      connection,
      ...(fault ? { fault: Object.keys(fault)[0] as string } : {}),
    });
    try {
      if (fault && 'answer' in fault) {
        send(res, fault.answer, { 'content-type': 'application/json' }, jsonBody(fault.body));
        return;
      }
      if (fault && 'drop' in fault) {
        req.socket.destroy();
        return;
      }
      if (fault && 'delayMs' in fault) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            resolve();
          }, fault.delayMs);
          this.timers.add(timer);
        });
        if (this.closed || req.socket.destroyed) return;
      }
      const upstream = await this.forward(req, body);
      if (this.closed || req.socket.destroyed) return;
      if (fault && 'resetMidBody' in fault) {
        const headers = forwardedHeaders(upstream.headers);
        headers['content-length'] = String(upstream.body.length);
        res.writeHead(upstream.status, headers);
        const half = upstream.body.subarray(0, Math.max(1, Math.floor(upstream.body.length / 2)));
        res.write(half, () => req.socket.destroy());
        return;
      }
      if (fault && 'truncateGzip' in fault) {
        const zipped = gzipSync(decoded(upstream));
        const headers = forwardedHeaders(upstream.headers);
        headers['content-encoding'] = 'gzip';
        send(res, upstream.status, headers, zipped.subarray(0, Math.floor(zipped.length / 2)));
        return;
      }
      if (fault && 'rewrite' in fault) {
        const json = fault.rewrite(JSON.parse(decoded(upstream).toString('utf8')));
        const headers = forwardedHeaders(upstream.headers);
        delete headers['content-encoding'];
        send(res, upstream.status, headers, jsonBody(json));
        return;
      }
      send(res, upstream.status, forwardedHeaders(upstream.headers), upstream.body);
    } catch (error) {
      if (!res.headersSent && !req.socket.destroyed) {
        send(
          res,
          502,
          { 'content-type': 'application/json' },
          jsonBody({ error: `proxy: ${String(error)}` }),
        );
      } else {
        req.socket.destroy();
      }
    }
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(this.target);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_HEADERS.has(name) && value !== undefined) headers[name] = value;
    }
    headers.host = target.host;
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (answer) => {
          readAll(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

function forwardedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_HEADERS.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

function decoded(upstream: { headers: IncomingHttpHeaders; body: Buffer }): Buffer {
  return upstream.headers['content-encoding'] === 'gzip' ? gunzipSync(upstream.body) : upstream.body;
}

function jsonBody(value: unknown): Buffer {
  return Buffer.from(value === undefined ? '' : JSON.stringify(value), 'utf8');
}

function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer): void {
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}
