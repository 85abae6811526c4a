import { sqlTimestamp } from '../core/timestamp.js';
import type { CanonicalValue, ColumnShape } from '../core/types.js';

/**
 * A canonical value as MySQL and SQLite take it as a bound parameter: booleans as 1/0, times
 * as `YYYY-MM-DD HH:MM:SS[.ffffff]` cut to the column's precision (no rounding by the
 * database), binary as bytes, JSON as its text.
 */
export function boundValue(column: ColumnShape, value: CanonicalValue): unknown {
  if (value === null) return null;
  switch (column.kind) {
    case 'boolean':
      return value ? 1 : 0;
    case 'timestamp':
      return sqlTimestamp(String(value), column.precision ?? 6);
    case 'binary':
      return Buffer.from(String(value), 'base64');
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}
