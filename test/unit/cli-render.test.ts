import { describe, it, expect } from '@jest/globals';
import { stripVTControlCharacters } from 'node:util';
import { emptyCounts } from '../../src/core/types.js';
import type { ApplyCounts } from '../../src/core/types.js';
import type { RunEvent, TableResult } from '../../src/engine/events.js';
import { createRenderer } from '../../src/cli/render/createRenderer.js';
import type { Spinner } from '../../src/cli/render/createRenderer.js';
import { formatDuration, formatTableLine } from '../../src/cli/render/format.js';

function fakeStream(): { write(chunk: string): boolean; text(): string; lines(): string[] } {
  let written = '';
  return {
    write: (chunk) => ((written += chunk), true),
    text: () => stripVTControlCharacters(written),
    lines: () => stripVTControlCharacters(written).split('\n').slice(0, -1),
  };
}

const counts = (more: Partial<ApplyCounts>): ApplyCounts => ({ ...emptyCounts(), ...more });
const direction = 'master → slave';
const items: TableResult = {
  table: 'items',
  direction,
  ok: true,
  read: 1200,
  counts: counts({ inserted: 1000, updated: 200 }),
  durationMs: 1234,
};
const orders: TableResult = {
  table: 'orders',
  direction,
  ok: false,
  read: 0,
  counts: emptyCounts(),
  durationMs: 10,
  error: 'column "total" is missing on slave',
};

/** A run of two tables, the second failing, with a warning in between. */
function runEvents(dryRun = false): RunEvent[] {
  return [
    { type: 'table-start', table: 'items', direction },
    { type: 'batch', table: 'items', direction, read: 1000, counts: counts({ inserted: 1000 }) },
    { type: 'batch', table: 'items', direction, read: 200, counts: counts({ updated: 200 }) },
    { type: 'table-end', result: items },
    { type: 'warning', message: 'orders: auto-increment key on a bidirectional table' },
    { type: 'table-start', table: 'orders', direction },
    { type: 'table-end', result: orders },
    { type: 'run-end', result: { ok: false, dryRun, tables: [items, orders], durationMs: 2345 } },
  ];
}

const itemsLine =
  'items  master → slave  read 1200  inserted 1000  updated 200  deleted 0  skipped 0  conflicts 0  1.23s';
const ordersLine = 'orders  master → slave  FAILED: column "total" is missing on slave';
const warningLine = 'warning: orders: auto-increment key on a bidirectional table';

describe('createRenderer --json', () => {
  it('writes every event as one JSON line and nothing else', () => {
    const stream = fakeStream();
    const renderer = createRenderer({ json: true, quiet: true, stream, isTTY: true });
    const events = runEvents();
    for (const event of events) renderer.event(event);
    expect(stream.lines().map((line) => JSON.parse(line) as unknown)).toEqual(events);
  });
});

describe('createRenderer, not a terminal', () => {
  it('prints one plain line per table, warnings, and a summary', () => {
    const stream = fakeStream();
    const renderer = createRenderer({ stream, isTTY: false });
    for (const event of runEvents()) renderer.event(event);
    expect(stream.lines()).toEqual([itemsLine, warningLine, ordersLine, '1 table synced, 1 failed in 2.3s']);
  });

  it('uses no colour codes', () => {
    let raw = '';
    const renderer = createRenderer({ stream: { write: (s: string) => (raw += s) }, isTTY: false });
    for (const event of runEvents()) renderer.event(event);
    expect(raw).toBe(stripVTControlCharacters(raw));
  });

  it('--quiet prints only failures and warnings', () => {
    const stream = fakeStream();
    const renderer = createRenderer({ quiet: true, stream, isTTY: false });
    for (const event of [...runEvents(), { type: 'info', message: 'items: trigger installed' } as const]) {
      renderer.event(event);
    }
    expect(stream.lines()).toEqual([warningLine, ordersLine]);
  });

  it('says when a dry run wrote nothing', () => {
    const stream = fakeStream();
    const renderer = createRenderer({ stream, isTTY: false });
    for (const event of runEvents(true)) renderer.event(event);
    expect(stream.lines().at(-1)).toBe('dry run: nothing written (2 tables compared, 1 failed in 2.3s)');
  });

  it('--verbose adds a start line and a running total per batch', () => {
    const stream = fakeStream();
    let clock = 0;
    const renderer = createRenderer({ verbose: true, stream, isTTY: false, now: () => clock });
    renderer.event({ type: 'table-start', table: 'items', direction });
    clock = 2000;
    renderer.event({ type: 'batch', table: 'items', direction, read: 1000, counts: counts({}) });
    clock = 4000;
    renderer.event({ type: 'batch', table: 'items', direction, read: 1000, counts: counts({}) });
    expect(stream.lines()).toEqual([
      'items  master → slave  started',
      'items  master → slave  1000 rows  500 rows/s',
      'items  master → slave  2000 rows  500 rows/s',
    ]);
  });

  it('prints info events (install, uninstall)', () => {
    const stream = fakeStream();
    createRenderer({ stream, isTTY: false }).event({ type: 'info', message: 'items: trigger installed' });
    expect(stream.lines()).toEqual(['items: trigger installed']);
  });
});

describe('createRenderer on a terminal', () => {
  function fakeSpinners(): {
    spinners: (Spinner & { calls: string[] })[];
    create: (text: string) => Spinner;
  } {
    const spinners: (Spinner & { calls: string[] })[] = [];
    const create = (text: string): Spinner => {
      const calls: string[] = [];
      const spinner = {
        calls,
        text,
        start: () => calls.push('start'),
        succeed: (t: string) => calls.push(`succeed ${stripVTControlCharacters(t)}`),
        fail: (t: string) => calls.push(`fail ${stripVTControlCharacters(t)}`),
        stop: () => calls.push('stop'),
        clear: () => calls.push('clear'),
        render: () => calls.push('render'),
      };
      spinners.push(spinner);
      return spinner;
    };
    return { spinners, create };
  }

  it('spins per table with rows and rate, then turns it into a ✔ or ✖ line', () => {
    const stream = fakeStream();
    const { spinners, create } = fakeSpinners();
    let clock = 0;
    const renderer = createRenderer({ stream, isTTY: true, createSpinner: create, now: () => clock });
    const [start, batch, , end] = runEvents();
    renderer.event(start!);
    clock = 2000;
    renderer.event(batch!);
    expect(spinners[0]?.text).toBe('items  master → slave  1000 rows  500 rows/s');
    renderer.event({ type: 'warning', message: 'careful' });
    renderer.event(end!);
    renderer.event({ type: 'table-start', table: 'orders', direction });
    renderer.event({ type: 'table-end', result: orders });
    expect(spinners.map((s) => s.calls)).toEqual([
      ['start', 'clear', 'render', `succeed ${itemsLine}`],
      ['start', `fail ${ordersLine}`],
    ]);
    expect(stream.lines()).toEqual(['warning: careful']);
  });

  it('prints ✔/✖ lines when no spinner can be drawn', () => {
    const stream = fakeStream();
    const renderer = createRenderer({ stream, isTTY: true, createSpinner: () => undefined });
    for (const event of runEvents()) renderer.event(event);
    expect(stream.lines()).toEqual([
      `✔ ${itemsLine}`,
      warningLine,
      `✖ ${ordersLine}`,
      '1 table synced, 1 failed in 2.3s',
    ]);
  });

  it('close() stops a spinner left running by a run that threw', () => {
    const { spinners, create } = fakeSpinners();
    const renderer = createRenderer({ stream: fakeStream(), isTTY: true, createSpinner: create });
    renderer.event({ type: 'table-start', table: 'items', direction });
    renderer.close();
    expect(spinners[0]?.calls).toEqual(['start', 'stop']);
  });
});

describe('format', () => {
  it('formats durations', () => {
    expect(formatDuration(420)).toBe('0.42s');
    expect(formatDuration(2345, 1)).toBe('2.3s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });

  it('does not repeat the table and direction the engine puts in front of an error', () => {
    const result = { ...orders, error: 'orders (master → slave): disk I/O error' };
    expect(formatTableLine(result)).toBe('orders  master → slave  FAILED: disk I/O error');
  });

  it('counts older and identical versions as skipped, and shows overwritten only when any', () => {
    const result = { ...items, counts: counts({ skippedOlder: 2, unchanged: 3, overwritten: 4 }) };
    expect(formatTableLine(result)).toBe(
      'items  master → slave  read 1200  inserted 0  updated 0  deleted 0  skipped 5  conflicts 0  overwritten 4  1.23s',
    );
  });
});
