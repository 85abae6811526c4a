import type { MultiFigures, MultiRun } from './multi.js';
import type { InitialSyncFigures } from './otherDialects.js';
import type { PostgresFigures } from './postgres.js';
import { atLeast, atMost, exactly, format, holds, info, type Measure } from './report.js';
import type { ServeFigures } from './serve.js';

/** The targets. */
export const TARGETS = {
  /** (b) / (a): nsync's initial sync against the COPY pipe; the goal is 2×. */
  copyRatio: 3,
  copyRatioGoal: 2,
  idleMs: 500,
  updateMs: 1000,
  rssMb: 250,
  /** Peak RSS at the large size over the small one: "flat". */
  rssGrowth: 1.2,
  rowsPerSecond: 150_000,
  /** `nsync serve`: /v1/pull of the whole table on loopback, and the server's peak RSS. */
  pullRowsPerSecond: 200_000,
  serveRssMb: 300,
  /** The whole move over HTTP (pull A → push B) against COPY A → B. */
  pushCopyRatio: 2,
  /** `nsync multi` with a remote `nsync serve`: a first push or pull of the table against COPY. */
  multiCopyRatio: 3,
  multiCopyRatioGoal: 2,
  /** 10k changed rows exchanged, the whole command; and the big table's time over the small one's. */
  multiChangesMs: 1000,
  multiChangesGrowth: 1.3,
  /** Nothing changed in 20 tables, bidirectional, the whole command. */
  multiNoopMs: 1000,
  /** Peak RSS of the `nsync multi` client and of the `nsync serve` server. */
  multiRssMb: 250,
};

const short = (rows: number): string =>
  rows >= 1_000_000 && rows % 1_000_000 === 0
    ? `${rows / 1_000_000}M`
    : rows >= 1000 && rows % 1000 === 0
      ? `${rows / 1000}k`
      : String(rows);

const cpuShare = (cpuMs: number, wallMs: number): string =>
  `${format(cpuMs, 's')} (${Math.round((100 * cpuMs) / wallMs)}% of wall)`;

export function postgresMeasures(f: PostgresFigures): Measure[] {
  const at = `pg ${short(f.rows)}`;
  const engineMs = f.initial.result?.durationMs ?? NaN;
  const measures = [
    info(`${at} heap bytes/row`, f.bytesPerRow === null ? 'n/a' : format(f.bytesPerRow, 'B')),
    info(`${at} (a) COPY → COPY baseline`, format(f.copyMs, 's')),
    info(`${at} nsync install`, format(f.install.wallMs, 's')),
    info(`${at} (b) initial sync, whole command`, format(f.initial.wallMs, 's')),
    info(`${at} (b) initial sync, engine (run-end)`, format(engineMs, 's')),
    info(`${at} (b) nsync process CPU`, cpuShare(f.initial.cpuMs, f.initial.wallMs)),
    info(`${at} (b) rows/s, whole command`, format((f.rows * 1000) / f.initial.wallMs, 'rows/s')),
    atMost(
      `${at} (b)/(a) initial sync vs COPY`,
      f.initial.wallMs / f.copyMs,
      TARGETS.copyRatio,
      '×',
      `≤ ${TARGETS.copyRatio}× (goal ${TARGETS.copyRatioGoal}×)`,
    ),
    atMost(`${at} (b) peak RSS`, f.initial.maxRssMb, TARGETS.rssMb, 'MB'),
    holds(`${at} (b) slave = master`, f.initialSame),
    atMost(`${at} (c) sync, nothing changed`, f.idle.wallMs, TARGETS.idleMs, 's'),
    atMost(`${at} (d) sync after ${short(f.touched)} updates`, f.update.wallMs, TARGETS.updateMs, 's'),
    info(`${at} (d) rows updated on slave`, String(f.update.result?.tables[0]?.counts.updated ?? 'n/a')),
    holds(`${at} (d) slave = master`, f.updateSame),
  ];
  return measures;
}

/** Peak RSS of the initial sync at the small and the large size: it should not grow with N. */
export function flatnessMeasure(small: PostgresFigures, large: PostgresFigures): Measure {
  return atMost(
    `pg peak RSS ${short(large.rows)} / ${short(small.rows)}`,
    large.initial.maxRssMb / small.initial.maxRssMb,
    TARGETS.rssGrowth,
    '×',
    `flat (≤ ${TARGETS.rssGrowth}×)`,
  );
}

export function initialSyncMeasures(f: InitialSyncFigures): Measure[] {
  const at = `${f.dialect === 'mysql' ? 'mariadb' : f.dialect} ${short(f.rows)}`;
  const engineMs = f.initial.result?.durationMs ?? NaN;
  return [
    info(`${at} initial sync, whole command`, format(f.initial.wallMs, 's')),
    atLeast(
      `${at} initial sync rows/s, whole command`,
      (f.rows * 1000) / f.initial.wallMs,
      TARGETS.rowsPerSecond,
      'rows/s',
    ),
    info(`${at} initial sync rows/s, engine (run-end)`, format((f.rows * 1000) / engineMs, 'rows/s')),
    info(`${at} nsync process CPU`, cpuShare(f.initial.cpuMs, f.initial.wallMs)),
    info(`${at} peak RSS`, format(f.initial.maxRssMb, 'MB')),
    holds(`${at} slave = master`, f.same),
  ];
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function serveMeasures(f: ServeFigures): Measure[] {
  const at = `serve ${short(f.rows)}`;
  const { pull, pipe, burst } = f;
  const batches = `${burst.clients}×${burst.clientBatches}×${burst.clientRows}`;
  return [
    info(`${at} (1) /v1/pull, ${pull.pages} pages of ≤ ${f.limit}`, format(pull.ms, 's')),
    atLeast(
      `${at} (1) /v1/pull rows/s (gunzip + JSON.parse)`,
      (pull.rows * 1000) / pull.ms,
      TARGETS.pullRowsPerSecond,
      'rows/s',
    ),
    holds(`${at} (1) pulled ${short(f.rows)} rows`, pull.rows === f.rows),
    info(`${at} (1) wire gzip / JSON`, `${mb(pull.wireBytes)} / ${mb(pull.jsonBytes)}`),
    info(
      `${at} (1) CPU server / client`,
      `${cpuShare(pull.server.cpuMs, pull.ms)} / ${cpuShare(pull.clientCpuMs, pull.ms)}`,
    ),
    atMost(`${at} (1) server A peak RSS (VmHWM)`, pull.server.peakRssMb, TARGETS.serveRssMb, 'MB'),
    info(`${at} (2) COPY A → COPY B baseline`, format(f.copyMs, 's')),
    info(`${at} (2) pull A → push B, whole pipe`, format(pipe.ms, 's')),
    info(`${at} (2) of which waiting on /v1/push${f.gzipPush ? ' (gzip)' : ''}`, format(pipe.pushMs, 's')),
    atMost(`${at} (2) pull A → push B pipe / COPY`, pipe.ms / f.copyMs, TARGETS.pushCopyRatio, '×'),
    info(`${at} (2) rows/s, whole pipe`, format((pipe.rows * 1000) / pipe.ms, 'rows/s')),
    info(
      `${at} (2) CPU server A / server B / client`,
      [pipe.source.cpuMs, pipe.target.cpuMs, pipe.clientCpuMs].map((ms) => cpuShare(ms, pipe.ms)).join(' / '),
    ),
    holds(`${at} (2) every batch applied as fresh`, pipe.allFresh),
    exactly(`${at} (2) rows in B`, pipe.targetRows, f.rows, 'rows'),
    holds(`${at} (2) B = A`, pipe.same),
    info(`${at} (2) server B peak RSS (VmHWM)`, format(pipe.target.peakRssMb, 'MB')),
    info(`${at} (3) ${batches} concurrent pushes, wall`, format(burst.ms, 's')),
    exactly(`${at} (3) failed requests`, burst.errors, 0, `of ${burst.requests}`),
    exactly(`${at} (3) deadlocks (pg_stat_database)`, burst.deadlocks, 0, ''),
    exactly(
      `${at} (3) rows in table`,
      burst.tableRows,
      burst.clients * burst.clientBatches * burst.clientRows,
      'rows',
    ),
    info(
      `${at} (3) latency p50 / p99 / max`,
      [burst.latencyMs.p50, burst.latencyMs.p99, burst.latencyMs.max]
        .map((ms) => format(ms, 'ms'))
        .join(' / '),
    ),
    info(`${at} (3) rows/s`, format((burst.tableRows * 1000) / burst.ms, 'rows/s')),
    info(`${at} (3) server B CPU`, cpuShare(burst.server.cpuMs, burst.ms)),
    info(`${at} (3) server B peak RSS (VmHWM)`, format(burst.server.peakRssMb, 'MB')),
  ];
}

const applied = (m: MultiRun, what: 'inserted' | 'updated' | 'deleted' | 'moved'): number =>
  m.tables.reduce(
    (sum, t) =>
      sum + (what === 'moved' ? t.counts.inserted + t.counts.updated + t.counts.deleted : t.counts[what]),
    0,
  );

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

export function multiMeasures(f: MultiFigures): Measure[] {
  const at = `multi ${short(f.rows)}`;
  const ratio = `≤ ${TARGETS.multiCopyRatio}× (goal ${TARGETS.multiCopyRatioGoal}×)`;
  const rss = TARGETS.multiRssMb;
  const initial = (step: string, what: string, copyMs: number, m: MultiRun, same: boolean, arrow: string) => [
    info(`${at} ${step} COPY ${arrow} baseline`, format(copyMs, 's')),
    info(`${at} ${step} ${what}, whole command`, format(m.run.wallMs, 's')),
    info(`${at} ${step} ${what}, engine (run-end)`, format(m.run.result?.durationMs ?? NaN, 's')),
    info(
      `${at} ${step} CPU client / server`,
      `${cpuShare(m.run.cpuMs, m.run.wallMs)} / ${cpuShare(m.server.cpuMs, m.run.wallMs)}`,
    ),
    atMost(`${at} ${step} ${what} / COPY`, m.run.wallMs / copyMs, TARGETS.multiCopyRatio, '×', ratio),
    atMost(`${at} ${step} client peak RSS`, m.run.maxRssMb, rss, 'MB'),
    atMost(`${at} ${step} server peak RSS so far (VmHWM)`, m.server.peakRssMb, rss, 'MB'),
    exactly(`${at} ${step} rows inserted`, applied(m, 'inserted'), f.rows, 'rows'),
    holds(`${at} ${step} ${arrow.replace('→', '=')}`, same),
  ];
  const { rounds } = f.changes;
  const large = rounds.map((r) => r.large.run.wallMs);
  const small = rounds.map((r) => r.small.run.wallMs);
  const all = (ms: number[]) => ms.map((v) => format(v, 's')).join(' / ');
  const runs = rounds.flatMap((r) => [r.large, r.small]);
  const changed = `${short(f.touched)} changes`;
  const big = `items ${short(f.rows)}`;
  const little = `items_small ${short(f.smallRows)}`;
  const of = rounds.length > 1 ? `, median of ${rounds.length}` : '';
  const noop = f.noop;
  const noopTables = `${noop.tables} tables × ${short(noop.rowsPerTable)}`;
  return [
    ...initial('(1)', 'push', f.push.copyMs, f.push.multi, f.push.same, 'store → hq'),
    ...initial('(2)', 'pull', f.pull.copyMs, f.pull.multi, f.pull.same, 'hq → store-3'),
    info(`${at} (2b) COPY hq → store-2 baseline, rows (1) pushed`, format(f.relay.copyMs, 's')),
    info(`${at} (2b) pull of them, hq's log unnumbered`, format(f.relay.multi.run.wallMs, 's')),
    info(`${at} (2b) pull / COPY (no target)`, format(f.relay.multi.run.wallMs / f.relay.copyMs, '×')),
    info(
      `${at} (2b) CPU client / server`,
      `${cpuShare(f.relay.multi.run.cpuMs, f.relay.multi.run.wallMs)} / ${cpuShare(f.relay.multi.server.cpuMs, f.relay.multi.run.wallMs)}`,
    ),
    info(`${at} (2b) client peak RSS`, format(f.relay.multi.run.maxRssMb, 'MB')),
    exactly(`${at} (2b) rows inserted`, applied(f.relay.multi, 'inserted'), f.rows, 'rows'),
    holds(`${at} (2b) hq = store-2`, f.relay.same),
    info(`${at} (3) first push of ${little}`, format(f.smallInitial.run.wallMs, 's')),
    atMost(`${at} (3) push ${changed} in ${big}${of}`, median(large), TARGETS.multiChangesMs, 's'),
    info(`${at} (3) push ${changed} in ${little}${of}`, format(median(small), 's')),
    info(`${at} (3) each round, ${big}`, all(large)),
    info(`${at} (3) each round, ${little}`, all(small)),
    info(
      `${at} (3) engine (run-end), ${big} / ${little}${of}`,
      `${format(median(rounds.map((r) => r.large.run.result?.durationMs ?? NaN)), 's')} / ${format(median(rounds.map((r) => r.small.run.result?.durationMs ?? NaN)), 's')}`,
    ),
    atMost(
      `${at} (3) ${big} / ${little}, same changes`,
      median(large) / median(small),
      TARGETS.multiChangesGrowth,
      '×',
    ),
    exactly(
      `${at} (3) rows updated at hq, fewest in a run`,
      Math.min(...runs.map((m) => applied(m, 'updated'))),
      f.touched,
      'rows',
    ),
    exactly(
      `${at} (3) rows moved, most in a run`,
      Math.max(...runs.map((m) => applied(m, 'moved'))),
      f.touched,
      'rows',
    ),
    info(`${at} (3) client peak RSS, largest`, format(Math.max(...runs.map((m) => m.run.maxRssMb)), 'MB')),
    holds(`${at} (3) hq = store, both tables`, f.changes.same),
    info(`${at} (4) first bidirectional run, ${noopTables}`, format(noop.initial.run.wallMs, 's')),
    ...(
      [
        ['right after it', noop.idle],
        ['once more', noop.idleAgain],
      ] as const
    ).flatMap(([when, m]) => [
      atMost(`${at} (4) nothing changed, ${noopTables}, ${when}`, m.run.wallMs, TARGETS.multiNoopMs, 's'),
      info(`${at} (4) ${when}: engine (run-end)`, format(m.run.result?.durationMs ?? NaN, 's')),
      info(
        `${at} (4) ${when}: CPU client / server`,
        `${cpuShare(m.run.cpuMs, m.run.wallMs)} / ${cpuShare(m.server.cpuMs, m.run.wallMs)}`,
      ),
      info(
        `${at} (4) ${when}: rows read (own echoes, skipped)`,
        String(m.tables.reduce((s, t) => s + t.read, 0)),
      ),
      info(
        `${at} (4) ${when}: one table exchange, median / slowest`,
        `${format(median(m.tables.map((t) => t.durationMs)), 'ms')} / ${format(Math.max(...m.tables.map((t) => t.durationMs)), 'ms')}`,
      ),
      exactly(`${at} (4) ${when}: rows applied`, applied(m, 'moved'), 0, 'rows'),
      exactly(
        `${at} (4) ${when}: table exchanges ok`,
        m.tables.filter((t) => t.ok).length,
        noop.tables * 2,
        '',
      ),
    ]),
    holds(`${at} (4) hq = store, every table`, noop.same),
    atMost(`${at} server peak RSS, whole bench (VmHWM)`, f.serverPeakRssMb, rss, 'MB'),
    exactly(`${at} server errors logged`, f.serverErrors.length, 0, ''),
  ];
}
