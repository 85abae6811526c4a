import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';

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
