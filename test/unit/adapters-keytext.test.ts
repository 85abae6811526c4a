import { describe, it, expect, afterAll } from '@jest/globals';
import pg from 'pg';
import { createMysqlAdapter } from '../../src/adapters/mysql/index.js';
import { createPostgresAdapter } from '../../src/adapters/postgres/index.js';
import type { DatabaseConfig } from '../../src/config/types.js';
import { toCanonical } from '../../src/core/canonical.js';
import type { ColumnShape, TableShape } from '../../src/core/types.js';
import { column } from '../helpers/shapes.js';

/**
 * `Adapter.keyText` must be "the exact text the capture triggers write as nsync_changes.pk"
 * (src/adapters/adapter.ts): applying a batch looks tombstones up by it and writes its own
 * tombstones under it. Creating an adapter opens no connection (pools start empty), so these
 * need no database: the expected texts are what each database prints for the trigger's
 * key expression.
 */

const server: DatabaseConfig['connection'] = {
  host: '127.0.0.1',
  port: 1,
  user: 'nobody',
  password: 'none',
  database: 'none',
};
const postgres = createPostgresAdapter({ role: 'master', dialect: 'postgres', connection: server }, 'pg');
const mysql = createMysqlAdapter({ role: 'master', dialect: 'mysql', connection: server }, 'mysql');

afterAll(async () => {
  await postgres.close();
  await mysql.close();
});

const shape = (...columns: ColumnShape[]): TableShape => ({
  name: 't',
  primaryKey: columns.map((c) => c.name),
  columns,
});

describe('keyText: integer and text keys', () => {
  const s = shape(column('id', 'integer', 'bigint'), column('code', 'text', 'text'));

  it('PostgreSQL: json_build_array(id::text, code::text)::text → \'["1", "it\\\'s"]\'', () => {
    expect(postgres.keyText(s, [1, `it's "x"`])).toBe(`["1", "it's \\"x\\""]`);
    expect(postgres.parseKeyText(s, `["1", "it's \\"x\\""]`)).toEqual([1, `it's "x"`]);
  });

  it('MySQL: JSON_ARRAY(CAST(id AS CHAR), CAST(code AS CHAR)) prints the same', () => {
    expect(mysql.keyText(s, ['9007199254740993', '☃'])).toBe('["9007199254740993", "☃"]');
    expect(mysql.parseKeyText(s, '["9007199254740993", "☃"]')).toEqual(['9007199254740993', '☃']);
  });
});

describe('JSON columns reach toCanonical as JSON text', () => {
  const json = column('doc', 'json', 'jsonb');

  it.each([
    ['a JSON string', '"hello"', 'hello'],
    ['a JSON string of digits', '"123"', '123'],
    ['a JSON string "null"', '"null"', 'null'],
    ['an object', '{"b":1,"a":"x"}', { a: 'x', b: 1 }],
  ])('PostgreSQL json and jsonb keep %s as it is', (_name, text, expected) => {
    const connection = (postgres.db.client as { config: { connection: { types: typeof pg.types } } }).config
      .connection;
    for (const oid of [pg.types.builtins.JSON, pg.types.builtins.JSONB]) {
      const driverValue: unknown = connection.types.getTypeParser(oid, 'text')(text);
      expect(toCanonical(json, postgres.fromDriver(json, driverValue))).toEqual(expected);
    }
  });

  it('MySQL asks mysql2 for JSON as text (mysql2 parses it otherwise)', () => {
    const connection = (mysql.db.client as { config: { connection: Record<string, unknown> } }).config
      .connection;
    expect(connection.jsonStrings).toBe(true);
  });
});
