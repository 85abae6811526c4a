import { describe, it, expect } from '@jest/globals';
import { errorCodes } from 'fastify';
import { NsyncError, type ErrorCode } from '../../src/core/errors.js';
import { httpFailure } from '../../src/server/errors.js';

const MB = 1024 * 1024;
const LIMIT = 64 * MB;

describe('httpFailure: NsyncError codes', () => {
  /** Every code, so a new one cannot go unmapped: `Record` makes the compiler ask for it. */
  const EXPECTED: Record<ErrorCode, [status: number, exposed: boolean]> = {
    INPUT: [400, true],
    CURSOR_INVALID: [400, true],
    USAGE: [400, true],
    BATCH_MISMATCH: [409, true],
    CURSOR_EXPIRED: [410, true],
    CONNECT: [503, false],
    LOCKED: [503, false],
    AUTH: [502, false],
    REMOTE: [502, false],
    TABLE: [500, true],
    SCHEMA: [500, true],
    CONFIG_INVALID: [500, false],
    INTERNAL: [500, false],
  };

  it.each(Object.entries(EXPECTED) as [ErrorCode, [number, boolean]][])(
    '%s → %j',
    (code, [status, exposed]) => {
      const message = `something about ${code}`;
      expect(httpFailure(new NsyncError(code, message), LIMIT)).toEqual({ status, message, exposed, code });
    },
  );

  it('does not expose the address in a CONNECT failure', () => {
    const failure = httpFailure(new NsyncError('CONNECT', 'cannot reach postgres at 10.0.0.5:5432'), LIMIT);
    expect(failure.exposed).toBe(false);
  });
});

describe('httpFailure: fastify request errors', () => {
  it.each([
    [64 * MB, '64 MB'],
    [1.5 * MB, '1.5 MB'],
    [0.5 * MB, '0.5 MB'],
    [1024 * MB, '1024 MB'],
  ])('a body over a limit of %i bytes → 413 naming %s', (limit, shown) => {
    const failure = httpFailure(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), limit);
    expect(failure).toEqual({
      status: 413,
      message: `request body is larger than the limit of ${shown}`,
      exposed: true,
    });
  });

  it('never tells a client the limit is 0 MB', () => {
    // bodyLimitMB only has to be above 0, so a limit of 10 kB is allowed.
    const failure = httpFailure(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), Math.round(0.01 * MB));
    expect(failure.status).toBe(413);
    expect(failure.message).not.toMatch(/ 0 MB/);
  });

  it('a body that is not JSON → 400', () => {
    expect(httpFailure(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), LIMIT)).toEqual({
      status: 400,
      message: 'request body is not valid JSON',
      exposed: true,
    });
  });

  it('an empty JSON body → 400 saying so', () => {
    const failure = httpFailure(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), LIMIT);
    expect(failure).toEqual({ status: 400, message: 'request body is empty; JSON expected', exposed: true });
  });

  it('a body of another media type → 415 asking for JSON', () => {
    const failure = httpFailure(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain'), LIMIT);
    expect(failure.status).toBe(415);
    expect(failure.message).toMatch(/application\/json/);
    expect(failure.exposed).toBe(true);
  });

  it('a body shorter than its Content-Length → 400', () => {
    const failure = httpFailure(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), LIMIT);
    expect(failure.status).toBe(400);
    expect(failure.message).toMatch(/Content-Length/);
  });

  it('a failed schema validation → 400 with what is wrong', () => {
    const error = Object.assign(new Error("body must have required property 'table'"), {
      statusCode: 400,
      validation: [{ keyword: 'required' }],
    });
    expect(httpFailure(error, LIMIT)).toEqual({
      status: 400,
      message: "request body must have required property 'table'",
      exposed: true,
    });
  });

  it('another 4xx (e.g. the rate limit) keeps its status and message', () => {
    const error = Object.assign(new Error('Rate limit exceeded, retry in 1 minute'), { statusCode: 429 });
    expect(httpFailure(error, LIMIT)).toEqual({
      status: 429,
      message: 'Rate limit exceeded, retry in 1 minute',
      exposed: true,
    });
  });
});

describe('httpFailure: anything else is a server failure, not exposed', () => {
  it.each<[string, unknown]>([
    ['an Error', new Error('relation "nsync_log" does not exist at /srv/app/db.ts:12')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'rows')")],
    [
      'a driver error with a code',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['an error with a 5xx status', Object.assign(new Error('upstream'), { statusCode: 502 })],
    ['a thrown string', 'boom'],
    ['a plain object', { message: 'secret' }],
  ])('%s → 500', (_name, error) => {
    const failure = httpFailure(error, LIMIT);
    expect(failure).toEqual({ status: 500, message: 'internal error', exposed: false });
  });

  it('a SyntaxError from server code (not the body parser) is not blamed on the request', () => {
    // e.g. JSON.parse of a stored json column, or BigInt() of a driver value, failing mid-request.
    let thrown: unknown;
    try {
      JSON.parse('{"stored": ');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SyntaxError);
    expect(httpFailure(thrown, LIMIT)).toEqual({ status: 500, message: 'internal error', exposed: false });
  });
});
