import { describe, it, expect } from '@jest/globals';
import type { TableConfig } from '../../src/config/types.js';
import { NsyncError } from '../../src/core/errors.js';
import type { CanonicalRow, TableShape } from '../../src/core/types.js';
import { decodeChanges, decodePhpRows, phpRow } from '../../src/engine/wire.js';
import { column } from '../helpers/shapes.js';

/** What arrives over HTTP is checked against the table's shape before anything is written. */

const TABLE: TableConfig = {
  name: 'items',
  primaryKey: ['id'],
  timestampColumn: 'updated_at',
  ignoreColumns: [],
  conflict: 'lww',
  capture: 'trigger',
  maintainTimestamp: true,
  batchSize: 500,
  lookbackSeconds: 0,
};

const SHAPE: TableShape = {
  name: 'items',
  primaryKey: ['id'],
  columns: [
    column('id', 'integer', 'bigint'),
    column('name', 'text', 'varchar(50)', { nullable: true }),
    column('price', 'decimal', 'decimal(10,2)', { nullable: true, scale: 2 }),
    column('ratio', 'float', 'double', { nullable: true }),
    column('active', 'boolean', 'tinyint(1)', { nullable: true }),
    column('born', 'date', 'date', { nullable: true }),
    column('data', 'binary', 'blob', { nullable: true }),
    column('meta', 'json', 'json', { nullable: true }),
    column('updated_at', 'timestamp', 'datetime(6)', { precision: 6 }),
  ],
};

/** A table keyed by two columns, the text one first. */
const PAIRS_TABLE: TableConfig = { ...TABLE, name: 'pairs', primaryKey: ['region', 'n'] };
const PAIRS: TableShape = {
  name: 'pairs',
  primaryKey: ['region', 'n'],
  columns: [
    column('region', 'text', 'varchar(10)'),
    column('n', 'integer', 'integer'),
    column('label', 'text', 'text', { nullable: true }),
    column('updated_at', 'timestamp', 'timestamp(3)', { precision: 3 }),
  ],
};

/** A row of `items` in canonical encoding (DESIGN §5). */
const ROW: CanonicalRow = {
  id: 1,
  name: 'café "q"',
  price: '9.90',
  ratio: 0.5,
  active: true,
  born: '2025-01-01',
  data: 'AAEC',
  meta: { a: [1, 'x'], b: null },
  updated_at: '2025-01-01T10:00:00.5Z',
};

const NULL_ROW: CanonicalRow = {
  id: 2,
  name: null,
  price: null,
  ratio: null,
  active: null,
  born: null,
  data: null,
  meta: null,
  updated_at: '2025-01-01T10:00:00Z',
};

function inputError(run: () => unknown): NsyncError {
  try {
    run();
  } catch (error) {
    if (error instanceof NsyncError) {
      expect(error.code).toBe('INPUT');
      return error;
    }
    throw error;
  }
  throw new Error('expected an INPUT error, got none');
}

/** `row` without the named fields. */
const omit = (row: Record<string, unknown>, ...names: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([name]) => !names.includes(name)));

const upsert = (row: unknown, extra: Record<string, unknown> = {}) => ({ op: 'upsert', row, ...extra });
const refuseChange = (change: unknown) => inputError(() => decodeChanges(TABLE, SHAPE, [change]));
const refuseValue = (name: string, value: unknown) => refuseChange(upsert({ ...ROW, [name]: value }));

describe('decodeChanges: valid changes', () => {
  it('turns an upsert into a change keyed and timed from its row', () => {
    expect(decodeChanges(TABLE, SHAPE, [upsert(ROW)])).toEqual([
      { op: 'upsert', key: [1], row: ROW, at: '2025-01-01T10:00:00.5Z' },
    ]);
  });

  it('accepts nulls outside the key', () => {
    expect(decodeChanges(TABLE, SHAPE, [upsert(NULL_ROW)])).toEqual([
      { op: 'upsert', key: [2], row: NULL_ROW, at: '2025-01-01T10:00:00Z' },
    ]);
  });

  it('has no time when the row has none', () => {
    const [change] = decodeChanges(TABLE, SHAPE, [upsert({ ...ROW, updated_at: null })]);
    expect(change).toMatchObject({ op: 'upsert', at: null });
  });

  it('accepts a key that matches the row, in either canonical spelling', () => {
    expect(decodeChanges(TABLE, SHAPE, [upsert(ROW, { key: [1] })])).toEqual(
      decodeChanges(TABLE, SHAPE, [upsert(ROW)]),
    );
    expect(decodeChanges(TABLE, SHAPE, [upsert(ROW, { key: ['1'] })])[0]).toMatchObject({ key: [1] });
  });

  it('brings values to their canonical encoding', () => {
    const [change] = decodeChanges(TABLE, SHAPE, [
      upsert({
        ...ROW,
        id: '42',
        price: '9.9',
        ratio: 'NaN',
        active: 'true',
        born: '2025-01-01',
        updated_at: '2025-01-01 12:00:00.250+02:00',
      }),
    ]);
    expect(change).toEqual({
      op: 'upsert',
      key: [42],
      row: {
        ...ROW,
        id: 42,
        price: '9.90',
        ratio: 'NaN',
        active: true,
        updated_at: '2025-01-01T10:00:00.25Z',
      },
      at: '2025-01-01T10:00:00.25Z',
    });
  });

  it('keeps integers beyond 2^53 exact, as strings', () => {
    const [change] = decodeChanges(TABLE, SHAPE, [upsert({ ...ROW, id: '9007199254740993' })]);
    expect(change).toMatchObject({ key: ['9007199254740993'], row: { id: '9007199254740993' } });
  });

  it('takes a decimal given as a number to the column scale', () => {
    const [change] = decodeChanges(TABLE, SHAPE, [upsert({ ...ROW, price: 9.9 })]);
    expect(change).toMatchObject({ row: { price: '9.90' } });
  });

  it('passes JSON values through as they are', () => {
    for (const meta of ['text', 42, true, [1, [2]], { deep: { x: 'y' } }]) {
      const [change] = decodeChanges(TABLE, SHAPE, [upsert({ ...ROW, meta })]);
      expect(change).toMatchObject({ row: { meta } });
    }
  });

  it('turns a delete into a tombstone with a canonical time', () => {
    expect(
      decodeChanges(TABLE, SHAPE, [
        { op: 'delete', key: [1], at: '2025-01-01 10:00:00' },
        { op: 'delete', key: ['7'], at: '2025-01-01T12:00:00.123456+02:00' },
      ]),
    ).toEqual([
      { op: 'delete', key: [1], at: '2025-01-01T10:00:00Z' },
      { op: 'delete', key: [7], at: '2025-01-01T10:00:00.123456Z' },
    ]);
  });

  it('keys composite-key tables in key order', () => {
    const row = { label: 'x', n: 3, region: 'eu', updated_at: '2025-01-01T10:00:00Z' };
    expect(
      decodeChanges(PAIRS_TABLE, PAIRS, [
        upsert(row, { key: ['eu', 3] }),
        { op: 'delete', key: ['us', 4], at: '2025-01-02T00:00:00Z' },
      ]),
    ).toEqual([
      { op: 'upsert', key: ['eu', 3], row, at: '2025-01-01T10:00:00Z' },
      { op: 'delete', key: ['us', 4], at: '2025-01-02T00:00:00Z' },
    ]);
  });

  it('decodes no changes to none', () => {
    expect(decodeChanges(TABLE, SHAPE, [])).toEqual([]);
  });
});

describe('decodeChanges: unknown column names', () => {
  it.each([
    ['SQL in a name', 'id; DROP TABLE x'],
    ['a quoted name', 'name" = 1; --'],
    ['a Cyrillic look-alike', 'n\u0430me'],
    ['a zero-width space', 'name\u200b'],
    ['a fullwidth look-alike', '\uff49\uff44'],
    ['another case', 'Name'],
    ['a trailing space', 'name '],
    ['an Object property', 'constructor'],
  ])('refuses %s and names it', (_name, name) => {
    const error = refuseChange(upsert({ ...ROW, [name]: 1 }));
    expect(error.message).toContain('changes[0].row');
    expect(error.message).toContain(JSON.stringify(name));
    expect(error.message).toMatch(/unknown column/);
  });

  it('refuses __proto__ as a column, as JSON.parse delivers it', () => {
    const row = JSON.parse('{"id":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const error = refuseChange(upsert({ ...ROW, ...row }));
    expect(error.message).toContain('"__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an unknown column even in place of a missing one', () => {
    const error = refuseChange(upsert({ ...omit(ROW, 'name'), 'n\u0430me': 'x' }));
    expect(error.message).toContain(JSON.stringify('n\u0430me'));
  });

  it('names the change by its place in the request', () => {
    const error = inputError(() =>
      decodeChanges(TABLE, SHAPE, [upsert(ROW), upsert(NULL_ROW), upsert({ ...ROW, evil: 1 })]),
    );
    expect(error.message).toMatch(/^changes\[2\]\.row: /);
  });

  it('shows control characters escaped, so a name cannot forge log lines', () => {
    const error = refuseChange(upsert({ ...ROW, 'x\nERROR forged\r': 1 }));
    expect(error.message).not.toMatch(/[\n\r]/);
    expect(error.message).toContain('"x\\nERROR forged\\r"');
  });

  it('cuts a very long name short', () => {
    const long = `${'a'.repeat(100)}${'b'.repeat(10_000)}`;
    const error = refuseChange(upsert({ ...ROW, [long]: 1 }));
    expect(error.message).toContain('a'.repeat(64));
    expect(error.message).not.toContain('b'.repeat(10));
    expect(error.message.length).toBeLessThan(400);
  });

  it('names only a few of many unknown columns', () => {
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`extra_${i}`, i]));
    const error = refuseChange(upsert({ ...ROW, ...many }));
    expect(error.message).toContain('"extra_0"');
    expect(error.message).not.toContain('extra_999');
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('decodeChanges: rows and keys that are not complete', () => {
  it('names the columns a row lacks', () => {
    const error = refuseChange(upsert(omit(ROW, 'name', 'price')));
    expect(error.message).toBe('changes[0].row: lacks column name, price');
  });

  it('names the key column a row lacks', () => {
    expect(refuseChange(upsert(omit(ROW, 'id'))).message).toMatch(/^changes\[0\]\.row: lacks column id$/);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [ROW]],
    ['text', 'row'],
    ['missing', undefined],
  ])('refuses a row that is %s', (_name, row) => {
    expect(refuseChange(upsert(row)).message).toMatch(/^changes\[0\]\.row: must be an object/);
  });

  it('refuses a null key column in a row', () => {
    expect(refuseChange(upsert({ ...ROW, id: null })).message).toBe(
      'changes[0].row.id: key column may not be null',
    );
  });

  it('refuses a null in any column of a composite key', () => {
    const row = { region: 'eu', n: null, label: null, updated_at: '2025-01-01T10:00:00Z' };
    const error = inputError(() => decodeChanges(PAIRS_TABLE, PAIRS, [upsert(row)]));
    expect(error.message).toBe('changes[0].row.n: key column may not be null');
  });

  it.each<[string, unknown]>([
    ['another value', [2]],
    ['another spelling of another value', ['2']],
    ['too many values', [1, 1]],
    ['no values', []],
    ['null', null],
    ['a bare value', 1],
  ])('refuses an upsert key that is %s', (_name, key) => {
    expect(refuseChange(upsert(ROW, { key })).message).toMatch(/^changes\[0\]\.key: /);
  });

  it("says a key does not match the row's key", () => {
    expect(refuseChange(upsert(ROW, { key: [2] })).message).toBe(
      "changes[0].key: does not match the row's key columns",
    );
  });

  it('refuses a composite key given in the wrong order', () => {
    const row = { region: 'eu', n: 3, label: null, updated_at: '2025-01-01T10:00:00Z' };
    const error = inputError(() => decodeChanges(PAIRS_TABLE, PAIRS, [upsert(row, { key: [3, 'eu'] })]));
    expect(error.message).toMatch(/^changes\[0\]\.key/);
  });

  it('refuses a delete key with a null', () => {
    const error = refuseChange({ op: 'delete', key: [null], at: '2025-01-01T10:00:00Z' });
    expect(error.message).toBe('changes[0].key[0]: key column may not be null');
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', []],
    ['too long', [1, 2]],
    ['an object', { id: 1 }],
    ['a bare value', 1],
  ])('refuses a delete key that is %s', (_name, key) => {
    const error = refuseChange({ op: 'delete', key, at: '2025-01-01T10:00:00Z' });
    expect(error.message).toMatch(/^changes\[0\]\.key: must be an array of 1 key value\(s\) \(id\)$/);
  });

  it('refuses a delete key value of the wrong kind', () => {
    const error = refuseChange({ op: 'delete', key: ['abc'], at: '2025-01-01T10:00:00Z' });
    expect(error.message).toMatch(/^changes\[0\]\.key\[0\]: .* for bigint$/);
  });
});

describe('decodeChanges: operations and times', () => {
  it.each<[string, unknown]>([
    ['insert', 'insert'],
    ['DELETE', 'DELETE'],
    ['Upsert', 'Upsert'],
    ['missing', undefined],
    ['a number', 1],
  ])('refuses op %s', (_name, op) => {
    expect(refuseChange({ op, row: ROW, key: [1], at: '2025-01-01T10:00:00Z' }).message).toBe(
      'changes[0].op: must be "upsert" or "delete"',
    );
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [ROW]],
    ['text', 'upsert'],
  ])('refuses a change that is %s', (_name, change) => {
    expect(refuseChange(change).message).toBe('changes[0]: must be an object');
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['null', null],
    ['a number of seconds', 1735725600],
    ['a word', 'yesterday'],
    ['empty', ''],
    ['a date alone', '2025-01-01'],
    ['a time with a bad zone', '2025-01-01T10:00:00 CET'],
    ['an object', { at: '2025-01-01T10:00:00Z' }],
  ])('refuses a delete time that is %s', (_name, at) => {
    expect(refuseChange({ op: 'delete', key: [1], at }).message).toMatch(/^changes\[0\]\.at: /);
  });

  it.each([
    ['a month 13', '2025-13-01T10:00:00Z'],
    ['an hour 25', '2025-01-01T25:00:00Z'],
    ['day 00', '2025-01-00T10:00:00Z'],
  ])('refuses a delete time with %s', (_name, at) => {
    // An impossible time stored as text (SQLite) would sort after every real one and win LWW forever.
    expect(refuseChange({ op: 'delete', key: [1], at }).message).toMatch(/^changes\[0\]\.at: /);
  });
});

describe('decodeChanges: values of the wrong kind', () => {
  it.each<[string, string, unknown]>([
    ['text', 'name', 5],
    ['text', 'name', true],
    ['text', 'name', { s: 'x' }],
    ['text', 'name', ['x']],
    ['binary', 'data', 'not base64!'],
    ['binary', 'data', 'AAE'],
    ['binary', 'data', 'AA-_'],
    ['binary', 'data', 'AAEC===='],
    ['binary', 'data', 5],
    ['binary', 'data', [0, 1, 2]],
    ['float', 'ratio', '0.5'],
    ['float', 'ratio', true],
    ['float', 'ratio', { n: 1 }],
    ['integer', 'id', 1.5],
    ['integer', 'id', '1.5'],
    ['integer', 'id', 'abc'],
    ['integer', 'id', '1e3'],
    ['integer', 'id', true],
    ['integer', 'id', { n: 1 }],
    ['integer', 'id', [1]],
    ['decimal', 'price', 'abc'],
    ['decimal', 'price', '1,5'],
    ['decimal', 'price', ''],
    ['decimal', 'price', '1e5'],
    ['decimal', 'price', true],
    ['decimal', 'price', { v: '1' }],
    ['boolean', 'active', 'maybe'],
    ['boolean', 'active', { v: true }],
    ['boolean', 'active', [true]],
    ['timestamp', 'updated_at', 'yesterday'],
    ['timestamp', 'updated_at', '2025-01-01'],
    ['timestamp', 'updated_at', 1735725600],
    ['timestamp', 'updated_at', true],
    ['timestamp', 'updated_at', { at: 'x' }],
    ['date', 'born', 'yesterday'],
    ['date', 'born', ''],
    ['date', 'born', 20250101],
    ['date', 'born', true],
    ['date', 'born', { d: '2025-01-01' }],
  ])('refuses for a %s column (%s) the value %j', (_kind, name, value) => {
    const dbType = SHAPE.columns.find((c) => c.name === name)?.dbType ?? '';
    const error = refuseValue(name, value);
    expect(error.message.startsWith(`changes[0].row.${name}: `)).toBe(true);
    expect(error.message.endsWith(` for ${dbType}`)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['empty text', ''],
    ['hexadecimal', '0x10'],
    ['binary notation', '0b11'],
    ['octal notation', '0o17'],
  ])('refuses an integer given as %s', (_name, value) => {
    // Integers travel as numbers or digit strings (DESIGN §5); anything else is not one.
    expect(refuseValue('id', value).message).toMatch(/^changes\[0\]\.row\.id: /);
  });

  it.each([
    ['a month 13', '2025-13-01'],
    ['a day 32', '2025-01-32'],
    ['text after the date', '2025-01-01; DROP TABLE x'],
  ])('refuses a date with %s', (_name, value) => {
    expect(refuseValue('born', value).message).toMatch(/^changes\[0\]\.row\.born: /);
  });

  it('refuses a timestamp with an impossible hour', () => {
    expect(refuseValue('updated_at', '2025-01-01T25:00:00Z').message).toMatch(
      /^changes\[0\]\.row\.updated_at: /,
    );
  });

  it('says what is wrong with a timestamp of another type, not a JavaScript error', () => {
    for (const value of [1735725600, true]) {
      const error = refuseValue('updated_at', value);
      expect(error.message).not.toMatch(/is not a function|Cannot/);
      expect(error.message).toMatch(/timestamp/);
    }
  });
});

describe('decodePhpRows', () => {
  /** A row as the PHP client sends it: what PDO returned from MySQL. */
  const PHP = {
    id: 1,
    name: 'café "q"',
    price: '9.90',
    ratio: 0.5,
    active: 1,
    born: '2025-01-01',
    data: null,
    meta: '{"a":[1,"x"],"b":null}',
    updated_at: '2025-01-01 10:00:00',
  };

  it('turns PHP values into canonical ones', () => {
    expect(decodePhpRows(TABLE, SHAPE, [PHP])).toEqual([
      {
        op: 'upsert',
        key: [1],
        row: { ...ROW, data: null, updated_at: '2025-01-01T10:00:00Z' },
        at: '2025-01-01T10:00:00Z',
      },
    ]);
  });

  it('accepts the other spellings PDO and PHP produce', () => {
    const [change] = decodePhpRows(TABLE, SHAPE, [
      { ...PHP, id: '7', price: 9.9, ratio: '0.25', active: '0', name: 12 },
    ]);
    expect(change).toMatchObject({
      key: [7],
      row: { id: 7, price: '9.90', ratio: 0.25, active: false, name: '12' },
    });
  });

  it('keeps a BIGINT beyond 2^53 exact', () => {
    const [change] = decodePhpRows(TABLE, SHAPE, [{ ...PHP, id: '9007199254740993' }]);
    expect(change).toMatchObject({ key: ['9007199254740993'] });
  });

  it('keeps nulls', () => {
    const nulls = { ...PHP, name: null, price: null, ratio: null, active: null, born: null, meta: null };
    const [change] = decodePhpRows(TABLE, SHAPE, [nulls]);
    expect(change).toMatchObject({
      row: { name: null, price: null, ratio: null, active: null, born: null, meta: null },
    });
  });

  it('decodes several rows in order', () => {
    const changes = decodePhpRows(TABLE, SHAPE, [PHP, { ...PHP, id: 2 }, { ...PHP, id: 3 }]);
    expect(changes.map((c) => c.key)).toEqual([[1], [2], [3]]);
  });

  it('names the row and column of a bad value', () => {
    const error = inputError(() => decodePhpRows(TABLE, SHAPE, [PHP, { ...PHP, price: 'abc' }]));
    expect(error.message).toMatch(/^data\[1\]\.price: .* for decimal\(10,2\)$/);
  });

  it.each<[string, string, unknown]>([
    ['JSON that does not parse', 'meta', '{"a":'],
    ['JSON as an object rather than text', 'meta', { a: 1 }],
    ['JSON as a number rather than text', 'meta', 5],
    ['an object for a text column', 'name', { s: 'x' }],
    ['an array for an integer column', 'id', [1]],
    ['a word for a timestamp', 'updated_at', 'yesterday'],
    ['a word for a boolean', 'active', 'maybe'],
    ['a fraction for an integer', 'id', '1.5'],
  ])('refuses %s', (_name, name, value) => {
    const error = inputError(() => decodePhpRows(TABLE, SHAPE, [{ ...PHP, [name]: value }]));
    expect(error.message).toMatch(new RegExp(`^data\\[0\\]\\.${name}: `));
  });

  it('refuses unknown columns, naming them', () => {
    const error = inputError(() => decodePhpRows(TABLE, SHAPE, [{ ...PHP, 'id; DROP TABLE x': 1 }]));
    expect(error.message).toMatch(/^data\[0\]: unknown column "id; DROP TABLE x"/);
  });

  it('refuses a row without its key, or with a null key', () => {
    expect(inputError(() => decodePhpRows(TABLE, SHAPE, [omit(PHP, 'id')])).message).toBe(
      'data[0]: lacks column id',
    );
    expect(inputError(() => decodePhpRows(TABLE, SHAPE, [{ ...PHP, id: null }])).message).toBe(
      'data[0].id: key column may not be null',
    );
  });

  it('refuses a row that is not an object', () => {
    expect(inputError(() => decodePhpRows(TABLE, SHAPE, [PHP, [1, 2]])).message).toMatch(/^data\[1\]: /);
  });
});

describe('phpRow', () => {
  it('writes a row as PDO returns it from MySQL', () => {
    expect(phpRow(SHAPE, { ...ROW, updated_at: '2025-01-01T10:00:00Z' })).toEqual({
      id: 1,
      name: 'café "q"',
      price: '9.90',
      ratio: 0.5,
      active: 1,
      born: '2025-01-01',
      data: 'AAEC',
      meta: '{"a":[1,"x"],"b":null}',
      updated_at: '2025-01-01 10:00:00',
    });
  });

  it('writes false as 0 and nulls as null', () => {
    expect(phpRow(SHAPE, { ...NULL_ROW, active: false })).toEqual({
      id: 2,
      name: null,
      price: null,
      ratio: null,
      active: 0,
      born: null,
      data: null,
      meta: null,
      updated_at: '2025-01-01 10:00:00',
    });
  });

  it('writes times as YYYY-MM-DD HH:MM:SS even when they carry a fraction', () => {
    // The PHP wire format carries whole seconds (DESIGN, PREDECESSOR §3.1).
    expect(phpRow(SHAPE, ROW).updated_at).toBe('2025-01-01 10:00:00');
    expect(phpRow(SHAPE, { ...ROW, updated_at: '2025-12-31T23:59:59.999999Z' }).updated_at).toBe(
      '2025-12-31 23:59:59',
    );
  });

  it('keeps a BIGINT beyond 2^53 as an exact string', () => {
    expect(phpRow(SHAPE, { ...ROW, id: '9007199254740993' }).id).toBe('9007199254740993');
  });

  it('writes JSON text for every JSON value', () => {
    for (const meta of ['text', 42, true, [1, { x: 'y' }]])
      expect(phpRow(SHAPE, { ...ROW, meta }).meta).toBe(JSON.stringify(meta));
  });

  it('writes the shape columns in shape order, null for missing ones, and nothing else', () => {
    const out = phpRow(SHAPE, { id: 1, extra: 'x', updated_at: '2025-01-01T10:00:00Z' });
    expect(Object.keys(out)).toEqual(SHAPE.columns.map((c) => c.name));
    expect(out).toMatchObject({ id: 1, name: null, meta: null, updated_at: '2025-01-01 10:00:00' });
    expect(out).not.toHaveProperty('extra');
  });

  it('is read back by decodePhpRows as the same row (a PHP client pulling then pushing)', () => {
    // Binary is left out: PHP's json_encode cannot carry it at all (PREDECESSOR §3.1).
    const shape: TableShape = { ...SHAPE, columns: SHAPE.columns.filter((c) => c.name !== 'data') };
    const withoutData = (row: CanonicalRow) => omit(row, 'data') as CanonicalRow;
    const whole = withoutData({ ...ROW, updated_at: '2025-01-01T10:00:00Z' });
    for (const row of [whole, { ...whole, id: 9, active: false, price: '0.00' }, withoutData(NULL_ROW)]) {
      const [change] = decodePhpRows(TABLE, shape, [JSON.parse(JSON.stringify(phpRow(shape, row)))]);
      expect(change).toEqual({ op: 'upsert', key: [row.id], row, at: row.updated_at });
    }
  });
});
