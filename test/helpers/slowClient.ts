import { connect } from 'node:net';

/** What a server did with a request whose body arrived one byte at a time. */
export interface SlowResult {
  /** The response status, or null when the server answered nothing before closing (or before `giveUpMs`). */
  status: number | null;
  /** The response body (de-chunked), '' when there was none. */
  body: string;
  /** The server closed the connection (rather than the client giving up). */
  closed: boolean;
  /** Milliseconds from connecting to the answer or the close, whichever came first. */
  afterMs: number;
  /** Body bytes the client had sent by then. */
  bytesSent: number;
}

export interface SlowRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** The whole body; the Content-Length header announces all of it, but it is sent one byte per `intervalMs`. */
  body: string;
  intervalMs?: number;
  /** The client stops waiting (and closes) after this long. */
  giveUpMs: number;
}

/**
 * A client that sends its headers at once and then its body one byte at a time, as a
 * slowloris attack does, over a raw socket (an HTTP library would buffer or time out itself).
 */
export function slowRequest(baseUrl: string, request: SlowRequest): Promise<SlowResult> {
  const { hostname, port } = new URL(baseUrl);
  const body = Buffer.from(request.body, 'utf8');
  const head =
    `${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\n` +
    `Host: ${hostname}:${port}\r\n` +
    Object.entries({ 'content-type': 'application/json', ...request.headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    `Content-Length: ${body.length}\r\n\r\n`;

  return new Promise((resolve) => {
    const started = Date.now();
    const received: Buffer[] = [];
    let sent = 0;
    let done = false;
    const socket = connect(Number(port), hostname);
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      const { status, body: text } = parseResponse(Buffer.concat(received).toString('utf8'));
      resolve({ status, body: text, closed, afterMs: Date.now() - started, bytesSent: sent });
    };
    const drip = setInterval(() => {
      if (sent < body.length && socket.writable) socket.write(body.subarray(sent, ++sent));
    }, request.intervalMs ?? 1000);
    const giveUp = setTimeout(() => finish(false), request.giveUpMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      // A complete response is enough, whether or not the server closes afterwards.
      if (parseResponse(Buffer.concat(received).toString('utf8')).complete) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

function parseResponse(raw: string): { status: number | null; body: string; complete: boolean } {
  const split = raw.indexOf('\r\n\r\n');
  if (split === -1) return { status: null, body: '', complete: false };
  const lines = raw.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
  const header = (name: string) =>
    lines
      .slice(1)
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  let body = raw.slice(split + 4);
  let complete: boolean;
  if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
    complete = /(^|\r\n)0\r\n\r\n$/.test(body);
    body = dechunk(body);
  } else {
    const length = Number(header('content-length') ?? NaN);
    complete = Number.isNaN(length) ? false : Buffer.byteLength(body) >= length;
  }
  return { status: Number.isNaN(status) ? null : status, body, complete };
}

function dechunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol === -1) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
