import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { keyTextWith, parseKeyTextFor } from '../../src/adapters/keys.js';
import { mysqlCaptureDdl } from '../../src/adapters/mysql/capture.js';
import { postgresCaptureDdl } from '../../src/adapters/postgres/capture.js';
import {
  chunks,
  columnList,
  keyAfterClause,
  keyInClause,
  placeholderRows,
  rowsPerStatement,
  sqlString,
} from '../../src/adapters/sql.js';
import { sqliteCaptureDdl } from '../../src/adapters/sqlite/capture.js';
import type { TableConfig } from '../../src/config/types.js';
import type { CanonicalValue, TableShape } from '../../src/core/types.js';
import { column } from '../helpers/shapes.js';

/** The capture DDL builders are pure: table config + shape in, SQL text out (DESIGN §2). */

const tableConfig = (over: Partial<TableConfig> = {}): TableConfig => ({
  name: 'items',
  primaryKey: ['id'],
  timestampColumn: 'updated_at',
  ignoreColumns: [],
  conflict: 'lww',
  capture: 'trigger',
  maintainTimestamp: false,
  batchSize: 5000,
  lookbackSeconds: 60,
  ...over,
});

const shapeOf = (tsType: string, over: Partial<TableShape> = {}): TableShape => ({
  name: 'items',
  primaryKey: ['id'],
  columns: [
    column('id', 'integer', 'integer'),
    column('name', 'text', 'text'),
    column('updated_at', 'timestamp', tsType, { precision: 6 }),
  ],
  ...over,
});

const compositeShape = (tsType: string): TableShape => ({
  name: 'items',
  primaryKey: ['tenant', 'code'],
  columns: [
    column('tenant', 'integer', 'integer'),
    column('code', 'text', 'text'),
    column('updated_at', 'timestamp', tsType, { precision: 6 }),
  ],
});

const noTimestampShape: TableShape = {
  name: 'items',
  primaryKey: ['id'],
  columns: [column('id', 'integer', 'integer'), column('name', 'text', 'text')],
};

const squash = (sql: string) => sql.replace(/\s+/g, ' ');
const only = (statements: string[], pattern: RegExp): string => {
  const found = statements.filter((s) => pattern.test(s));
  expect(found).toHaveLength(1);
  return squash(found[0] as string);
};

describe('postgresCaptureDdl', () => {
  const PG_TS = 'timestamp(6) without time zone';
  const PG_TSTZ = 'timestamp(6) with time zone';
  const ddl = (over: Partial<TableConfig> = {}, shape = shapeOf(PG_TS)) =>
    postgresCaptureDdl(tableConfig(over), shape);
  const captureFn = (d: { install: string[] }) =>
    only(d.install, /^CREATE OR REPLACE FUNCTION "nsync_capture_items"/);

  it('installs one PL/pgSQL function and one row trigger on INSERT, UPDATE and DELETE', () => {
    const { install } = ddl();
    expect(captureFn({ install })).toMatch(
      /^CREATE OR REPLACE FUNCTION "nsync_capture_items"\(\) RETURNS trigger LANGUAGE plpgsql/,
    );
    expect(install).toContain(`DROP TRIGGER IF EXISTS nsync_capture ON "items"`);
    expect(install).toContain(
      // nsync's replica writes ('-') never enter PL/pgSQL.
      `CREATE TRIGGER nsync_capture AFTER INSERT OR UPDATE OR DELETE ON "items" FOR EACH ROW ` +
        `WHEN (coalesce(current_setting('nsync.origin', true), '') <> '-') EXECUTE FUNCTION "nsync_capture_items"()`,
    );
    // Idempotent: the trigger is dropped before it is created.
    const drop = install.indexOf(`DROP TRIGGER IF EXISTS nsync_capture ON "items"`);
    const create = install.findIndex((s) => s.startsWith('CREATE TRIGGER nsync_capture '));
    expect(drop).toBeLessThan(create);
  });

  it('reads the origin from nsync.origin and logs nothing for a replica copy (-)', () => {
    const fn = captureFn(ddl());
    expect(fn).toContain(`o text := nullif(current_setting('nsync.origin', true), '');`);
    expect(fn).toContain(`IF o = '-' THEN RETURN NULL; END IF;`);
    // The '-' check comes before any INSERT INTO nsync_changes.
    expect(fn.indexOf(`IF o = '-'`)).toBeLessThan(fn.indexOf('INSERT INTO nsync_changes'));
    expect(fn).toMatch(/VALUES \('items', [^;]*, o, NULL\)/);
  });

  it('logs an upsert of the NEW key with the row time, one entry per row', () => {
    const fn = captureFn(ddl());
    expect(fn).toContain(
      `IF TG_OP <> 'DELETE' THEN INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES ('items', json_build_array(NEW."id"::text)::text, 'upsert', NEW."updated_at", o, NULL)`,
    );
    expect(fn).toContain(
      'ON CONFLICT (table_name, pk) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at, origin = excluded.origin, seq = NULL;',
    );
  });

  it('logs a delete of the OLD key, at the database clock in UTC, on DELETE and on a key change', () => {
    const fn = captureFn(ddl());
    expect(fn).toContain(
      `IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD."id" IS DISTINCT FROM NEW."id")) THEN INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES ('items', json_build_array(OLD."id"::text)::text, 'delete', clock_timestamp() AT TIME ZONE 'UTC', o, NULL)`,
    );
  });

  it('compares and writes every column of a composite key', () => {
    const fn = captureFn(ddl({ primaryKey: ['tenant', 'code'] }, compositeShape(PG_TS)));
    expect(fn).toContain(
      `(OLD."tenant" IS DISTINCT FROM NEW."tenant" OR OLD."code" IS DISTINCT FROM NEW."code")`,
    );
    expect(fn).toContain(`json_build_array(OLD."tenant"::text, OLD."code"::text)::text, 'delete'`);
    expect(fn).toContain(`json_build_array(NEW."tenant"::text, NEW."code"::text)::text, 'upsert'`);
  });

  it('converts a timestamptz row time to UTC', () => {
    const fn = captureFn(ddl({}, shapeOf(PG_TSTZ)));
    expect(fn).toContain(`'upsert', NEW."updated_at" AT TIME ZONE 'UTC', o, NULL`);
  });

  it('logs NULL as the time of a table without its timestamp column', () => {
    const fn = captureFn(ddl({}, noTimestampShape));
    expect(fn).toContain(`'upsert', NULL, o, NULL`);
  });

  it('adds no stamping trigger unless maintainTimestamp is set, and removes an old one', () => {
    const { install } = ddl({ maintainTimestamp: false });
    expect(install).toContain(`DROP TRIGGER IF EXISTS nsync_stamp ON "items"`);
    expect(install.some((s) => /CREATE TRIGGER nsync_stamp/.test(s))).toBe(false);
    expect(install.some((s) => /nsync_stamp_items/.test(s))).toBe(false);
  });

  it('maintainTimestamp stamps application writes only, in UTC for timestamp without time zone', () => {
    const { install } = ddl({ maintainTimestamp: true });
    const fn = only(install, /^CREATE OR REPLACE FUNCTION "nsync_stamp_items"/);
    expect(fn).toContain(
      `IF nullif(current_setting('nsync.origin', true), '') IS NULL THEN NEW."updated_at" := clock_timestamp() AT TIME ZONE 'UTC'; END IF;`,
    );
    expect(fn).toContain('RETURN NEW;');
    expect(install).toContain(
      `CREATE TRIGGER nsync_stamp BEFORE INSERT OR UPDATE ON "items" FOR EACH ROW EXECUTE FUNCTION "nsync_stamp_items"()`,
    );
    const drop = install.indexOf(`DROP TRIGGER IF EXISTS nsync_stamp ON "items"`);
    expect(drop).toBeLessThan(install.findIndex((s) => s.startsWith('CREATE TRIGGER nsync_stamp ')));
  });

  it('maintainTimestamp assigns the clock as is to a timestamptz column', () => {
    const fn = only(
      ddl({ maintainTimestamp: true }, shapeOf(PG_TSTZ)).install,
      /^CREATE OR REPLACE FUNCTION "nsync_stamp_items"/,
    );
    expect(fn).toContain(`NEW."updated_at" := clock_timestamp(); END IF;`);
  });

  it('maintainTimestamp without a timestamp column adds nothing', () => {
    const { install } = ddl({ maintainTimestamp: true }, noTimestampShape);
    expect(install.some((s) => /CREATE TRIGGER nsync_stamp/.test(s))).toBe(false);
  });

  it('uninstall drops both triggers and both functions', () => {
    expect(ddl({ maintainTimestamp: true }).uninstall).toEqual([
      `DROP TRIGGER IF EXISTS nsync_capture ON "items"`,
      `DROP TRIGGER IF EXISTS nsync_stamp ON "items"`,
      `DROP FUNCTION IF EXISTS "nsync_capture_items"()`,
      `DROP FUNCTION IF EXISTS "nsync_stamp_items"()`,
    ]);
  });

  it('quotes identifiers and the table-name literal', () => {
    const name = `it's "odd"`;
    const shape = {
      ...shapeOf(PG_TS),
      name,
      primaryKey: ['my id'],
      columns: [column('my id', 'integer', 'integer')],
    };
    const { install } = postgresCaptureDdl(tableConfig({ name, primaryKey: ['my id'] }), shape);
    const all = install.join('\n');
    expect(all).toContain(`ON "it's ""odd"""`);
    expect(all).toContain(`FUNCTION "nsync_capture_it's ""odd"""()`);
    expect(all).toContain(`VALUES ('it''s "odd"', json_build_array(NEW."my id"::text)::text`);
  });
});

describe('mysqlCaptureDdl', () => {
  const ddl = (over: Partial<TableConfig> = {}, shape = shapeOf('datetime(6)')) =>
    mysqlCaptureDdl(tableConfig(over), shape);
  const trigger = (install: string[], suffix: string) =>
    only(install, new RegExp(`CREATE TRIGGER \`nsync_items_${suffix}\``));
  const DROPS = ['ai', 'au', 'ad', 'bi', 'bu'].map((s) => `DROP TRIGGER IF EXISTS \`nsync_items_${s}\``);
  const UPSERT_NEW = `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES ('items', JSON_ARRAY(CAST(NEW.\`id\` AS CHAR)), 'upsert', NEW.\`updated_at\`, @nsync_origin, NULL)`;
  const DELETE_OLD = `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES ('items', JSON_ARRAY(CAST(OLD.\`id\` AS CHAR)), 'delete', UTC_TIMESTAMP(6), @nsync_origin, NULL)`;

  it('drops every nsync trigger first, so install is idempotent, and uninstall drops them all', () => {
    const { install, uninstall } = ddl();
    expect(uninstall).toEqual(DROPS);
    expect(install.slice(0, DROPS.length)).toEqual(DROPS);
  });

  it('installs one trigger per event: AFTER INSERT, AFTER UPDATE, AFTER DELETE', () => {
    const { install } = ddl();
    expect(trigger(install, 'ai')).toMatch(
      /^CREATE TRIGGER `nsync_items_ai` AFTER INSERT ON `items` FOR EACH ROW BEGIN/,
    );
    expect(trigger(install, 'au')).toMatch(
      /^CREATE TRIGGER `nsync_items_au` AFTER UPDATE ON `items` FOR EACH ROW BEGIN/,
    );
    expect(trigger(install, 'ad')).toMatch(
      /^CREATE TRIGGER `nsync_items_ad` AFTER DELETE ON `items` FOR EACH ROW BEGIN/,
    );
    expect(install.filter((s) => s.startsWith('CREATE TRIGGER'))).toHaveLength(3);
  });

  it("logs nothing for a replica copy ('-'), and records the session's origin otherwise", () => {
    const { install } = ddl();
    for (const suffix of ['ai', 'au', 'ad']) {
      const sql = trigger(install, suffix);
      expect(sql).toContain(`IF NOT (@nsync_origin <=> '-') THEN`);
      expect(sql).toContain('@nsync_origin, NULL)');
    }
  });

  it('INSERT logs an upsert of the NEW key with the row time', () => {
    const sql = trigger(ddl().install, 'ai');
    expect(sql).toContain(UPSERT_NEW);
    expect(sql).toContain(
      'ON DUPLICATE KEY UPDATE op = VALUES(op), changed_at = VALUES(changed_at), origin = VALUES(origin), seq = NULL;',
    );
  });

  it('UPDATE logs a delete of the OLD key when the key changed, then an upsert of the NEW key', () => {
    const sql = trigger(ddl().install, 'au');
    expect(sql).toContain(`IF NOT (OLD.\`id\` <=> NEW.\`id\`) THEN ${DELETE_OLD}`);
    expect(sql.indexOf(DELETE_OLD)).toBeLessThan(sql.indexOf(UPSERT_NEW));
  });

  it('DELETE logs a delete of the OLD key at UTC_TIMESTAMP(6)', () => {
    const sql = trigger(ddl().install, 'ad');
    expect(sql).toContain(DELETE_OLD);
    expect(sql).not.toContain('NEW.');
  });

  it('compares and writes every column of a composite key', () => {
    const { install } = ddl({ primaryKey: ['tenant', 'code'] }, compositeShape('datetime(6)'));
    const sql = trigger(install, 'au');
    expect(sql).toContain('IF NOT (OLD.`tenant` <=> NEW.`tenant`) OR NOT (OLD.`code` <=> NEW.`code`) THEN');
    expect(sql).toContain('JSON_ARRAY(CAST(OLD.`tenant` AS CHAR), CAST(OLD.`code` AS CHAR))');
    expect(sql).toContain('JSON_ARRAY(CAST(NEW.`tenant` AS CHAR), CAST(NEW.`code` AS CHAR))');
  });

  it('logs NULL as the time of a table without its timestamp column', () => {
    expect(trigger(ddl({}, noTimestampShape).install, 'ai')).toContain(`'upsert', NULL, @nsync_origin`);
  });

  it('adds no BEFORE triggers unless maintainTimestamp is set', () => {
    const { install } = ddl({ maintainTimestamp: false });
    expect(install.some((s) => /CREATE TRIGGER .*BEFORE/.test(s))).toBe(false);
  });

  it('maintainTimestamp stamps application writes only, with UTC_TIMESTAMP(6) for DATETIME', () => {
    const { install } = ddl({ maintainTimestamp: true });
    const stamp = 'BEGIN IF @nsync_origin IS NULL THEN SET NEW.`updated_at` = UTC_TIMESTAMP(6); END IF; END';
    expect(install).toContain(
      `CREATE TRIGGER \`nsync_items_bi\` BEFORE INSERT ON \`items\` FOR EACH ROW ${stamp}`,
    );
    expect(install).toContain(
      `CREATE TRIGGER \`nsync_items_bu\` BEFORE UPDATE ON \`items\` FOR EACH ROW ${stamp}`,
    );
  });

  it('maintainTimestamp uses NOW(6) for a TIMESTAMP column (converted from the session zone)', () => {
    const { install } = ddl({ maintainTimestamp: true }, shapeOf('timestamp(6)'));
    expect(trigger(install, 'bi')).toContain('SET NEW.`updated_at` = NOW(6);');
    expect(trigger(install, 'bu')).toContain('SET NEW.`updated_at` = NOW(6);');
  });

  it('maintainTimestamp without a timestamp column adds nothing', () => {
    const { install } = ddl({ maintainTimestamp: true }, noTimestampShape);
    expect(install.some((s) => /BEFORE/.test(s))).toBe(false);
  });

  it('quotes identifiers and the table-name literal', () => {
    const name = "it's `odd`";
    const { install } = mysqlCaptureDdl(tableConfig({ name }), { ...shapeOf('datetime(6)'), name });
    const all = install.join('\n');
    expect(all).toContain("AFTER INSERT ON `it's ``odd```");
    expect(all).toContain("`nsync_it's ``odd``_ai`");
    expect(all).toContain(`VALUES ('it''s \`odd\`', JSON_ARRAY(`);
  });
});

describe('sqliteCaptureDdl', () => {
  const ddl = (over: Partial<TableConfig> = {}, shape = shapeOf('DATETIME')) =>
    sqliteCaptureDdl(tableConfig(over), shape);
  const trigger = (install: string[], suffix: string) =>
    only(install, new RegExp(`CREATE TRIGGER "nsync_items_${suffix}"`));
  const DROPS = ['ai', 'au', 'ak', 'ad', 'si', 'su'].map((s) => `DROP TRIGGER IF EXISTS "nsync_items_${s}"`);
  const LOGGED = `WHEN coalesce((SELECT origin FROM nsync_session), '') <> '-'`;
  const NOW = `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
  const entry = (pk: string, op: string, at: string) =>
    `INSERT INTO nsync_changes (table_name, pk, op, changed_at, origin, seq) VALUES ('items', ${pk}, '${op}', ${at}, (SELECT origin FROM nsync_session), NULL) ON CONFLICT (table_name, pk) DO UPDATE SET op = excluded.op, changed_at = excluded.changed_at, origin = excluded.origin, seq = NULL;`;

  it('drops every nsync trigger first, so install is idempotent, and uninstall drops them all', () => {
    const { install, uninstall } = ddl();
    expect(uninstall).toEqual(DROPS);
    expect(install.slice(0, DROPS.length)).toEqual(DROPS);
  });

  it('INSERT logs an upsert of the NEW key with the row time, unless the origin is -', () => {
    expect(trigger(ddl().install, 'ai')).toBe(
      `CREATE TRIGGER "nsync_items_ai" AFTER INSERT ON "items" ${LOGGED} BEGIN ${entry(`json_array(CAST(NEW."id" AS TEXT))`, 'upsert', 'NEW."updated_at"')} END`,
    );
  });

  it('UPDATE logs an upsert of the NEW key', () => {
    expect(trigger(ddl().install, 'au')).toBe(
      `CREATE TRIGGER "nsync_items_au" AFTER UPDATE ON "items" ${LOGGED} BEGIN ${entry(`json_array(CAST(NEW."id" AS TEXT))`, 'upsert', 'NEW."updated_at"')} END`,
    );
  });

  it('an UPDATE that changes the key also logs a delete of the OLD key', () => {
    expect(trigger(ddl().install, 'ak')).toBe(
      `CREATE TRIGGER "nsync_items_ak" AFTER UPDATE ON "items" ${LOGGED} AND (OLD."id" IS NOT NEW."id") BEGIN ${entry(`json_array(CAST(OLD."id" AS TEXT))`, 'delete', NOW)} END`,
    );
  });

  it('DELETE logs a delete of the OLD key at the UTC clock', () => {
    expect(trigger(ddl().install, 'ad')).toBe(
      `CREATE TRIGGER "nsync_items_ad" AFTER DELETE ON "items" ${LOGGED} BEGIN ${entry(`json_array(CAST(OLD."id" AS TEXT))`, 'delete', NOW)} END`,
    );
  });

  it('compares and writes every column of a composite key', () => {
    const { install } = ddl({ primaryKey: ['tenant', 'code'] }, compositeShape('DATETIME'));
    expect(trigger(install, 'ak')).toContain(
      `AND (OLD."tenant" IS NOT NEW."tenant" OR OLD."code" IS NOT NEW."code")`,
    );
    expect(trigger(install, 'ak')).toContain(
      `json_array(CAST(OLD."tenant" AS TEXT), CAST(OLD."code" AS TEXT))`,
    );
    expect(trigger(install, 'au')).toContain(
      `json_array(CAST(NEW."tenant" AS TEXT), CAST(NEW."code" AS TEXT))`,
    );
  });

  it('logs NULL as the time of a table without its timestamp column', () => {
    expect(trigger(ddl({}, noTimestampShape).install, 'ai')).toContain(`'upsert', NULL, (SELECT origin`);
  });

  it('adds no stamping triggers unless maintainTimestamp is set', () => {
    const { install } = ddl({ maintainTimestamp: false });
    expect(install.filter((s) => s.startsWith('CREATE TRIGGER'))).toHaveLength(4);
    expect(install.some((s) => /CREATE TRIGGER "nsync_items_s[iu]"/.test(s))).toBe(false);
  });

  it('maintainTimestamp stamps application writes (origin NULL) right after them', () => {
    const { install } = ddl({ maintainTimestamp: true });
    const stamp = `UPDATE "items" SET "updated_at" = ${NOW} WHERE "id" = NEW."id";`;
    expect(trigger(install, 'si')).toBe(
      `CREATE TRIGGER "nsync_items_si" AFTER INSERT ON "items" WHEN (SELECT origin FROM nsync_session) IS NULL AND NEW."updated_at" IS NULL BEGIN ${stamp} END`,
    );
    expect(trigger(install, 'su')).toBe(
      `CREATE TRIGGER "nsync_items_su" AFTER UPDATE ON "items" WHEN (SELECT origin FROM nsync_session) IS NULL AND NEW."updated_at" IS OLD."updated_at" BEGIN ${stamp} END`,
    );
  });

  it('maintainTimestamp matches every column of a composite key', () => {
    const { install } = ddl(
      { maintainTimestamp: true, primaryKey: ['tenant', 'code'] },
      compositeShape('DATETIME'),
    );
    expect(trigger(install, 'si')).toContain(`WHERE "tenant" = NEW."tenant" AND "code" = NEW."code";`);
  });

  it('maintainTimestamp without a timestamp column adds nothing', () => {
    const { install } = ddl({ maintainTimestamp: true }, noTimestampShape);
    expect(install.filter((s) => s.startsWith('CREATE TRIGGER'))).toHaveLength(4);
  });

  it('quotes identifiers and the table-name literal', () => {
    const name = `it's "odd"`;
    const { install } = sqliteCaptureDdl(tableConfig({ name }), { ...shapeOf('DATETIME'), name });
    const all = install.join('\n');
    expect(all).toContain(`AFTER INSERT ON "it's ""odd"""`);
    expect(all).toContain(`"nsync_it's ""odd""_ai"`);
    expect(all).toContain(`VALUES ('it''s "odd"', json_array(`);
  });
});

describe('every dialect logs the same events', () => {
  const builders = {
    postgres: postgresCaptureDdl,
    mysql: mysqlCaptureDdl,
    sqlite: sqliteCaptureDdl,
  };
  it.each(Object.entries(builders))(
    '%s: upserts on INSERT/UPDATE, deletes on DELETE and key change',
    (_d, build) => {
      const all = build(tableConfig(), shapeOf('datetime(6)')).install.join('\n');
      expect(all).toMatch(/AFTER INSERT/);
      expect(all).toMatch(/UPDATE/);
      expect(all).toMatch(/DELETE/);
      expect(all.match(/'upsert'/g)?.length).toBeGreaterThanOrEqual(1);
      expect(all.match(/'delete'/g)?.length).toBeGreaterThanOrEqual(1);
      expect(all).toContain("'-'");
      expect(all).toContain('seq = NULL');
    },
  );
});

describe('keyTextWith / parseKeyTextFor', () => {
  const shape: TableShape = {
    name: 't',
    primaryKey: ['id'],
    columns: [column('id', 'integer', 'bigint')],
  };
  const textShape: TableShape = {
    name: 't',
    primaryKey: ['code'],
    columns: [column('code', 'text', 'text')],
  };
  const composite: TableShape = {
    name: 't',
    primaryKey: ['tenant', 'code', 'day'],
    columns: [
      column('code', 'text', 'text'),
      column('other', 'boolean', 'boolean'),
      column('day', 'date', 'date'),
      column('tenant', 'integer', 'integer'),
    ],
  };

  it('writes the array of text values that PostgreSQL and MySQL print (", ")', () => {
    expect(keyTextWith(', ', [1])).toBe('["1"]');
    expect(keyTextWith(', ', [1, 'a'])).toBe('["1", "a"]');
    expect(keyTextWith(', ', [null, 'a'])).toBe('[null, "a"]');
  });

  it('writes the array SQLite prints (",")', () => {
    expect(keyTextWith(',', [1, 'a'])).toBe('["1","a"]');
  });

  it('escapes quotes, backslashes and control characters as JSON does, and keeps unicode', () => {
    expect(keyTextWith(',', ['say "hi"\\'])).toBe('["say \\"hi\\"\\\\"]');
    expect(keyTextWith(',', ['a\nb\t\u0001'])).toBe('["a\\nb\\t\\u0001"]');
    expect(keyTextWith(',', ['é☃😀'])).toBe('["é☃😀"]');
  });

  it.each([', ', ','])('round-trips integer keys (separator %j)', (sep) => {
    for (const key of [[0], [42], [-7], ['9007199254740993'], ['-9223372036854775808']]) {
      expect(parseKeyTextFor(shape, keyTextWith(sep, key))).toEqual(key);
    }
  });

  it.each([', ', ','])('round-trips text keys with quotes, separators and unicode (separator %j)', (sep) => {
    for (const key of [
      ['plain'],
      ["it's"],
      ['say "hi"'],
      ['a", "b'],
      ['back\\slash'],
      ['é☃😀'],
      [''],
      ['1'],
    ]) {
      expect(parseKeyTextFor(textShape, keyTextWith(sep, key))).toEqual(key);
    }
  });

  it('round-trips composite keys, in key order whatever the column order', () => {
    for (const key of [
      [1, 'a', '2025-01-31'],
      [9, 'x, "y"', '2024-02-29'],
    ]) {
      expect(parseKeyTextFor(composite, keyTextWith(', ', key))).toEqual(key);
      expect(parseKeyTextFor(composite, keyTextWith(',', key))).toEqual(key);
    }
  });

  it('round-trips any integer or text key', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.string({ unit: 'grapheme' }),
        (n, s) => {
          const both: TableShape = {
            name: 't',
            primaryKey: ['n', 's'],
            columns: [column('n', 'integer', 'bigint'), column('s', 'text', 'text')],
          };
          const key: CanonicalValue[] = [Number.isSafeInteger(Number(n)) ? Number(n) : n.toString(), s];
          expect(parseKeyTextFor(both, keyTextWith(', ', key))).toEqual(key);
        },
      ),
    );
  });

  it('reads the text a database printed back into canonical values', () => {
    // PostgreSQL's json_build_array(1::text, 'it''s'::text)::text
    expect(parseKeyTextFor(composite, '["1", "it\'s", "2025-01-31"]')).toEqual([1, "it's", '2025-01-31']);
  });

  it('names a key column the shape lacks', () => {
    const broken: TableShape = { name: 'orders', primaryKey: ['id'], columns: [] };
    expect(() => parseKeyTextFor(broken, '["1"]')).toThrow(/key column id missing from orders/);
  });
});

describe('sql helpers', () => {
  const dq = (s: string) => `"${s}"`;
  const bq = (s: string) => `\`${s}\``;

  it('placeholderRows writes rows × width placeholders', () => {
    expect(placeholderRows(1, 1)).toBe('(?)');
    expect(placeholderRows(2, 3)).toBe('(?, ?, ?), (?, ?, ?)');
    expect(placeholderRows(0, 3)).toBe('');
    expect(placeholderRows(500, 4).match(/\?/g)).toHaveLength(2000);
  });

  it('keyInClause: a column IN list for one key column', () => {
    expect(keyInClause(dq, ['id'], 1)).toBe('"id" IN (?)');
    expect(keyInClause(bq, ['id'], 3)).toBe('`id` IN (?, ?, ?)');
  });

  it('keyInClause: a row-value IN list for a composite key', () => {
    expect(keyInClause(dq, ['a', 'b'], 2)).toBe('("a", "b") IN ((?, ?), (?, ?))');
    expect(keyInClause(bq, ['a', 'b', 'c'], 1)).toBe('(`a`, `b`, `c`) IN ((?, ?, ?))');
  });

  it('keyAfterClause: the keyset condition, single and composite', () => {
    expect(keyAfterClause(dq, ['id'])).toBe('"id" > ?');
    expect(keyAfterClause(dq, ['a', 'b'])).toBe('("a", "b") > (?, ?)');
    expect(keyAfterClause(bq, ['a', 'b', 'c'])).toBe('(`a`, `b`, `c`) > (?, ?, ?)');
  });

  it('columnList and sqlString', () => {
    expect(columnList(dq, ['a', 'b'])).toBe('"a", "b"');
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString("''")).toBe("''''''");
  });

  describe('rowsPerStatement', () => {
    const wide = (n: number): TableShape => ({
      name: 't',
      primaryKey: ['c0'],
      columns: Array.from({ length: n }, (_, i) => column(`c${i}`, 'integer', 'integer')),
    });

    it('is capped by the row limit for narrow tables', () => {
      expect(rowsPerStatement(wide(3), 500, 32_766)).toBe(500);
    });

    it('is capped by the binding limit for wide tables', () => {
      expect(rowsPerStatement(wide(100), 500, 32_766)).toBe(327);
      expect(rowsPerStatement(wide(100), 5_000, 65_535)).toBe(655);
    });

    it('is at least one row', () => {
      expect(rowsPerStatement(wide(70_000), 500, 65_535)).toBe(1);
      expect(rowsPerStatement(wide(0), 500, 65_535)).toBe(500);
    });

    it('never needs more bindings than allowed (when one row fits)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2_000 }),
          fc.integer({ min: 1, max: 10_000 }),
          fc.integer({ min: 2_000, max: 100_000 }),
          (cols, maxRows, maxBindings) => {
            const rows = rowsPerStatement(wide(cols), maxRows, maxBindings);
            expect(rows).toBeGreaterThanOrEqual(1);
            expect(rows).toBeLessThanOrEqual(maxRows);
            expect(rows * cols).toBeLessThanOrEqual(maxBindings);
          },
        ),
      );
    });
  });

  describe('chunks', () => {
    it('splits into pieces of at most size, in order', () => {
      expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
      expect(chunks([1, 2, 3, 4], 2)).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(chunks([1, 2], 10)).toEqual([[1, 2]]);
      expect(chunks([], 3)).toEqual([]);
    });

    it('loses and repeats nothing', () => {
      fc.assert(
        fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 50 }), (items, size) => {
          const parts = chunks(items, size);
          expect(parts.flat()).toEqual(items);
          expect(parts.every((p) => p.length >= 1 && p.length <= size)).toBe(true);
          expect(parts.length).toBe(Math.ceil(items.length / size));
        }),
      );
    });
  });
});
