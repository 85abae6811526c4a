import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Adapter } from '../adapters/index.js';
import { sqlTimestamp } from '../core/timestamp.js';
import type { Change, JsonValue } from '../core/types.js';

/**
 * The server's record of pushed batches (`nsync_batches`): a batch id seen before returns
 * its first result and applies nothing (DESIGN §1, idempotence), and the same id with other
 * content is refused. The record commits in the batch's own transaction.
 */
export interface LedgerEntry {
  digest: string;
  result: JsonValue;
}

/**
 * What identifies a batch's content: its table and changes. Decoded changes always list
 * their fields and a row's columns in the same order (the table's), so plain JSON is stable.
 */
export function batchDigest(table: string, changes: Change[]): string {
  const hash = createHash('sha256').update(table).update('\n');
  for (const change of changes) hash.update(JSON.stringify(change)).update('\n');
  return hash.digest('hex');
}

export async function findBatch(
  adapter: Adapter,
  origin: string,
  batchId: string,
): Promise<LedgerEntry | null> {
  const [row] = await adapter.query(
    adapter.db,
    `SELECT digest, result FROM nsync_batches WHERE origin = ? AND batch_id = ?`,
    [origin, batchId],
  );
  return row ? { digest: String(row.digest), result: JSON.parse(String(row.result)) as JsonValue } : null;
}

export async function recordBatch(
  trx: Knex.Transaction,
  entry: { origin: string; batchId: string; table: string; digest: string; result: JsonValue; at: string },
): Promise<void> {
  await trx('nsync_batches').insert({
    origin: entry.origin,
    batch_id: entry.batchId,
    table_name: entry.table,
    digest: entry.digest,
    result: JSON.stringify(entry.result),
    applied_at: sqlTimestamp(entry.at),
  });
}

/** Drops ledger entries older than the retention period: a retry comes within minutes, not days. */
export async function purgeBatches(adapter: Adapter, retentionDays: number): Promise<void> {
  const cutoff = sqlTimestamp(new Date(Date.now() - retentionDays * 86_400_000).toISOString());
  await adapter.query(adapter.db, `DELETE FROM nsync_batches WHERE applied_at < ?`, [cutoff]);
}
