import { describe, it, expect } from '@jest/globals';
import { rejectedValue } from '../../src/adapters/rejected.js';

const COLUMNS = ['id', 'name', 'price', 'updated_at'];

/** An error as a driver throws it: an Error with the driver's fields on it. */
function driverError(fields: { code: string; message?: string; column?: string; detail?: string }): Error {
  return Object.assign(new Error(fields.message ?? 'driver failure'), fields);
}

describe('rejectedValue: PostgreSQL (SQLSTATE, column in a field)', () => {
  it('says a value is too long, naming no column when pg gives none', () => {
    const error = driverError({ code: '22001', message: 'value too long for type character varying(5)' });
    expect(rejectedValue(error, COLUMNS)).toBe('a value is too long for its column');
  });

  it('names the column pg reports for a NOT NULL violation', () => {
    const error = driverError({
      code: '23502',
      column: 'name',
      message: 'null value in column "name" of relation "items" violates not-null constraint',
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "name" may not be NULL');
  });

  it.each([
    ['22003', 'is out of range for its column'],
    ['22P02', 'is not valid for its column type'],
    ['22007', 'is not a valid date or time'],
    ['22008', 'is not a valid date or time'],
    ['22021', 'is not valid text for the database encoding'],
    ['23503', 'is refused by a foreign key'],
    ['23514', 'is refused by a check constraint'],
    ['23505', 'duplicates a unique value'],
  ])('turns SQLSTATE %s into "%s"', (code, wording) => {
    expect(rejectedValue(driverError({ code }), COLUMNS)).toBe(`a value ${wording}`);
  });
});

describe('rejectedValue: mysql2 (symbolic code, column quoted in the message)', () => {
  it('names the column of ER_DATA_TOO_LONG', () => {
    const error = driverError({
      code: 'ER_DATA_TOO_LONG',
      message: "Data too long for column 'name' at row 1",
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "name" is too long for its column');
  });

  it('names the column of ER_BAD_NULL_ERROR', () => {
    const error = driverError({ code: 'ER_BAD_NULL_ERROR', message: "Column 'name' cannot be null" });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "name" may not be NULL');
  });

  it('names the column of an out-of-range value', () => {
    const error = driverError({
      code: 'ER_WARN_DATA_OUT_OF_RANGE',
      message: "Out of range value for column 'price' at row 1",
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "price" is out of range for its column');
  });

  it('names the column of an incorrect value', () => {
    const error = driverError({
      code: 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
      message: "Incorrect integer value: 'abc' for column 'id' at row 1",
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "id" is not valid for its column type');
  });

  it('says a duplicate without echoing the duplicated value or the key name', () => {
    const error = driverError({
      code: 'ER_DUP_ENTRY',
      message: "Duplicate entry 'secret@example.com' for key 'items.email_unique'",
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value duplicates a unique value');
  });
});

describe('rejectedValue: better-sqlite3 (symbolic code, table.column in the message)', () => {
  it('names the column of a NOT NULL failure', () => {
    const error = driverError({
      code: 'SQLITE_CONSTRAINT_NOTNULL',
      message: 'NOT NULL constraint failed: items.name',
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "name" may not be NULL');
  });

  it('names the first column of a UNIQUE failure on several', () => {
    const error = driverError({
      code: 'SQLITE_CONSTRAINT_UNIQUE',
      message: 'UNIQUE constraint failed: items.price, items.name',
    });
    expect(rejectedValue(error, COLUMNS)).toBe('a value for column "price" duplicates a unique value');
  });

  it.each([
    [
      'SQLITE_CONSTRAINT_CHECK',
      'CHECK constraint failed: price_positive',
      'is refused by a check constraint',
    ],
    ['SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed', 'is refused by a foreign key'],
  ])('turns %s into a refusal without a column', (code, message, wording) => {
    expect(rejectedValue(driverError({ code, message }), COLUMNS)).toBe(`a value ${wording}`);
  });
});

describe('rejectedValue: columns that are not ours are not echoed', () => {
  it.each([
    ['a pg column field', { code: '23502', column: 'secret_column' }],
    ['a mysql message', { code: 'ER_BAD_NULL_ERROR', message: "Column 'secret_column' cannot be null" }],
    [
      'a sqlite message',
      { code: 'SQLITE_CONSTRAINT_NOTNULL', message: 'NOT NULL constraint failed: t.secret_column' },
    ],
    ['a name that only starts like ours', { code: '23502', column: 'name_internal' }],
    ['a name that differs in case', { code: '23502', column: 'NAME' }],
  ])('%s', (_name, fields) => {
    const said = rejectedValue(driverError(fields), COLUMNS);
    expect(said).toBe('a value may not be NULL');
    expect(said).not.toMatch(/secret|internal|NAME/);
  });
});

describe('rejectedValue: errors that are not a refused value', () => {
  it.each<[string, unknown]>([
    ['a plain Error', new Error("Column 'name' cannot be null")],
    [
      'a connection error',
      driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.5:5432' }),
    ],
    ['a pg serialization failure', driverError({ code: '40001' })],
    ['a pg syntax error', driverError({ code: '42601', message: 'syntax error at or near "SELEC"' })],
    ['a mysql lock wait timeout', driverError({ code: 'ER_LOCK_WAIT_TIMEOUT' })],
    ['SQLITE_BUSY', driverError({ code: 'SQLITE_BUSY', message: 'database is locked' })],
    ['a numeric code', Object.assign(new Error('x'), { code: 22001 })],
    ['an errno in place of a code', { errno: 1406, message: "Data too long for column 'name'" }],
    ['a code that only prefixes a known one', driverError({ code: '2300' })],
    ['a code named like an Object property', driverError({ code: 'toString' })],
    ['a code named __proto__', driverError({ code: '__proto__' })],
    ['an empty object', {}],
    ['a string', '23502'],
    ['a number', 23502],
  ])('%s → null', (_name, error) => {
    expect(rejectedValue(error, COLUMNS)).toBeNull();
  });
});

describe('rejectedValue never carries the driver message', () => {
  const cases = [
    driverError({
      code: '22001',
      message: 'value too long for type character varying(5) INSERT INTO "items"',
    }),
    driverError({
      code: '23502',
      column: 'name',
      message: 'null value in column "name" of relation "items"',
    }),
    driverError({ code: 'ER_DATA_TOO_LONG', message: "Data too long for column 'name' at row 1" }),
    driverError({ code: 'ER_BAD_NULL_ERROR', message: "Column 'name' cannot be null" }),
    driverError({ code: 'SQLITE_CONSTRAINT_NOTNULL', message: 'NOT NULL constraint failed: items.name' }),
    driverError({ code: 'ER_DUP_ENTRY', message: "Duplicate entry 'a@b.c' for key 'items.email'" }),
  ];

  it.each(cases.map((e) => [e.message, e] as const))('%s', (message, error) => {
    const said = rejectedValue(error, COLUMNS);
    expect(said).not.toBeNull();
    expect(said).not.toContain(message);
    // No fragment of it that is not nsync's own wording: table names, values, SQL.
    expect(said).not.toMatch(/items|INSERT|a@b\.c|row 1|relation|varying/);
  });
});
