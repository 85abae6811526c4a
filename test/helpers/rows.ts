import type { TestDatabase } from './databases.js';

/** Reading rows back in tests, normalised so that the three dialects compare. */

export interface Item {
  id: number;
  name: string | null;
  qty: number | null;
  price: string | null;
  note: string | null;
  updated_at: string | null;
}

/** The rows of a raw query, whatever shape the dialect's driver returns them in. */
export async function raw(db: TestDatabase, sql: string): Promise<Record<string, unknown>[]> {
  const result = await db.knex.raw(sql);
  return db.dialect === 'postgres' ? result.rows : db.dialect === 'mysql' ? result[0] : result;
}

/** A time as ISO-8601 UTC with trailing zero digits dropped (nsync's canonical form). */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(String(value));
  if (!m) throw new Error(`unexpected time ${String(value)}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]}T${m[2]}${frac ? `.${frac}` : ''}Z`;
}

/** `updated_at` selected as the text the database stores, every fraction digit kept. */
export function updatedAtText(db: TestDatabase): string {
  if (db.dialect === 'postgres') return 'updated_at::text';
  return db.dialect === 'mysql' ? 'CAST(updated_at AS CHAR)' : 'updated_at';
}

/** Every row of an items-shaped table (see ITEMS_DDL), normalised. */
export async function items(db: TestDatabase, table: string): Promise<Item[]> {
  const rows = await raw(
    db,
    `SELECT id, name, qty, price, note, ${updatedAtText(db)} AS updated_at FROM ${table} ORDER BY id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name === null ? null : String(r.name),
    qty: r.qty === null ? null : Number(r.qty),
    price: r.price === null ? null : typeof r.price === 'number' ? r.price.toFixed(2) : String(r.price),
    note: r.note === null ? null : String(r.note),
    updated_at: iso(r.updated_at),
  }));
}
