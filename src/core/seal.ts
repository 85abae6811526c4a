import { createHmac, timingSafeEqual } from 'node:crypto';
import { NsyncError } from './errors.js';

/**
 * Cursors a server hands out carry an HMAC under a key only the server knows, so a client
 * cannot forge or alter one (DESIGN §3: the cursor is opaque to the client). `sealed` is
 * `<cursor>.<mac>`, both base64url.
 */
export function sealCursor(key: Buffer, cursor: string): string {
  return `${cursor}.${mac(key, cursor)}`;
}

/** The cursor inside a sealed one; fails when it was altered or sealed under another key. */
export function unsealCursor(key: Buffer, sealed: string): string {
  const dot = sealed.lastIndexOf('.');
  const cursor = sealed.slice(0, Math.max(0, dot));
  // Compared as text: decoding base64 first would accept several spellings of one mac.
  const given = Buffer.from(sealed.slice(dot + 1), 'utf8');
  const expected = Buffer.from(mac(key, cursor), 'utf8');
  if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new NsyncError(
      'CURSOR_INVALID',
      'cursor was altered or was issued by another server: start over without a cursor',
    );
  }
  return cursor;
}

function mac(key: Buffer, cursor: string): string {
  return createHmac('sha256', key).update(cursor).digest('base64url');
}
