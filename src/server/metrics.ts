import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ApplyCounts } from '../index.js';

/** `GET /metrics`, in Prometheus text format. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'nsync_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly rowsApplied = new Counter({
    name: 'nsync_rows_applied_total',
    help: 'Incoming rows and deletes by table and outcome (inserted, updated, deleted, skipped_older, unchanged).',
    labelNames: ['table', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rowsServed = new Counter({
    name: 'nsync_rows_served_total',
    help: 'Rows and deletes sent to peers, by table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly conflicts = new Counter({
    name: 'nsync_conflicts_total',
    help: 'Conflicts recorded for manual resolution, by table.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'nsync_batch_duration_seconds',
    help: 'Time to serve one pull page or apply one pushed batch.',
    labelNames: ['table', 'operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nsync_' });
  }

  applied(table: string, counts: ApplyCounts): void {
    const outcomes = {
      inserted: counts.inserted,
      updated: counts.updated,
      deleted: counts.deleted,
      skipped_older: counts.skippedOlder,
      unchanged: counts.unchanged,
    };
    for (const [outcome, n] of Object.entries(outcomes))
      if (n > 0) this.rowsApplied.inc({ table, outcome }, n);
    if (counts.conflicts > 0) this.conflicts.inc({ table }, counts.conflicts);
  }
}
