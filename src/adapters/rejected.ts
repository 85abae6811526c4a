/**
 * A database refusing a value (too long, out of range, NULL where not allowed…) is bad input,
 * not a server fault: these turn the driver's error into a message that names the column
 * when the database says which, and never carries SQL text. One table covers the three
 * drivers: PostgreSQL reports SQLSTATEs, mysql2 and better-sqlite3 symbolic codes.
 */
const REFUSALS: Readonly<Record<string, string>> = {
  '22001': 'is too long for its column',
  ER_DATA_TOO_LONG: 'is too long for its column',
  '22003': 'is out of range for its column',
  ER_WARN_DATA_OUT_OF_RANGE: 'is out of range for its column',
  '22P02': 'is not valid for its column type',
  '22007': 'is not a valid date or time',
  '22008': 'is not a valid date or time',
  '22021': 'is not valid text for the database encoding',
  ER_TRUNCATED_WRONG_VALUE: 'is not valid for its column type',
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 'is not valid for its column type',
  WARN_DATA_TRUNCATED: 'is not valid for its column type',
  '23502': 'may not be NULL',
  ER_BAD_NULL_ERROR: 'may not be NULL',
  SQLITE_CONSTRAINT_NOTNULL: 'may not be NULL',
  '23503': 'is refused by a foreign key',
  ER_NO_REFERENCED_ROW_2: 'is refused by a foreign key',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'is refused by a foreign key',
  '23514': 'is refused by a check constraint',
  ER_CHECK_CONSTRAINT_VIOLATED: 'is refused by a check constraint',
  SQLITE_CONSTRAINT_CHECK: 'is refused by a check constraint',
  '23505': 'duplicates a unique value',
  ER_DUP_ENTRY: 'duplicates a unique value',
  SQLITE_CONSTRAINT_UNIQUE: 'duplicates a unique value',
};

/** `a value for column "name" is too long for its column`, or null when the error is not a refused value. */
export function rejectedValue(error: unknown, columns: readonly string[]): string | null {
  const e = error as { code?: unknown; column?: unknown; message?: unknown };
  const refusal =
    typeof e.code === 'string' && Object.hasOwn(REFUSALS, e.code) ? REFUSALS[e.code] : undefined;
  if (refusal === undefined) return null;
  const column = namedColumn(e, columns);
  return column === null ? `a value ${refusal}` : `a value for column ${JSON.stringify(column)} ${refusal}`;
}

/** The column the database names (PostgreSQL's `column`, or quoted in the message) if it is one of ours. */
function namedColumn(e: { column?: unknown; message?: unknown }, columns: readonly string[]): string | null {
  const candidates = new Set<string>();
  if (typeof e.column === 'string') candidates.add(e.column);
  const message = typeof e.message === 'string' ? e.message : '';
  for (const m of message.matchAll(/[Cc]olumn '([^']+)'|failed: [^.\s]+\.([^\s,]+)/g)) {
    const name = m[1] ?? m[2];
    if (name) candidates.add(name);
  }
  return columns.find((c) => candidates.has(c)) ?? null;
}
