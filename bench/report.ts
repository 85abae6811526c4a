/** One line of the results table. */
export interface Measure {
  name: string;
  value: string;
  target: string;
  /** value / target (≤ 1 is good for upper bounds, ≥ 1 for lower bounds). */
  ratio: string;
  verdict: '' | 'pass' | 'FAIL';
}

export type Unit = 's' | 'ms' | 'MB' | '×' | 'rows/s' | 'B';

/** Milliseconds are shown as seconds; everything else as it comes. */
export function format(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 's':
      return `${(value / 1000).toFixed(value < 10_000 ? 3 : 1)} s`;
    case 'ms':
      return `${value.toFixed(value < 100 ? 1 : 0)} ms`;
    case 'MB':
      return `${value.toFixed(0)} MB`;
    case '×':
      return `${value.toFixed(2)}×`;
    case 'rows/s':
      return `${Math.round(value).toLocaleString('en-US')} rows/s`;
    case 'B':
      return `${value.toFixed(0)} B`;
  }
}

export function info(name: string, value: string): Measure {
  return { name, value, target: '', ratio: '', verdict: '' };
}

/** A figure that must not exceed `limit`; `label` overrides how the target is shown. */
export function atMost(name: string, value: number, limit: number, unit: Unit, label?: string): Measure {
  const ok = value <= limit;
  return {
    name,
    value: format(value, unit),
    target: label ?? `≤ ${format(limit, unit)}`,
    ratio: (value / limit).toFixed(2),
    verdict: Number.isFinite(value) ? (ok ? 'pass' : 'FAIL') : 'FAIL',
  };
}

export function atLeast(name: string, value: number, floor: number, unit: Unit): Measure {
  return {
    name,
    value: format(value, unit),
    target: `≥ ${format(floor, unit)}`,
    ratio: (value / floor).toFixed(2),
    verdict: value >= floor ? 'pass' : 'FAIL',
  };
}

/** A count that must be exactly `expected` (e.g. 0 errors); `what` follows the numbers. */
export function exactly(name: string, value: number, expected: number, what: string): Measure {
  const ok = value === expected;
  const unit = what ? ` ${what}` : '';
  return {
    name,
    value: `${value.toLocaleString('en-US')}${unit}`,
    target: `${expected.toLocaleString('en-US')}${unit}`,
    ratio: '',
    verdict: ok ? 'pass' : 'FAIL',
  };
}

/** A check that must hold (e.g. the slave equals the master); no ratio. */
export function holds(name: string, ok: boolean): Measure {
  return { name, value: ok ? 'yes' : 'NO', target: 'yes', ratio: '', verdict: ok ? 'pass' : 'FAIL' };
}

export function renderTable(measures: Measure[]): string {
  const header: Measure = { name: 'measure', value: 'value', target: 'target', ratio: 'ratio', verdict: '' };
  const rows = [header, ...measures].map((m) => [
    m.name,
    m.value,
    m.target,
    m.ratio,
    m.verdict || (m === header ? 'result' : ''),
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), rule, ...body.map(line)].join('\n') + '\n';
}

/** A progress line on stderr, so stdout carries only the final table. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
