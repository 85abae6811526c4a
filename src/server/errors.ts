import { NsyncError, type ErrorCode } from '../index.js';

/** The one table from nsync's error codes to HTTP statuses (STYLE: one place maps them). */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  INPUT: 400,
  CURSOR_INVALID: 400,
  USAGE: 400,
  BATCH_MISMATCH: 409,
  CURSOR_EXPIRED: 410,
  CONNECT: 503,
  AUTH: 502,
  REMOTE: 502,
  TABLE: 500,
  SCHEMA: 500,
  CONFIG_INVALID: 500,
  LOCKED: 503,
  INTERNAL: 500,
};

/** Fastify's own 4xx errors, reworded to say what is wrong with the request. */
const FRAMEWORK: Readonly<Record<string, (limitBytes: number) => string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) => `request body is larger than the limit of ${megabytes(limit)}`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => 'request body must be JSON (Content-Type: application/json)',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'request body is empty; JSON expected',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'request body length does not match its Content-Length',
  FST_CP_ERR_INVALID_CONTENT: () =>
    'request body is not valid for its Content-Encoding (truncated or not compressed)',
  FST_CP_ERR_INVALID_CONTENT_ENCODING: () => 'request Content-Encoding is not supported: use gzip or deflate',
};

function megabytes(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return mb >= 0.1 ? `${Math.round(mb * 10) / 10} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

export interface HttpFailure {
  status: number;
  /** nsync's error code, for clients of the nsync protocol (never on NunezReplication's routes). */
  code?: ErrorCode;
  message: string;
  /** Whether the message may be shown as it is; otherwise the client gets a generic one. */
  exposed: boolean;
}

/**
 * What a client is told about an error. Bad input says what is wrong; a server-side failure
 * says only that it failed and the request id (the log has the cause), so no SQL text,
 * path or database address leaves the server.
 */
export function httpFailure(error: unknown, bodyLimit: number): HttpFailure {
  if (error instanceof NsyncError) {
    const status = STATUS[error.code];
    const exposed = status < 500 || error.code === 'TABLE' || error.code === 'SCHEMA';
    return { status, message: error.message, exposed, code: error.code };
  }
  const e = error as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  const reworded = e.code ? FRAMEWORK[e.code] : undefined;
  if (reworded) return { status: e.statusCode ?? 400, message: reworded(bodyLimit), exposed: true };
  // Fastify's JSON parser passes the parse error on with status 400; a SyntaxError of the server's own is a fault.
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && e.statusCode === 400)) {
    return { status: 400, message: 'request body is not valid JSON', exposed: true };
  }
  if (e.validation) return { status: 400, message: `request ${e.message ?? 'is not valid'}`, exposed: true };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, message: e.message ?? 'bad request', exposed: true };
  }
  return { status: 500, message: 'internal error', exposed: false };
}
