import type { InitialSyncFigures } from './otherDialects.js';
import type { PostgresFigures } from './postgres.js';
import { atLeast, atMost, format, holds, info, type Measure } from './report.js';

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
