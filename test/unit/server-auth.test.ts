import { describe, it, expect } from '@jest/globals';
import { keyChecker, keyTag, presentedKey } from '../../src/server/auth.js';

const KEYS = ['key-envA-0123456789abcdef', 'key-envB-fedcba9876543210', 'rotated-☃-key'];

describe('keyChecker', () => {
  const accepts = keyChecker(KEYS);

  it.each(KEYS)('accepts configured key %s', (key) => {
    expect(accepts(key)).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['undefined (no key sent)', undefined],
    ['an empty key', ''],
    ['a wrong key', 'key-envC-0000000000000000'],
    ['a key that is a prefix of a configured one', 'key-envA-0123456789abcde'],
    ['a configured key with a character appended', 'key-envA-0123456789abcdef0'],
    ['a configured key with a different case', 'KEY-ENVA-0123456789ABCDEF'],
    ['a configured key with surrounding spaces', ' key-envA-0123456789abcdef '],
    ['two configured keys joined', `${KEYS[0]}${KEYS[1]}`],
    ['a configured key as a list', KEYS.join(',')],
    ['a very long key', 'k'.repeat(1_000_000)],
    ['a very long key that starts with a configured one', `${KEYS[0]}${'x'.repeat(100_000)}`],
  ])('refuses %s', (_name, presented) => {
    expect(accepts(presented)).toBe(false);
  });

  it('refuses the empty key even when the empty text is configured', () => {
    expect(keyChecker([''])('')).toBe(false);
    expect(keyChecker(['', 'real'])('')).toBe(false);
    expect(keyChecker(['', 'real'])('real')).toBe(true);
  });

  it('refuses everything when no key is configured', () => {
    const none = keyChecker([]);
    expect(none('anything')).toBe(false);
    expect(none('')).toBe(false);
    expect(none(undefined)).toBe(false);
  });

  it('checks against the keys as given, not as the list changes later', () => {
    const keys = ['first'];
    const check = keyChecker(keys);
    keys.push('second');
    expect(check('first')).toBe(true);
    expect(check('second')).toBe(false);
  });
});

describe('presentedKey', () => {
  it('takes the X-API-Key header (as PHP clients send it)', () => {
    expect(presentedKey({ 'x-api-key': 'abc' })).toBe('abc');
  });

  it('takes an Authorization: Bearer token', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
  });

  it('keeps the key exactly as sent, spaces and all', () => {
    expect(presentedKey({ authorization: 'Bearer a b ' })).toBe('a b ');
    expect(presentedKey({ 'x-api-key': ' a ' })).toBe(' a ');
  });

  it('prefers X-API-Key when both are sent', () => {
    expect(presentedKey({ 'x-api-key': 'from-header', authorization: 'Bearer from-bearer' })).toBe(
      'from-header',
    );
  });

  it.each<[string, Record<string, string | string[] | undefined>]>([
    ['no headers', {}],
    ['an undefined X-API-Key', { 'x-api-key': undefined }],
    ['another Authorization scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a token without a scheme', { authorization: 'abc' }],
    ['Bearer without a space', { authorization: 'Bearerabc' }],
    ['unrelated headers', { 'x-api-token': 'abc', cookie: 'key=abc' }],
  ])('finds no key in %s', (_name, headers) => {
    expect(presentedKey(headers)).toBeUndefined();
  });

  it('gives the empty key for `Bearer ` with nothing after it, which keyChecker then refuses', () => {
    const key = presentedKey({ authorization: 'Bearer ' });
    expect(key).toBe('');
    expect(keyChecker(['x'])(key)).toBe(false);
  });

  it('does not take a repeated X-API-Key header (an array) as a key', () => {
    expect(presentedKey({ 'x-api-key': ['a', 'b'] })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': ['a', 'b'], authorization: 'Bearer c' })).toBe('c');
  });
});

describe('keyTag', () => {
  it('is stable for a key', () => {
    expect(keyTag(KEYS[0] as string)).toBe(keyTag(KEYS[0] as string));
  });

  it('is a short tag that differs between keys', () => {
    const tags = KEYS.map(keyTag);
    for (const tag of tags) expect(tag).toMatch(/^key:[0-9a-f]{12}$/);
    expect(new Set(tags).size).toBe(KEYS.length);
  });

  it('never contains the key or any 8 characters of it', () => {
    const hexKey = '0123456789abcdef0123456789abcdef';
    for (const key of [...KEYS, hexKey]) {
      const tag = keyTag(key);
      for (let i = 0; i + 8 <= key.length; i++) expect(tag).not.toContain(key.slice(i, i + 8));
    }
  });
});
