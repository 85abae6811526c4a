import { connect } from 'node:net';

/**
 * One HTTP/1.1 exchange over a plain socket, bytes exactly as given: for replaying what
 * another client (NunezReplication's PHP curl client) sends, with no HTTP library adding,
 * reordering or normalising headers. The response is parsed here too (Content-Length or
 * chunked), so what the server wrote is checked as it went over the wire.
 */

export interface RawResponse {
  /** The status line, e.g. `HTTP/1.1 200 OK`. */
  statusLine: string;
  status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** The body as sent (chunked transfer encoding removed, nothing else). */
  body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The body once it is complete, or null while more bytes are needed. */
function completeBody(headers: Record<string, string>, rest: Buffer): Buffer | null {
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') return dechunk(rest);
  const length = Number(headers['content-length'] ?? 0);
  return rest.length >= length ? rest.subarray(0, length) : null;
}

function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line at byte ${at}`);
    const start = lineEnd + 2;
    if (size === 0) return data.indexOf('\r\n', start) === -1 ? null : Buffer.concat(parts);
    if (data.length < start + size + 2) return null;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

function parseHead(head: string): Pick<RawResponse, 'statusLine' | 'status' | 'headers'> {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, status, headers };
}

/** Sends `request` to `base` (`http://host:port`) and reads one response; the socket is then closed. */
export function rawHttp(base: string, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | null, response?: RawResponse) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(response as RawResponse);
    };
    const tryParse = (ended: boolean) => {
      const headEnd = received.indexOf(HEAD_END);
      if (headEnd === -1) {
        if (ended) finish(new Error(`connection closed before the response head: ${received.toString()}`));
        return;
      }
      const head = parseHead(received.subarray(0, headEnd).toString('latin1'));
      const body = completeBody(head.headers, received.subarray(headEnd + HEAD_END.length));
      if (body !== null) finish(null, { ...head, body });
      else if (ended) finish(new Error(`connection closed mid-body after ${received.length} bytes`));
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no complete response within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        tryParse(false);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on('end', () => tryParse(true));
    socket.on('error', (error) => finish(error));
  });
}

/**
 * A request as NunezReplication's `ApiClient` (PHP curl) sends it, captured with a proxy
 * (PREDECESSOR §3.2): these headers in this order, a body only on POST, and no
 * Accept-Encoding (so the answer comes back uncompressed).
 */
export function phpCurlRequest(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  key: string | null,
  body?: string,
): Buffer {
  const { host } = new URL(base);
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Content-Type: application/json',
    'Accept: application/json',
    ...(key === null ? [] : [`X-API-Key: ${key}`]),
    ...(body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(body, 'utf8')}`]),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, 'utf8');
}
