import { describe, it, expect } from '@jest/globals';
import { decodeCursor, encodeCursor, type Cursor } from '../../src/core/cursor.js';
import { NsyncError } from '../../src/core/errors.js';

const raw = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function rejection(text: string): NsyncError {
  try {
    decodeCursor(text);
  } catch (error) {
    if (error instanceof NsyncError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('encodeCursor / decodeCursor', () => {
  it.each<[string, Cursor]>([
    ['snapshot at the start', { phase: 'snapshot', key: null, hw: 0 }],
    ['snapshot after a key', { phase: 'snapshot', key: [42], hw: 1234 }],
    [
      'snapshot after a composite key',
      { phase: 'snapshot', key: ['a"b', 7, null, '9007199254740993'], hw: 5 },
    ],
    ['snapshot with a time', { phase: 'snapshot', key: [1], hw: 5, at: '2025-01-01T10:00:00.5Z' }],
    ['log', { phase: 'log', seq: 0 }],
    ['log far on', { phase: 'log', seq: Number.MAX_SAFE_INTEGER }],
    ['ts from the start', { phase: 'ts', at: null, key: null }],
    ['ts after a time', { phase: 'ts', at: '2025-01-01T10:00:00Z', key: null }],
    ['ts after a time and key', { phase: 'ts', at: '2025-01-01T10:00:00Z', key: ['☃', 3] }],
  ])('round-trips %s', (_name, cursor) => {
    const text = encodeCursor(cursor);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it('is URL- and header-safe text', () => {
    const text = encodeCursor({ phase: 'snapshot', key: ['?/+=&\u00ff☃'], hw: 1 });
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('does not expose its version field once decoded', () => {
    expect(decodeCursor(encodeCursor({ phase: 'log', seq: 3 }))).not.toHaveProperty('v');
  });

  it('encodes the same cursor to the same text', () => {
    expect(encodeCursor({ phase: 'log', seq: 9 })).toBe(encodeCursor({ phase: 'log', seq: 9 }));
  });
});

describe('decodeCursor rejects', () => {
  const good = encodeCursor({ phase: 'snapshot', key: [1, 'x'], hw: 10 });

  it.each([
    ['empty text', ''],
    ['garbage', 'not a cursor!'],
    ['plain JSON, not base64url', '{"v":1,"phase":"log","seq":1}'],
    ['a truncated cursor', good.slice(0, good.length - 6)],
    ['a cursor with its first byte changed', `A${good.slice(1)}`],
    ['base64url of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON null', raw(null)],
    ['a JSON array', raw([1, 'log', 3])],
    ['a JSON number', raw(5)],
  ])('%s', (_name, text) => {
    const error = rejection(text);
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/cursor/);
  });

  it.each([
    ['no version', { phase: 'log', seq: 1 }],
    ['version 2', { v: 2, phase: 'log', seq: 1 }],
    ['version 0', { v: 0, phase: 'log', seq: 1 }],
    ['version as text', { v: '1', phase: 'log', seq: 1 }],
  ])('a cursor with the wrong version: %s', (_name, value) => {
    expect(rejection(raw(value)).code).toBe('USAGE');
  });

  it.each([
    ['unknown phase', { v: 1, phase: 'done', seq: 1 }],
    ['no phase', { v: 1, seq: 1 }],
    ['log without seq', { v: 1, phase: 'log' }],
    ['log with seq as text', { v: 1, phase: 'log', seq: '5' }],
    ['log with a fractional seq', { v: 1, phase: 'log', seq: 1.5 }],
    ['log with an unsafe seq', { v: 1, phase: 'log', seq: 2 ** 53 }],
    ['snapshot without hw', { v: 1, phase: 'snapshot', key: null }],
    ['snapshot with hw as text', { v: 1, phase: 'snapshot', key: null, hw: '3' }],
    ['snapshot without key', { v: 1, phase: 'snapshot', hw: 3 }],
    ['snapshot with a key that is not a list', { v: 1, phase: 'snapshot', key: 'x', hw: 3 }],
    ['ts without at', { v: 1, phase: 'ts', key: null }],
    ['ts with a numeric at', { v: 1, phase: 'ts', at: 5, key: null }],
    ['ts with a key that is not a list', { v: 1, phase: 'ts', at: null, key: { id: 1 } }],
  ])('a cursor of the wrong shape: %s', (_name, value) => {
    expect(rejection(raw(value)).code).toBe('USAGE');
  });
});
