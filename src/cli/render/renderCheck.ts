import type { CheckItem, CheckReport } from '../../index.js';
import { colorsFor } from './output.js';
import type { Output } from './output.js';

export interface CheckRenderOptions {
  json?: boolean;
  stream: Output;
  isTTY?: boolean;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line per item (`ok`, `warn`, `error`), then a count; --json: the items as one JSON array. */
export function renderCheck(report: CheckReport, options: CheckRenderOptions): void {
  const { stream } = options;
  if (options.json) {
    stream.write(`${JSON.stringify(report.items)}\n`);
    return;
  }
  const color = colorsFor(options.isTTY ?? false);
  const marker: Record<CheckItem['level'], string> = {
    ok: color.green('ok   '),
    warn: color.yellow('warn '),
    error: color.red('error'),
  };
  for (const item of report.items) stream.write(`${marker[item.level]}  ${item.subject}: ${item.message}\n`);
  const errors = report.items.filter((i) => i.level === 'error').length;
  const warnings = report.items.filter((i) => i.level === 'warn').length;
  const summary =
    errors + warnings === 0
      ? `all ${plural(report.items.length, 'check')} passed`
      : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  stream.write(`${summary}\n`);
}
