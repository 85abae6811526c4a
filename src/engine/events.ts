import type { ApplyCounts } from '../core/types.js';

/** The outcome of one table in one direction of one exchange. */
export interface TableResult {
  table: string;
  /** Human-readable direction, e.g. `master → slave`. */
  direction: string;
  /** The remote environment, for an exchange with one. */
  remote?: string;
  ok: boolean;
  /** Rows and tombstones read from the source. */
  read: number;
  counts: ApplyCounts;
  durationMs: number;
  /** Why it failed, naming the cause (only when !ok). */
  error?: string;
}

export interface RunResult {
  ok: boolean;
  dryRun: boolean;
  tables: TableResult[];
  durationMs: number;
}

/** Everything an exchange tells the outside world; rendered by src/cli/render, or ignored. */
export type RunEvent =
  | { type: 'table-start'; table: string; direction: string }
  | { type: 'batch'; table: string; direction: string; read: number; counts: ApplyCounts }
  | { type: 'table-end'; result: TableResult }
  | { type: 'run-end'; result: RunResult }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string };

export interface Reporter {
  event(event: RunEvent): void;
}

export const silentReporter: Reporter = { event: () => undefined };

/** The result of a whole run from its tables' results, reported as `run-end`. */
export function endRun(
  results: TableResult[],
  dryRun: boolean,
  started: number,
  reporter: Reporter,
): RunResult {
  const result: RunResult = {
    ok: results.every((r) => r.ok),
    dryRun,
    tables: results,
    durationMs: Date.now() - started,
  };
  reporter.event({ type: 'run-end', result });
  return result;
}
