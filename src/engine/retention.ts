import type { Adapter } from '../adapters/index.js';
import { sqlTimestamp } from '../core/timestamp.js';

/**
 * Drops tombstones older than the retention period (DESIGN §2). The largest sequence
 * number dropped is remembered, so a reader whose cursor is older learns it must
 * re-snapshot instead of silently missing those deletes.
 */
export async function purgeTombstones(adapter: Adapter, retentionDays: number): Promise<number> {
  if (retentionDays <= 0) return 0;
  const now = Date.parse(await adapter.now());
  const cutoff = sqlTimestamp(new Date(now - retentionDays * 86_400_000).toISOString());
  return adapter.transaction(async (trx) => {
    const where = `op = 'delete' AND seq IS NOT NULL AND changed_at < ?`;
    const [top] = await adapter.query(
      trx,
      `SELECT max(seq) AS seq, count(*) AS n FROM nsync_changes WHERE ${where}`,
      [cutoff],
    );
    const count = Number(top?.n ?? 0);
    if (count === 0) return 0;
    await adapter.query(trx, `UPDATE nsync_meta SET value = ? WHERE name = 'purged_seq' AND value < ?`, [
      Number(top?.seq),
      Number(top?.seq),
    ]);
    await adapter.query(trx, `DELETE FROM nsync_changes WHERE ${where}`, [cutoff]);
    return count;
  });
}
