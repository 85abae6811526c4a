/**
 * Every failure nsync reports to a user is an NsyncError with a stable code.
 * The CLI maps codes to exit codes (src/cli/exitCodes.ts), the server to HTTP statuses.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'CONNECT'
  | 'LOCKED'
  | 'TABLE'
  | 'SCHEMA'
  | 'CURSOR_EXPIRED'
  /** A request's content is wrong (a server answers 400). */
  | 'INPUT'
  /** A cursor the server did not issue, or altered (400): the reader must start a new snapshot. */
  | 'CURSOR_INVALID'
  /** A batch id already applied with other content (a server answers 409). */
  | 'BATCH_MISMATCH'
  /** A remote refused this environment's API key. */
  | 'AUTH'
  /** A remote answered with an error about the request. */
  | 'REMOTE'
  | 'INTERNAL';

export class NsyncError extends Error {
  readonly code: ErrorCode;
  /** Extra lines shown under the message (e.g. every config error). */
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: { details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NsyncError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
