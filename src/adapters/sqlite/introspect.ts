import type { ColumnKind, ColumnShape } from '../../core/types.js';
import type { Adapter } from '../adapter.js';

/**
 * SQLite columns have affinities, not types; the declared type name is all there is
 * (https://www.sqlite.org/datatype3.html §3.1), so kinds come from it.
 */
function kindOf(declared: string): ColumnKind {
  const t = declared.toUpperCase();
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('INT')) return 'integer';
  if (t.includes('DEC') || t.includes('NUMERIC')) return 'decimal';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'float';
  if (t.includes('TIMESTAMP') || t.includes('DATETIME')) return 'timestamp';
  if (t.includes('DATE')) return 'date';
  if (t.includes('BLOB') || t.includes('BINARY')) return 'binary';
  if (t.includes('JSON')) return 'json';
  return 'text';
}

export async function introspectSqlite(
  adapter: Adapter,
  table: string,
): Promise<{ columns: ColumnShape[]; primaryKey: string[] } | null> {
  const rows = await adapter.query(adapter.db, `SELECT * FROM pragma_table_xinfo(?)`, [table]);
  if (rows.length === 0) return null;
  const visible = rows.filter((r) => Number(r.hidden) === 0);
  const primaryKey = visible
    .filter((r) => Number(r.pk) > 0)
    .sort((a, b) => Number(a.pk) - Number(b.pk))
    .map((r) => String(r.name));
  const columns = visible.map((r): ColumnShape => {
    const declared = String(r.type ?? '');
    const kind = kindOf(declared);
    const column: ColumnShape = {
      name: String(r.name),
      kind,
      dbType: declared || '(none)',
      nullable: Number(r.notnull) === 0,
      // An INTEGER PRIMARY KEY is the rowid: SQLite hands out its values.
      autoIncrement: primaryKey.length === 1 && Number(r.pk) === 1 && declared.toUpperCase() === 'INTEGER',
    };
    if (kind === 'timestamp') column.precision = 6;
    if (kind === 'decimal') {
      const scale = /\(\s*\d+\s*,\s*(\d+)\s*\)/.exec(declared)?.[1];
      if (scale !== undefined) column.scale = Number(scale);
    }
    return column;
  });
  return { columns, primaryKey };
}
