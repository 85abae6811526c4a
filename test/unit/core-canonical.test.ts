import { describe, it, expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { canonicalDecimal, keyId, rowHash, stableStringify, toCanonical } from '../../src/core/canonical.js';
import type { CanonicalRow, ColumnKind, ColumnShape, JsonValue } from '../../src/core/types.js';

/** DESIGN §5: one canonical encoding per logical value, whatever the dialect that read it. */

const col = (kind: ColumnKind, extra: Partial<ColumnShape> = {}): ColumnShape => ({
  name: 'c',
  kind,
  dbType: kind,
  nullable: true,
  autoIncrement: false,
  ...extra,
});

const INT = col('integer');
const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

describe('toCanonical: null', () => {
  it.each<ColumnKind>([
    'integer',
    'decimal',
    'float',
    'boolean',
    'text',
    'timestamp',
    'date',
    'binary',
    'json',
  ])('null and undefined are null for %s', (kind) => {
    expect(toCanonical(col(kind), null)).toBeNull();
    expect(toCanonical(col(kind), undefined)).toBeNull();
  });
});

describe('toCanonical: integer', () => {
  it('keeps numbers', () => {
    expect(toCanonical(INT, 0)).toBe(0);
    expect(toCanonical(INT, 42)).toBe(42);
    expect(toCanonical(INT, -7)).toBe(-7);
  });

  it('turns bigints and digit strings within ±(2^53-1) into numbers', () => {
    expect(toCanonical(INT, 42n)).toBe(42);
    expect(toCanonical(INT, '42')).toBe(42);
    expect(toCanonical(INT, ' -42 ')).toBe(-42);
    expect(toCanonical(INT, '007')).toBe(7);
    expect(toCanonical(INT, String(MAX))).toBe(MAX);
    expect(toCanonical(INT, BigInt(-MAX))).toBe(-MAX);
  });

  it('turns bigints and digit strings beyond that into exact digit strings', () => {
    expect(toCanonical(INT, String(MAX + 1))).toBe('9007199254740992');
    expect(toCanonical(INT, '9007199254740993')).toBe('9007199254740993');
    expect(toCanonical(INT, 9223372036854775807n)).toBe('9223372036854775807');
    expect(toCanonical(INT, '-9223372036854775808')).toBe('-9223372036854775808');
    expect(toCanonical(INT, BigInt(-MAX) - 1n)).toBe('-9007199254740992');
  });

  it('encodes the same integer the same way whichever form the driver gave', () => {
    for (const big of ['18446744073709551615', '9007199254740993']) {
      expect(toCanonical(INT, big)).toBe(toCanonical(INT, BigInt(big)));
    }
    expect(toCanonical(INT, 123)).toBe(toCanonical(INT, 123n));
    expect(toCanonical(INT, 123)).toBe(toCanonical(INT, '123'));
  });

  it('a number beyond 2^53 is encoded as a string, like the same value from a bigint (DESIGN §5)', () => {
    // e.g. a PHP client pushing a BIGINT as a JSON number. Whatever precision it already lost,
    // its encoding must be a string, so it hashes like the same value read as a bigint.
    expect(toCanonical(INT, 2 ** 60)).toBe('1152921504606846976');
    expect(toCanonical(INT, 2 ** 60)).toBe(toCanonical(INT, 2n ** 60n));
    expect(toCanonical(INT, -(2 ** 53))).toBe('-9007199254740992');
  });

  it('rejects values that are not integers', () => {
    expect(() => toCanonical(INT, 1.5)).toThrow(/not an integer/);
    expect(() => toCanonical(INT, '1.5')).toThrow();
    expect(() => toCanonical(INT, 'abc')).toThrow();
  });
});

describe('toCanonical: decimal', () => {
  const scaled = (scale: number) => col('decimal', { scale });

  it('keeps the text exactly as stored when no scale is declared', () => {
    expect(toCanonical(col('decimal'), '9.9')).toBe('9.9');
    expect(toCanonical(col('decimal'), '9.90')).toBe('9.90');
    expect(toCanonical(col('decimal'), '-0.05')).toBe('-0.05');
    expect(toCanonical(col('decimal'), '12345678901234567890.123456789')).toBe(
      '12345678901234567890.123456789',
    );
  });

  it('pads to the declared scale', () => {
    expect(toCanonical(scaled(2), '9.9')).toBe('9.90');
    expect(toCanonical(scaled(2), '9')).toBe('9.00');
    expect(toCanonical(scaled(2), '9.90')).toBe('9.90');
    expect(toCanonical(scaled(2), '-0.05')).toBe('-0.05');
    expect(toCanonical(scaled(4), '-0.05')).toBe('-0.0500');
  });

  it('encodes a number (SQLite REAL, a driver float) like the stored text', () => {
    expect(toCanonical(scaled(2), 9.9)).toBe('9.90');
    expect(toCanonical(scaled(2), 100)).toBe('100.00');
    expect(toCanonical(scaled(2), -0.05)).toBe('-0.05');
    expect(toCanonical(scaled(2), 9.9)).toBe(toCanonical(scaled(2), '9.90'));
  });

  it('writes a number in exponent form as plain digits', () => {
    expect(toCanonical(col('decimal'), 1e-7)).toBe('0.0000001');
    expect(toCanonical(scaled(8), 1e-7)).toBe('0.00000010');
  });

  it('drops zeros beyond the scale, never significant digits', () => {
    expect(toCanonical(scaled(2), '9.9000')).toBe('9.90');
    expect(toCanonical(scaled(2), '9.999')).toBe('9.999');
  });

  it('scale 0 is the integer part', () => {
    expect(toCanonical(scaled(0), '100')).toBe('100');
    expect(toCanonical(scaled(0), 100)).toBe('100');
    expect(toCanonical(scaled(0), '100.00')).toBe('100');
    expect(toCanonical(scaled(0), '-7')).toBe('-7');
  });

  it('passes PostgreSQL NaN and Infinity through', () => {
    expect(canonicalDecimal('NaN', 2)).toBe('NaN');
    expect(canonicalDecimal('-Infinity')).toBe('-Infinity');
  });

  it('rejects text that is not a decimal', () => {
    expect(() => toCanonical(scaled(2), 'abc')).toThrow(/not a decimal/);
    expect(() => toCanonical(scaled(2), '1,5')).toThrow(/not a decimal/);
    expect(() => toCanonical(scaled(2), '')).toThrow(/not a decimal/);
  });
});

describe('toCanonical: float', () => {
  const FLOAT = col('float');

  it('keeps numbers and parses numeric text', () => {
    expect(toCanonical(FLOAT, 1.5)).toBe(1.5);
    expect(toCanonical(FLOAT, '1.5')).toBe(1.5);
    expect(toCanonical(FLOAT, '-2.5e3')).toBe(-2500);
    expect(toCanonical(FLOAT, 0.1)).toBe(0.1);
  });

  it('writes the values JSON has no number for as strings', () => {
    expect(toCanonical(FLOAT, NaN)).toBe('NaN');
    expect(toCanonical(FLOAT, Infinity)).toBe('Infinity');
    expect(toCanonical(FLOAT, '-Infinity')).toBe('-Infinity');
  });
});

describe('toCanonical: boolean', () => {
  const BOOL = col('boolean');

  it.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    [1n, true],
    [0n, false],
    ['t', true],
    ['f', false],
    ['1', true],
    ['0', false],
    ['true', true],
    ['FALSE', false],
    [Buffer.from([1]), true],
    [Buffer.from([0]), false],
  ])('%p is %p', (input, expected) => {
    expect(toCanonical(BOOL, input)).toBe(expected);
  });

  it('rejects anything else', () => {
    expect(() => toCanonical(BOOL, 'maybe')).toThrow(/not a boolean/);
  });
});

describe('toCanonical: text', () => {
  const TEXT = col('text');

  it('keeps strings, unicode included', () => {
    expect(toCanonical(TEXT, 'héllo ☃ 😀')).toBe('héllo ☃ 😀');
    expect(toCanonical(TEXT, '')).toBe('');
  });

  it('decodes Buffers as UTF-8', () => {
    expect(toCanonical(TEXT, Buffer.from('héllo ☃', 'utf8'))).toBe('héllo ☃');
  });

  it('turns other values into their text', () => {
    expect(toCanonical(TEXT, 42)).toBe('42');
  });
});

describe('toCanonical: timestamp', () => {
  const ts = (precision?: number) => col('timestamp', precision === undefined ? {} : { precision });

  it('reads PostgreSQL timestamp text', () => {
    expect(toCanonical(ts(6), '2025-01-01 10:00:00.123456')).toBe('2025-01-01T10:00:00.123456Z');
  });

  it('reads PostgreSQL timestamptz text and converts it to UTC', () => {
    expect(toCanonical(ts(6), '2025-01-01 10:00:00.123456+02')).toBe('2025-01-01T08:00:00.123456Z');
    expect(toCanonical(ts(6), '2025-01-01 10:00:00+00')).toBe('2025-01-01T10:00:00Z');
    expect(toCanonical(ts(6), '2025-01-01 01:30:00-05:30')).toBe('2025-01-01T07:00:00Z');
  });

  it('reads MySQL DATETIME text', () => {
    expect(toCanonical(ts(0), '2025-01-01 10:00:00')).toBe('2025-01-01T10:00:00Z');
    expect(toCanonical(ts(6), '2025-01-01 10:00:00.500000')).toBe('2025-01-01T10:00:00.5Z');
  });

  it('reads ISO-8601 with Z', () => {
    expect(toCanonical(ts(6), '2025-01-01T10:00:00.250Z')).toBe('2025-01-01T10:00:00.25Z');
    expect(toCanonical(ts(6), '2025-01-01T10:00:00Z')).toBe('2025-01-01T10:00:00Z');
  });

  it('reads Date objects (millisecond precision)', () => {
    expect(toCanonical(ts(6), new Date(Date.UTC(2025, 0, 1, 10, 0, 0, 120)))).toBe('2025-01-01T10:00:00.12Z');
    expect(toCanonical(ts(0), new Date(Date.UTC(2025, 0, 1, 10, 0, 0, 999)))).toBe('2025-01-01T10:00:00Z');
  });

  it('truncates (never rounds) to the column precision', () => {
    const text = '2025-01-01 10:00:00.987654';
    expect(toCanonical(ts(0), text)).toBe('2025-01-01T10:00:00Z');
    expect(toCanonical(ts(3), text)).toBe('2025-01-01T10:00:00.987Z');
    expect(toCanonical(ts(6), text)).toBe('2025-01-01T10:00:00.987654Z');
  });

  it('defaults to 6 digits when the column declares none', () => {
    expect(toCanonical(ts(), '2025-01-01 10:00:00.987654')).toBe('2025-01-01T10:00:00.987654Z');
  });

  it('drops trailing zeros, so the same instant encodes the same at any precision', () => {
    expect(toCanonical(ts(6), '2025-01-01 10:00:00.100000')).toBe('2025-01-01T10:00:00.1Z');
    expect(toCanonical(ts(3), '2025-01-01 10:00:00.100')).toBe('2025-01-01T10:00:00.1Z');
    expect(toCanonical(ts(6), '2025-01-01 10:00:00.000000')).toBe('2025-01-01T10:00:00Z');
    expect(toCanonical(ts(3), '2025-01-01 10:00:00.000900')).toBe('2025-01-01T10:00:00Z');
  });

  it('rejects text that is not a timestamp', () => {
    expect(() => toCanonical(ts(6), 'yesterday')).toThrow(/not a timestamp/);
    expect(() => toCanonical(ts(6), new Date('nope'))).toThrow();
  });
});

describe('toCanonical: date', () => {
  const DATE = col('date');

  it('keeps YYYY-MM-DD', () => {
    expect(toCanonical(DATE, '2025-01-31')).toBe('2025-01-31');
  });

  it('cuts a time part off', () => {
    expect(toCanonical(DATE, '2025-01-31 00:00:00')).toBe('2025-01-31');
    expect(toCanonical(DATE, '2025-01-31T00:00:00.000Z')).toBe('2025-01-31');
  });

  it('reads a Date at UTC midnight', () => {
    expect(toCanonical(DATE, new Date(Date.UTC(2024, 1, 29)))).toBe('2024-02-29');
  });

  it('rejects anything else', () => {
    expect(() => toCanonical(DATE, '31/01/2025')).toThrow(/not a date/);
  });
});

describe('toCanonical: binary', () => {
  const BIN = col('binary');

  it('encodes Buffers as base64', () => {
    expect(toCanonical(BIN, Buffer.from([0, 1, 2, 253, 254, 255]))).toBe('AAEC/f7/');
    expect(toCanonical(BIN, Buffer.alloc(0))).toBe('');
  });

  it('encodes a Uint8Array like the same bytes in a Buffer', () => {
    expect(toCanonical(BIN, new Uint8Array([0, 1, 2, 253, 254, 255]))).toBe('AAEC/f7/');
  });

  it('encodes text as its UTF-8 bytes', () => {
    expect(toCanonical(BIN, 'hé')).toBe(Buffer.from('hé', 'utf8').toString('base64'));
  });
});

describe('toCanonical: json', () => {
  const JSON_COL = col('json');

  it('parses JSON text (SQLite, MariaDB)', () => {
    expect(toCanonical(JSON_COL, '{"b":1,"a":[1,"x",null]}')).toEqual({ b: 1, a: [1, 'x', null] });
    expect(toCanonical(JSON_COL, '[1,2]')).toEqual([1, 2]);
    expect(toCanonical(JSON_COL, '"text"')).toBe('text');
    expect(toCanonical(JSON_COL, '42')).toBe(42);
    expect(toCanonical(JSON_COL, 'null')).toBeNull();
  });

  it('keeps an already parsed object or array', () => {
    const value = { b: { d: 1, c: [true] }, a: 'x' };
    expect(toCanonical(JSON_COL, value)).toEqual(value);
    expect(toCanonical(JSON_COL, [1, { a: 2 }])).toEqual([1, { a: 2 }]);
  });

  it('rejects text that is not JSON', () => {
    expect(() => toCanonical(JSON_COL, '{oops')).toThrow();
  });
});

describe('stableStringify', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    const value: JsonValue = { b: 1, a: { z: [3, { y: 1, x: 2 }], c: null }, A: 'upper' };
    expect(stableStringify(value)).toBe('{"A":"upper","a":{"c":null,"z":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('does not depend on insertion order', () => {
    expect(stableStringify({ a: 1, b: { c: 2, d: 3 } })).toBe(stableStringify({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('writes scalars as JSON does', () => {
    expect(stableStringify(null)).toBe('null');
    expect(stableStringify(true)).toBe('true');
    expect(stableStringify(1.5)).toBe('1.5');
    expect(stableStringify('q"\\\n☃')).toBe(JSON.stringify('q"\\\n☃'));
    expect(stableStringify([])).toBe('[]');
    expect(stableStringify({})).toBe('{}');
  });

  it('is valid JSON that parses back to the same value', () => {
    const value: JsonValue = { 'k"ey': ['☃', 1, null, false, { '': 0 }] };
    expect(JSON.parse(stableStringify(value))).toEqual(value);
  });
});

describe('rowHash', () => {
  const row: CanonicalRow = {
    id: 1,
    name: 'Ann',
    price: '9.90',
    updated_at: '2025-01-01T10:00:00.5Z',
    doc: { b: 1, a: 2 },
  };

  it('is the SHA-256 hex of the sorted encoding', () => {
    const expected = createHash('sha256').update(stableStringify(row)).digest('hex');
    expect(rowHash(row)).toBe(expected);
    expect(rowHash(row)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is equal for the same logical row built in another key order', () => {
    const reordered: CanonicalRow = {
      doc: { a: 2, b: 1 },
      updated_at: '2025-01-01T10:00:00.5Z',
      price: '9.90',
      name: 'Ann',
      id: 1,
    };
    expect(rowHash(reordered)).toBe(rowHash(row));
  });

  it('differs when any value differs, types included', () => {
    expect(rowHash({ ...row, name: 'Bob' })).not.toBe(rowHash(row));
    expect(rowHash({ ...row, id: '1' })).not.toBe(rowHash(row));
    expect(rowHash({ ...row, price: '9.9' })).not.toBe(rowHash(row));
    expect(rowHash({ ...row, doc: { a: 2, b: 1, c: null } })).not.toBe(rowHash(row));
    expect(rowHash({ ...row, name: null })).not.toBe(rowHash(row));
  });

  it('is equal for the same logical row read through each dialect', () => {
    const shape = (precision: number, scale: number): ColumnShape[] => [
      col('integer', { name: 'id' }),
      col('decimal', { name: 'price', scale }),
      col('timestamp', { name: 'updated_at', precision }),
      col('boolean', { name: 'active' }),
      col('date', { name: 'day' }),
      col('binary', { name: 'blob' }),
      col('json', { name: 'doc' }),
      col('text', { name: 'name' }),
    ];
    const encode = (columns: ColumnShape[], raw: Record<string, unknown>) =>
      Object.fromEntries(columns.map((c) => [c.name, toCanonical(c, raw[c.name])])) as CanonicalRow;
    const postgres = encode(shape(6, 2), {
      id: '9007199254740993',
      price: '9.90',
      updated_at: '2025-01-01 12:00:00.5+02',
      active: true,
      day: '2025-01-31',
      blob: Buffer.from([1, 2, 3]),
      doc: { b: [1], a: 'x' },
      name: 'Ann ☃',
    });
    const mysql = encode(shape(6, 2), {
      id: '9007199254740993',
      price: '9.90',
      updated_at: '2025-01-01 10:00:00.500000',
      active: 1,
      day: '2025-01-31',
      blob: Buffer.from([1, 2, 3]),
      doc: { a: 'x', b: [1] },
      name: Buffer.from('Ann ☃'),
    });
    const sqlite = encode(shape(6, 2), {
      id: 9007199254740993n,
      price: 9.9,
      updated_at: '2025-01-01 10:00:00.500',
      active: 1,
      day: '2025-01-31',
      blob: new Uint8Array([1, 2, 3]),
      doc: '{"b":[1],"a":"x"}',
      name: 'Ann ☃',
    });
    expect(mysql).toEqual(postgres);
    expect(sqlite).toEqual(postgres);
    expect(rowHash(mysql)).toBe(rowHash(postgres));
    expect(rowHash(sqlite)).toBe(rowHash(postgres));
  });
});

describe('keyId', () => {
  it('is the stable JSON of the key values, in key order', () => {
    expect(keyId([1])).toBe('[1]');
    expect(keyId([1, 'a'])).toBe('[1,"a"]');
    expect(keyId(['9007199254740993', null])).toBe('["9007199254740993",null]');
  });

  it('tells keys apart by type and order', () => {
    expect(keyId([1])).not.toBe(keyId(['1']));
    expect(keyId([1, 2])).not.toBe(keyId([2, 1]));
    expect(keyId(['a,b'])).not.toBe(keyId(['a', 'b']));
  });

  it('is equal for equal keys, whatever object key order a JSON key value has', () => {
    expect(keyId([{ a: 1, b: 2 }])).toBe(keyId([{ b: 2, a: 1 }]));
  });
});
