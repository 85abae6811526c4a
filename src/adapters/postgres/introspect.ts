import type { ColumnKind, ColumnShape } from '../../core/types.js';
import type { Adapter } from '../adapter.js';

// https://www.postgresql.org/docs/current/catalog-pg-attribute.html
const COLUMNS = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS db_type, t.typname AS typname,
       a.atttypmod AS typmod, NOT a.attnotnull AS nullable,
       (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%') AS auto
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = to_regclass(quote_ident(?)) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

const PRIMARY_KEY = `
SELECT a.attname AS name
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass(quote_ident(?)) AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)`;

const KINDS: Record<string, ColumnKind> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  numeric: 'decimal',
  float4: 'float',
  float8: 'float',
  bool: 'boolean',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  date: 'date',
  bytea: 'binary',
  json: 'json',
  jsonb: 'json',
};

export async function introspectPostgres(
  adapter: Adapter,
  table: string,
): Promise<{ columns: ColumnShape[]; primaryKey: string[] } | null> {
  const rows = await adapter.query(adapter.db, COLUMNS, [table]);
  if (rows.length === 0) return null;
  const columns = rows.map((r): ColumnShape => {
    const kind = KINDS[String(r.typname)] ?? 'text';
    const typmod = Number(r.typmod);
    const column: ColumnShape = {
      name: String(r.name),
      kind,
      dbType: String(r.db_type),
      nullable: Boolean(r.nullable),
      autoIncrement: Boolean(r.auto),
    };
    if (kind === 'timestamp') column.precision = typmod >= 0 ? typmod : 6;
    if (kind === 'decimal' && typmod >= 4) column.scale = (typmod - 4) & 0xffff;
    return column;
  });
  const key = await adapter.query(adapter.db, PRIMARY_KEY, [table]);
  return { columns, primaryKey: key.map((r) => String(r.name)) };
}
