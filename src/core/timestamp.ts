/**
 * Timestamps travel as ISO-8601 UTC with only the fractional digits that carry
 * information (`2025-01-01T10:00:00Z`, `2025-01-01T10:00:00.25Z`), so the same instant
 * encodes the same way whatever precision each database declares. Comparisons happen
 * at the coarser precision of the two sides (DESIGN §4).
 */

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses a database or wire timestamp (no zone means UTC) into canonical form, keeping `digits` fractional digits. */
export function canonicalTimestamp(value: string | Date, digits = 6): string {
  if (typeof value !== 'string' && !(value instanceof Date)) {
    throw new Error(`not a timestamp: ${JSON.stringify(value)}`);
  }
  if (typeof value === 'string') {
    const fast = plainTimestamp(value, digits);
    if (fast !== null) return fast;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('invalid date');
    return canonicalTimestamp(value.toISOString(), digits);
  }
  const m = PATTERN.exec(value.trim());
  if (!m || !realTime(value.trim())) throw new Error(`not a timestamp: ${JSON.stringify(value)}`);
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let fraction = frac.padEnd(6, '0').slice(0, 6);
  let base = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digitsOnly = zone.slice(1).replace(':', '');
    const offsetMinutes =
      sign * (Number(digitsOnly.slice(0, 2)) * 60 + Number(digitsOnly.slice(2, 4) || '0'));
    const shifted = new Date(Date.parse(`${base}Z`) - offsetMinutes * 60_000);
    base = shifted.toISOString().slice(0, 19);
  }
  fraction = fraction.slice(0, Math.max(0, Math.min(6, digits))).replace(/0+$/, '');
  return fraction ? `${base}.${fraction}Z` : `${base}Z`;
}

const PLAIN_BASE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}$/;
const DIGITS = /^\d{1,9}$/;

/** The common case without a zone offset (`2025-01-01 10:00:00.123`, or canonical with Z), without the full parse. */
function plainTimestamp(value: string, digits: number): string | null {
  const end = value.endsWith('Z') ? value.length - 1 : value.length;
  if (end < 19 || !PLAIN_BASE.test(value.slice(0, 19))) return null;
  if (!realTime(value)) throw new Error(`not a timestamp: ${JSON.stringify(value)}`);
  let fraction = '';
  if (end > 19) {
    if (value[19] !== '.') return null;
    fraction = value.slice(20, end);
    if (!DIGITS.test(fraction)) return null;
  }
  fraction = fraction.slice(0, Math.max(0, Math.min(6, digits))).replace(/0+$/, '');
  const base = `${value.slice(0, 10)}T${value.slice(11, 19)}`;
  return fraction ? `${base}.${fraction}Z` : `${base}Z`;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two digits at `at` as a number (the caller has checked they are digits). */
const two = (value: string, at: number): number =>
  (value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48;

/** Whether `YYYY-MM-DD…` names a real day (no 30 February). */
export function realDate(value: string): boolean {
  const month = two(value, 5);
  const day = two(value, 8);
  if (month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return false;
  if (month !== 2 || day !== 29) return true;
  const year = two(value, 0) * 100 + two(value, 2);
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Whether `YYYY-MM-DD?HH:MM:SS…` names a real instant (no 30 February, no 25:61). */
function realTime(value: string): boolean {
  return realDate(value) && two(value, 11) < 24 && two(value, 14) < 60 && two(value, 17) < 60;
}

/** A fixed-width sortable form of a canonical timestamp, cut to `digits` fractional digits. */
export function timestampSortKey(canonical: string, digits: number): string {
  const dot = canonical.indexOf('.');
  const base = canonical.slice(0, 19);
  const frac = dot === -1 ? '' : canonical.slice(dot + 1, canonical.length - 1);
  return `${base}.${frac.padEnd(6, '0').slice(0, Math.max(0, digits)).padEnd(6, '0')}`;
}

/**
 * Compares two canonical timestamps at `digits` fractional digits.
 * `null` (a row without a timestamp) is older than any time.
 */
export function compareTimestamps(a: string | null, b: string | null, digits: number): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const ka = timestampSortKey(a, digits);
  const kb = timestampSortKey(b, digits);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` — the literal MySQL, MariaDB and SQLite accept. */
export function sqlTimestamp(canonical: string, digits = 6): string {
  const dot = canonical.indexOf('.');
  const base = canonical.slice(0, 19).replace('T', ' ');
  const frac = dot === -1 ? '' : canonical.slice(dot + 1, canonical.length - 1).slice(0, digits);
  return frac ? `${base}.${frac}` : base;
}
