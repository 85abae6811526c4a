import type { ColumnKind, ColumnShape } from '../../core/types.js';
import type { Adapter } from '../adapter.js';

// https://mariadb.com/kb/en/information-schema-columns-table/
const COLUMNS = `
SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, IS_NULLABLE AS nullable,
       EXTRA AS extra, NUMERIC_SCALE AS scale, DATETIME_PRECISION AS dt_precision
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`;

const PRIMARY_KEY = `
SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
ORDER BY ORDINAL_POSITION`;

// MariaDB's JSON is LONGTEXT with a json_valid() check.
const JSON_CHECKS = `
SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`;

function kindOf(dataType: string, columnType: string): ColumnKind {
  if (columnType.startsWith('tinyint(1)') || columnType === 'bit(1)') return 'boolean';
  if (/^(tinyint|smallint|mediumint|int|integer|bigint)$/.test(dataType)) return 'integer';
  if (dataType === 'decimal' || dataType === 'numeric') return 'decimal';
  if (dataType === 'float' || dataType === 'double' || dataType === 'real') return 'float';
  if (dataType === 'datetime' || dataType === 'timestamp') return 'timestamp';
  if (dataType === 'date') return 'date';
  if (/^(binary|varbinary|tinyblob|blob|mediumblob|longblob)$/.test(dataType)) return 'binary';
  if (dataType === 'json') return 'json';
  return 'text';
}

export async function introspectMysql(
  adapter: Adapter,
  table: string,
): Promise<{ columns: ColumnShape[]; primaryKey: string[] } | null> {
  const rows = await adapter.query(adapter.db, COLUMNS, [table]);
  if (rows.length === 0) return null;
  const checks = (await adapter.query(adapter.db, JSON_CHECKS, [table])).map((r) => String(r.clause));
  const isJson = (name: string) => checks.some((c) => c.includes(`json_valid(\`${name}\`)`));
  const columns = rows.map((r): ColumnShape => {
    const name = String(r.name);
    const dataType = String(r.data_type).toLowerCase();
    const columnType = String(r.column_type).toLowerCase();
    const kind = isJson(name) ? 'json' : kindOf(dataType, columnType);
    const column: ColumnShape = {
      name,
      kind,
      dbType: columnType,
      nullable: r.nullable === 'YES',
      autoIncrement: String(r.extra).includes('auto_increment'),
    };
    if (kind === 'timestamp') column.precision = Number(r.dt_precision ?? 0);
    if (kind === 'decimal') column.scale = Number(r.scale ?? 0);
    return column;
  });
  const key = await adapter.query(adapter.db, PRIMARY_KEY, [table]);
  return { columns, primaryKey: key.map((r) => String(r.name)) };
}
