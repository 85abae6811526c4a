import { NsyncError } from '../index.js';
import type { CheckReport, ErrorCode, RunResult } from '../index.js';

export const EXIT_OK = 0;
/** Some table or remote failed; also anything nsync did not expect. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** DESIGN §7: the one table from error code to exit code. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  TABLE: EXIT_FAILED,
  SCHEMA: EXIT_FAILED,
  CURSOR_EXPIRED: EXIT_FAILED,
  INPUT: EXIT_FAILED,
  CURSOR_INVALID: EXIT_FAILED,
  BATCH_MISMATCH: EXIT_FAILED,
  AUTH: EXIT_FAILED,
  REMOTE: EXIT_FAILED,
  INTERNAL: EXIT_FAILED,
  USAGE: EXIT_USAGE,
  CONFIG_INVALID: 3,
  CONNECT: 4,
  LOCKED: 5,
};

export function exitCodeForError(error: unknown): number {
  return error instanceof NsyncError ? EXIT_CODES[error.code] : EXIT_FAILED;
}

export function exitCodeForRun(result: RunResult): number {
  return result.ok ? EXIT_OK : EXIT_FAILED;
}

export function exitCodeForCheck(report: CheckReport): number {
  const failed = !report.ok || report.items.some((item) => item.level === 'error');
  return failed ? EXIT_FAILED : EXIT_OK;
}
