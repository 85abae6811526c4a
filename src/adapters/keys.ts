import { toCanonical } from '../core/canonical.js';
import type { CanonicalValue, TableShape } from '../core/types.js';

/**
 * The capture triggers write a key as a JSON array of the key values cast to text;
 * each database prints that array with its own separator. These rebuild the same text
 * from canonical values, and read it back.
 */
export function keyTextWith(separator: string, key: CanonicalValue[]): string {
  return `[${key.map((v) => JSON.stringify(v === null ? null : String(v))).join(separator)}]`;
}

export function parseKeyTextFor(shape: TableShape, text: string): CanonicalValue[] {
  const parts = JSON.parse(text) as (string | null)[];
  return shape.primaryKey.map((name, i) => {
    const column = shape.columns.find((c) => c.name === name);
    if (!column) throw new Error(`key column ${name} missing from ${shape.name}`);
    return toCanonical(column, parts[i] ?? null);
  });
}
