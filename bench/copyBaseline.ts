import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { BenchDatabase } from './databases.js';

/**
 * The floor for moving a table between two PostgreSQL databases: `COPY … TO STDOUT`
 * piped into `COPY … FROM STDIN`. Returns the wall time and the rows copied.
 */
export async function copyTable(
  fromUrl: string,
  toUrl: string,
  table: string,
): Promise<{ ms: number; rows: number }> {
  const source = new pg.Client({ connectionString: fromUrl });
  const target = new pg.Client({ connectionString: toUrl });
  await source.connect();
  try {
    await target.connect();
    try {
      const started = performance.now();
      const into = target.query(copyStreams.from(`COPY ${table} FROM STDIN`));
      await pipeline(source.query(copyStreams.to(`COPY ${table} TO STDOUT`)), into);
      return { ms: performance.now() - started, rows: into.rowCount };
    } finally {
      await target.end();
    }
  } finally {
    await source.end();
  }
}

/** Starts a timed step without the previous step's dirty pages still waiting to be written. */
export async function checkpoint(...dbs: BenchDatabase[]): Promise<void> {
  for (const db of dbs) await db.knex.raw('CHECKPOINT');
}

/**
 * The baseline of a step: `table` (holding `rows` rows) copied from one database to the other
 * by a COPY pipe, timed, checked, then emptied at the target again for nsync's turn.
 */
export async function baselineCopy(
  from: BenchDatabase,
  to: BenchDatabase,
  table: string,
  rows: number,
): Promise<{ ms: number; rows: number }> {
  await checkpoint(from, to);
  const copy = await copyTable(from.url, to.url, table);
  if (copy.rows !== rows) throw new Error(`COPY moved ${copy.rows} rows, expected ${rows}`);
  await to.knex.raw(`TRUNCATE ${table}`);
  return copy;
}
