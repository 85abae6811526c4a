import { describe, it, expect } from '@jest/globals';
import { encodeCursor } from '../../src/core/cursor.js';
import { NsyncError } from '../../src/core/errors.js';
import { sealCursor, unsealCursor } from '../../src/core/seal.js';

/** DESIGN §3: a cursor a server hands out is opaque; the client can neither forge nor alter one. */

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const cursor = encodeCursor({ phase: 'snapshot', key: [42, 'x'], hw: 1234 });

function refusal(key: Buffer, sealed: string): NsyncError {
  try {
    unsealCursor(key, sealed);
  } catch (error) {
    if (error instanceof NsyncError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(sealed)} to be refused`);
}

/** Every text that differs from `text` in exactly the character at `i`, drawn from `alphabet`. */
function substitutions(text: string, i: number, alphabet: string): string[] {
  return [...alphabet].filter((c) => c !== text[i]).map((c) => `${text.slice(0, i)}${c}${text.slice(i + 1)}`);
}

/** Sealed texts whose seal holds at least one `-` or `_`, the characters base64 spells `+` and `/`. */
function sealsWithUrlCharacters(): string[] {
  const found: string[] = [];
  for (let seq = 0; found.length < 5 && seq < 1000; seq++) {
    const sealed = sealCursor(KEY, encodeCursor({ phase: 'log', seq }));
    if (/[-_]/.test(sealed.slice(sealed.lastIndexOf('.') + 1))) found.push(sealed);
  }
  return found;
}

describe('sealCursor / unsealCursor', () => {
  it('round-trips the cursor', () => {
    expect(unsealCursor(KEY, sealCursor(KEY, cursor))).toBe(cursor);
  });

  it('round-trips cursors of every phase, and text that itself holds dots', () => {
    for (const inner of [
      encodeCursor({ phase: 'log', seq: 0 }),
      encodeCursor({ phase: 'ts', at: '2025-01-01T10:00:00Z', key: ['☃'] }),
      'a.b.c',
    ]) {
      expect(unsealCursor(KEY, sealCursor(KEY, inner))).toBe(inner);
    }
  });

  it('is `<cursor>.<mac>`, URL- and header-safe', () => {
    const sealed = sealCursor(KEY, cursor);
    expect(sealed.startsWith(`${cursor}.`)).toBe(true);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('seals the same cursor under the same key to the same text, and differently under another key', () => {
    expect(sealCursor(KEY, cursor)).toBe(sealCursor(KEY, cursor));
    expect(sealCursor(OTHER_KEY, cursor)).not.toBe(sealCursor(KEY, cursor));
  });
});

describe('unsealCursor refuses', () => {
  const sealed = sealCursor(KEY, cursor);
  const dot = sealed.lastIndexOf('.');

  it('a cursor sealed under another key, as INPUT naming the cursor', () => {
    const error = refusal(KEY, sealCursor(OTHER_KEY, cursor));
    expect(error.code).toBe('CURSOR_INVALID');
    expect(error.message).toMatch(/cursor/);
  });

  it('every change of one character of the cursor part', () => {
    let tried = 0;
    for (let i = 0; i < dot; i++) {
      for (const altered of substitutions(sealed, i, BASE64URL)) {
        tried++;
        const error = refusal(KEY, altered);
        expect(error.code).toBe('CURSOR_INVALID');
        expect(error.message).toMatch(/cursor/);
      }
    }
    expect(tried).toBe(dot * 63);
  });

  it('every change of one character of the mac to another base64url character', () => {
    const accepted: string[] = [];
    for (let i = dot + 1; i < sealed.length; i++) {
      for (const altered of substitutions(sealed, i, BASE64URL)) {
        try {
          unsealCursor(KEY, altered);
          accepted.push(`position ${i - dot - 1}: ${sealed[i]} -> ${altered[i]}`);
        } catch (error) {
          expect(error).toBeInstanceOf(NsyncError);
          expect((error as NsyncError).code).toBe('CURSOR_INVALID');
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('a mac spelt with base64 `+` or `/` in place of base64url `-` or `_`', () => {
    const seals = sealsWithUrlCharacters();
    expect(seals.length).toBeGreaterThan(0);
    for (const good of seals) {
      const at = good.lastIndexOf('.');
      const altered = `${good.slice(0, at)}${good.slice(at).replace(/-/g, '+').replace(/_/g, '/')}`;
      expect(altered).not.toBe(good);
      expect(refusal(KEY, altered).code).toBe('CURSOR_INVALID');
    }
  });

  it.each([
    ['padding appended to the mac', `${sealed}=`],
    ['a character appended to the mac', `${sealed}A`],
    ['the mac cut short', sealed.slice(0, -1)],
    ['a character not in base64url inside the mac', `${sealed.slice(0, dot + 3)}!${sealed.slice(dot + 4)}`],
    ['a character appended to the cursor', `${cursor}A.${sealed.slice(dot + 1)}`],
    ['the cursor alone', cursor],
    ['the cursor and a dot', `${cursor}.`],
    ['the mac alone', sealed.slice(dot + 1)],
    ['the mac after a dot', sealed.slice(dot)],
    ['an empty text', ''],
    ['a lone dot', '.'],
    ['the sealed text twice', `${sealed}.${sealed}`],
  ])('%s', (_name, text) => {
    const error = refusal(KEY, text);
    expect(error.code).toBe('CURSOR_INVALID');
    expect(error.message).toMatch(/cursor/);
  });

  it('an empty cursor even when sealed', () => {
    // A server never issues an empty cursor, so `.<mac>` is refused even with a valid mac.
    expect(refusal(KEY, sealCursor(KEY, '')).code).toBe('CURSOR_INVALID');
  });
});
