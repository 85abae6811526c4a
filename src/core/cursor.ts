import { NsyncError } from './errors.js';
import type { CanonicalValue } from './types.js';

/**
 * Where a reader stands in a source table. Opaque to whoever stores it (DESIGN §3):
 * - `snapshot`: copying rows in key order after `key`; `hw` is the change-log
 *   high-water mark taken before the snapshot started, the log position that follows it.
 * - `tombstones`: after a snapshot, the deletes logged up to `hw`, in key-text order after `after`
 *   (a snapshot copies rows only, so deletes made before it would otherwise never be sent).
 * - `log`: every change-log entry up to `seq` has been read.
 * - `ts`: capture by timestamp; rows up to (`at`, `key`) have been read.
 */
export type Cursor =
  | { phase: 'snapshot'; key: CanonicalValue[] | null; hw: number; at?: string }
  | { phase: 'tombstones'; hw: number; after: string | null }
  | { phase: 'log'; seq: number }
  | { phase: 'ts'; at: string | null; key: CanonicalValue[] | null };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, ...cursor }), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new NsyncError('USAGE', 'cursor is not valid');
  }
  if (!isCursor(parsed)) throw new NsyncError('USAGE', 'cursor is not valid');
  const cursor = { ...(parsed as Cursor & { v?: number }) };
  delete cursor.v;
  return cursor;
}

function isCursor(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const key = c.key === null || Array.isArray(c.key);
  if (c.v !== 1) return false;
  if (c.phase === 'snapshot') return key && Number.isSafeInteger(c.hw);
  if (c.phase === 'tombstones')
    return Number.isSafeInteger(c.hw) && (c.after === null || typeof c.after === 'string');
  if (c.phase === 'log') return Number.isSafeInteger(c.seq);
  if (c.phase === 'ts') return key && (c.at === null || typeof c.at === 'string');
  return false;
}
