import { createHash } from 'node:crypto';
import { canonicalTimestamp, realDate } from './timestamp.js';
import type { CanonicalRow, CanonicalValue, ColumnShape, JsonValue } from './types.js';

/**
 * Turns a value as a driver returned it into its canonical encoding (DESIGN §5).
 * Adapters first bring driver quirks to these plain inputs: numbers, bigints or digit
 * strings for integers; strings for decimals; strings or Dates for times; Buffers for binary.
 */
export function toCanonical(column: ColumnShape, value: unknown): CanonicalValue {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'integer':
      return canonicalInteger(value);
    case 'decimal':
      return canonicalDecimal(value, column.scale);
    case 'float':
      return canonicalFloat(value);
    case 'boolean':
      return canonicalBoolean(value);
    case 'text':
      return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    case 'timestamp':
      return canonicalTimestamp(value as string | Date, column.precision ?? 6);
    case 'date':
      return canonicalDate(value);
    case 'binary':
      return Buffer.isBuffer(value) || value instanceof Uint8Array
        ? Buffer.from(value).toString('base64')
        : Buffer.from(String(value), 'utf8').toString('base64');
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as JsonValue) : (value as JsonValue);
  }
}

const SHORT_INTEGER = /^-?\d{1,15}$/;
const INTEGER = /^\s*-?\d+\s*$/;

function canonicalInteger(value: unknown): number | string {
  // Most integers arrive as short digit strings (PostgreSQL int8) or numbers: no BigInt needed.
  if (typeof value === 'string' && SHORT_INTEGER.test(value)) return Number(value);
  if (typeof value === 'number' && !Number.isInteger(value)) throw new Error(`not an integer: ${value}`);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value !== 'bigint' && typeof value !== 'number' && !INTEGER.test(String(value))) {
    throw new Error(`not an integer: ${JSON.stringify(value)}`);
  }
  // An unsafe number (e.g. a PHP client's BIGINT as a JSON number) is still a string (DESIGN §5).
  const big =
    typeof value === 'bigint' || typeof value === 'number' ? BigInt(value) : BigInt(String(value).trim());
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/** Decimals are strings; with a declared scale, always exactly that many digits after the point. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function canonicalDecimal(value: unknown, scale?: number): string {
  const text = typeof value === 'number' ? numberToPlainString(value) : String(value).trim();
  const valid = DECIMAL.test(text);
  // Already exactly at the column's scale (what PostgreSQL and MySQL return): as it is.
  if (
    valid &&
    scale !== undefined &&
    scale > 0 &&
    text.length - text.indexOf('.') - 1 === scale &&
    text.includes('.')
  ) {
    return text;
  }
  if (!valid) {
    if (/^-?(Infinity|NaN)$/i.test(text)) return text;
    throw new Error(`not a decimal: ${JSON.stringify(value)}`);
  }
  if (scale === undefined) return text;
  const [intPart = '0', frac = ''] = text.split('.');
  if (scale === 0) return intPart;
  return `${intPart}.${frac.padEnd(scale, '0').slice(0, Math.max(scale, frac.replace(/0+$/, '').length))}`;
}

function numberToPlainString(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

function canonicalFloat(value: unknown): number | string {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : String(n);
}

function canonicalBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (Buffer.isBuffer(value)) return value.some((b) => b !== 0);
  const s = String(value).toLowerCase();
  if (['1', 't', 'true', 'y', 'yes', 'on'].includes(s)) return true;
  if (['0', 'f', 'false', 'n', 'no', 'off', ''].includes(s)) return false;
  throw new Error(`not a boolean: ${JSON.stringify(value)}`);
}

/** `YYYY-MM-DD`, or a date and time as some databases print a date (the time is dropped). */
const DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function canonicalDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  const m = DATE.exec(String(value).trim());
  if (!m?.[1] || !realDate(m[1])) throw new Error(`not a date: ${JSON.stringify(value)}`);
  return m[1];
}

/** JSON with object keys sorted at every depth: the bytes hashes are taken over. */
export function stableStringify(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] as JsonValue)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical encoding of a row: equal on every dialect for the same logical row. */
export function rowHash(row: CanonicalRow): string {
  return createHash('sha256').update(stableStringify(row)).digest('hex');
}

/** A stable text for a key, used to match incoming changes with local rows. */
export function keyId(key: CanonicalValue[]): string {
  return stableStringify(key);
}
