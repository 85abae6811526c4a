/**
 * `npm run bench`: nsync against the performance targets, as ratios to a baseline
 * measured in the same run. Needs PostgreSQL (127.0.0.1:5432, postgres, trust) and MariaDB
 * (127.0.0.1:3306, root, no password); every database it creates is dropped at the end.
 *
 *   BENCH_ROWS          PostgreSQL rows (default 1,000,000)
 *   BENCH_ROWS_SMALL    PostgreSQL rows of the second run, for memory flatness (default 100,000)
 *   BENCH_ROWS_OTHER    MariaDB and SQLite rows (default 200,000)
 *   BENCH_TOUCHED       rows updated before the incremental sync (default 10,000)
 *   BENCH_DIALECTS      which of postgres,mysql,sqlite to run (default all)
 *   BENCH_BATCH         batchSize written to the config (default: nsync's own)
 *   BENCH_CPU_PROF      a folder: each PostgreSQL nsync run (and serve process) writes a V8 CPU profile there
 *   BENCH_SERVE         0: skip the `nsync serve` benchmarks (PostgreSQL, BENCH_ROWS rows)
 *   BENCH_SERVE_GZIP    1: gzip the request bodies of the serve push pipe (default: plain JSON)
 *   BENCH_MULTI         0: skip the `nsync multi` benchmarks (PostgreSQL store ⇄ `nsync serve` hq)
 *   BENCH_MULTI_ROUNDS  rounds of BENCH_TOUCHED changes timed in each table of the multi bench (default 3)
 */
import { availableParallelism, loadavg } from 'node:os';
import type { Dialect } from '../src/core/types.js';
import { dropAll } from './databases.js';
import {
  flatnessMeasure,
  initialSyncMeasures,
  multiMeasures,
  postgresMeasures,
  serveMeasures,
} from './measures.js';
import { runMulti } from './multi.js';
import { runInitialSync } from './otherDialects.js';
import { runPostgres, type PostgresFigures } from './postgres.js';
import { info, progress, renderTable, type Measure } from './report.js';
import { runServe } from './serve.js';

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return n;
}

const settings = {
  rows: count('BENCH_ROWS', 1_000_000),
  smallRows: count('BENCH_ROWS_SMALL', 100_000),
  otherRows: count('BENCH_ROWS_OTHER', 200_000),
  touched: count('BENCH_TOUCHED', 10_000),
  batchSize: process.env.BENCH_BATCH ? count('BENCH_BATCH', 5000) : undefined,
  dialects: (process.env.BENCH_DIALECTS ?? 'postgres,mysql,sqlite')
    .split(',')
    .map((d) => d.trim() as Dialect),
  profileDir: process.env.BENCH_CPU_PROF || undefined,
  serve: process.env.BENCH_SERVE !== '0',
  serveGzip: process.env.BENCH_SERVE_GZIP === '1',
  multi: process.env.BENCH_MULTI !== '0',
  multiRounds: count('BENCH_MULTI_ROUNDS', 3),
};

/** Other work on the host skews every figure; the table says how busy it was. */
const load = (): string => `${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cpus`;

async function main(): Promise<void> {
  const measures: Measure[] = [];
  const loadAtStart = load();
  let failure: unknown;
  try {
    if (settings.dialects.includes('postgres')) {
      const sizes = [...new Set([settings.smallRows, settings.rows])].sort((a, b) => a - b);
      const runs: PostgresFigures[] = [];
      for (const rows of sizes) {
        const figures = await runPostgres({ ...settings, rows });
        runs.push(figures);
        measures.push(...postgresMeasures(figures));
      }
      const [small, large] = [runs[0], runs.at(-1)];
      if (small && large && small !== large) measures.push(flatnessMeasure(small, large));
      if (settings.serve) {
        const figures = await runServe({
          rows: settings.rows,
          ...(settings.batchSize ? { batchSize: settings.batchSize } : {}),
          clients: 50,
          clientBatches: 20,
          clientRows: 200,
          gzipPush: settings.serveGzip,
          ...(settings.profileDir ? { profileDir: settings.profileDir } : {}),
        });
        measures.push(...serveMeasures(figures));
      }
      if (settings.multi) {
        const figures = await runMulti({
          rows: settings.rows,
          smallRows: settings.smallRows,
          touched: settings.touched,
          rounds: settings.multiRounds,
          noopTables: 20,
          noopRows: 1000,
          ...(settings.batchSize ? { batchSize: settings.batchSize } : {}),
          ...(settings.profileDir ? { profileDir: settings.profileDir } : {}),
        });
        measures.push(...multiMeasures(figures));
      }
    }
    for (const dialect of ['mysql', 'sqlite'] as const) {
      if (!settings.dialects.includes(dialect)) continue;
      measures.push(
        ...initialSyncMeasures(await runInitialSync(dialect, settings.otherRows, settings.batchSize)),
      );
    }
  } catch (error) {
    failure = error;
  }
  measures.unshift(info('host load average (1 min), start → end', `${loadAtStart} → ${load()}`));
  if (settings.batchSize) measures.unshift(info('config batchSize', String(settings.batchSize)));
  if (measures.length > 0) process.stdout.write(renderTable(measures));
  if (failure) {
    process.stderr.write(
      `bench failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`,
    );
    process.exitCode = 1;
  } else if (measures.some((m) => m.verdict === 'FAIL')) {
    progress('some targets were missed (FAIL above)');
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: dropping the benchmark databases`);
    void dropAll().finally(() => process.exit(130));
  });
}

await main();
