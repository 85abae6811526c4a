import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate, gunzip, gzip, inflate } from 'node:zlib';
import pRetry from 'p-retry';
import { Agent, request } from 'undici';
import type { RemoteConfig } from '../config/types.js';
import { messageOf, NsyncError } from '../core/errors.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Bodies smaller than this go uncompressed: gzip would cost more than it saves. */
const COMPRESS_FROM = 1024;
/** A response larger than this is refused: pages are bounded, so it can only be a fault. */
const MAX_RESPONSE = 512 * 1024 * 1024;
/** Statuses worth another try (DESIGN §6); every other 4xx and 5xx is final. */
const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);
/** Answers about one request's content, not about the remote's health: they do not count towards the breaker. */
const REQUEST_REFUSED = new Set([400, 409, 410, 413]);
/** Connection-level failures worth another try. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
]);

export interface RemoteClientOptions {
  /** Attempts after the first for a transient failure. */
  retries: number;
  /** Consecutive failed requests (after their retries) after which the remote is skipped for the run. */
  breakAfter: number;
  /** First backoff in ms (doubles each time, with jitter). */
  minBackoffMs: number;
}

/** A failure the remote gave (status) or the way to it (connection); `transient` ones are retried. */
export class RemoteFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    /** nsync's error code, when the remote gave one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * One remote `nsync serve`, over undici with a keep-alive pool (DESIGN §6): JSON requests,
 * gzip both ways, a per-request timeout from the remote's `timeout`, TLS with an optional CA
 * and client certificate, p-retry with exponential backoff and jitter for transient failures
 * only, and a breaker that stops calling a remote that keeps failing.
 */
export class RemoteClient {
  private readonly agent: Agent;
  private failuresInARow = 0;

  constructor(
    readonly remote: RemoteConfig,
    private readonly options: RemoteClientOptions,
  ) {
    const tls = remote.tls;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 4,
      ...(tls
        ? {
            connect: {
              ...(tls.ca ? { ca: readPem(tls.ca, remote, 'ca') } : {}),
              ...(tls.cert ? { cert: readPem(tls.cert, remote, 'cert') } : {}),
              ...(tls.key ? { key: readPem(tls.key, remote, 'key') } : {}),
            },
          }
        : {}),
    });
  }

  get label(): string {
    return `remote ${this.remote.name} (${this.remote.url})`;
  }

  /** Whether the breaker has opened: the remote failed `breakAfter` requests in a row. */
  get broken(): boolean {
    return this.failuresInARow >= this.options.breakAfter;
  }

  get(path: string): Promise<unknown> {
    return this.call('GET', path, undefined);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.call('POST', path, body);
  }

  /**
   * A GET whose (decompressed) body is read as a stream, for answers too large to buffer
   * (a NunezReplication server's whole table). Retried until the answer starts, not after.
   */
  async stream(path: string): Promise<Readable> {
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (this.remote.apiKey !== undefined) headers['x-api-key'] = this.remote.apiKey;
    const open = async (): Promise<Readable> => {
      let response;
      try {
        response = await request(`${this.remote.url}${path}`, {
          method: 'GET',
          headers,
          dispatcher: this.agent,
          headersTimeout: this.remote.timeout * 1000,
          bodyTimeout: this.remote.timeout * 1000,
        });
      } catch (error) {
        throw connectionFailure(error, this.remote.timeout);
      }
      if (response.statusCode >= 400) {
        const text = (await readBody(response.body).catch(() => Buffer.alloc(0))).toString('utf8');
        let said = text.slice(0, 200);
        try {
          said = String((JSON.parse(text) as { error?: unknown }).error ?? said);
        } catch {
          // Not JSON: the start of the text says enough.
        }
        throw new RemoteFailure(
          `answered ${response.statusCode}${said ? `: ${said}` : ''}`,
          TRANSIENT_STATUS.has(response.statusCode),
          response.statusCode,
        );
      }
      const encoding = String(response.headers['content-encoding'] ?? '');
      if (encoding === 'gzip') return response.body.pipe(createGunzip());
      if (encoding === 'deflate') return response.body.pipe(createInflate());
      return response.body;
    };
    return this.withRetries(open);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const compressed =
      payload && payload.length >= COMPRESS_FROM ? await gzipAsync(payload, { level: 1 }) : payload;
    return this.withRetries(() => this.once(method, path, compressed, compressed !== payload));
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    if (this.broken) {
      throw new NsyncError(
        'CONNECT',
        `${this.label} skipped for the rest of this run after ${this.failuresInARow} failed requests in a row`,
      );
    }
    try {
      const result = await pRetry(attempt, {
        retries: this.options.retries,
        factor: 2,
        minTimeout: this.options.minBackoffMs,
        maxTimeout: this.options.minBackoffMs * 32,
        randomize: true,
        shouldRetry: (error) => error instanceof RemoteFailure && error.transient,
      });
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      // A refused request (bad content, replay, expired cursor) says nothing about the remote's health.
      if (!(error instanceof RemoteFailure) || !REQUEST_REFUSED.has(error.status ?? 0)) this.failuresInARow++;
      throw this.asNsyncError(error);
    }
  }

  private async once(
    method: 'GET' | 'POST',
    path: string,
    body: Buffer | undefined,
    gzipped: boolean,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (this.remote.apiKey !== undefined) headers['x-api-key'] = this.remote.apiKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (gzipped) headers['content-encoding'] = 'gzip';
    let response;
    try {
      response = await request(`${this.remote.url}${path}`, {
        method,
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.remote.timeout * 1000),
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      throw connectionFailure(error, this.remote.timeout);
    }
    let raw: Buffer;
    try {
      raw = await readBody(response.body);
      const encoding = String(response.headers['content-encoding'] ?? '');
      if (encoding === 'gzip') raw = await gunzipAsync(raw);
      else if (encoding === 'deflate') raw = await inflateAsync(raw);
    } catch (error) {
      throw connectionFailure(error, this.remote.timeout);
    }
    const text = raw.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (response.statusCode < 400) {
        throw new RemoteFailure(
          `answered ${response.statusCode} with a body that is not JSON (truncated?)`,
          true,
        );
      }
    }
    if (response.statusCode >= 400) {
      const answer = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      const said = 'error' in answer ? String(answer.error) : text.slice(0, 200);
      throw new RemoteFailure(
        `answered ${response.statusCode}${said ? `: ${said}` : ''}`,
        TRANSIENT_STATUS.has(response.statusCode),
        response.statusCode,
        typeof answer.code === 'string' ? answer.code : undefined,
      );
    }
    return parsed;
  }

  private asNsyncError(error: unknown): NsyncError {
    if (error instanceof NsyncError) return error;
    const status = error instanceof RemoteFailure ? error.status : undefined;
    const message = `${this.label} ${messageOf(error)}`;
    const cause = { cause: error };
    if (status === 401)
      return new NsyncError('AUTH', `${this.label} refused the API key (401 Unauthorized)`, cause);
    // Older than the remote's retention, or not one it issued (its database was replaced):
    // either way the reader starts a new snapshot.
    const cursorGone = status === 410 || (error instanceof RemoteFailure && error.code === 'CURSOR_INVALID');
    if (cursorGone) return new NsyncError('CURSOR_EXPIRED', message, cause);
    if (status === undefined || TRANSIENT_STATUS.has(status))
      return new NsyncError('CONNECT', message, cause);
    return new NsyncError('REMOTE', message, cause);
  }
}

function readPem(path: string, remote: RemoteConfig, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new NsyncError(
      'CONFIG_INVALID',
      `remoteEnvironments.${remote.name}.tls.${what}: cannot read ${path}: ${messageOf(error)}`,
    );
  }
}

async function readBody(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE) throw new RemoteFailure(`answered with more than ${MAX_RESPONSE} bytes`, false);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function connectionFailure(error: unknown, timeoutSeconds: number): RemoteFailure {
  if (error instanceof RemoteFailure) return error;
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new RemoteFailure(`did not answer within ${timeoutSeconds} s (timeout)`, true);
  }
  const cause = e.cause && e.cause !== error ? `: ${messageOf(e.cause)}` : '';
  const what = code === 'ECONNREFUSED' ? 'refused the connection' : `failed: ${messageOf(error)}${cause}`;
  return new RemoteFailure(
    `${what}${code && !what.includes(code) ? ` (${code})` : ''}`,
    code ? TRANSIENT_CODES.has(code) : true,
  );
}

/** The HTTP status behind an error from a RemoteClient, if the remote answered one. */
export function remoteStatus(error: unknown): number | undefined {
  const cause = error instanceof NsyncError ? error.cause : error;
  return cause instanceof RemoteFailure ? cause.status : undefined;
}
