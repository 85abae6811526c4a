import type { Reporter, RunEvent, TableResult } from '../../index.js';
import { formatProgress, formatSummary, formatTableLine } from './format.js';
import { colorsFor } from './output.js';
import type { Output } from './output.js';

/** The part of an ora spinner the renderer uses; tests hand in a fake. */
export interface Spinner {
  text: string;
  start(): unknown;
  succeed(text: string): unknown;
  fail(text: string): unknown;
  stop(): unknown;
  clear(): unknown;
  render(): unknown;
}

export interface RendererOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  stream?: Output;
  /** Off a terminal, failed tables and warnings go here (stderr), so cron keeps them apart. */
  errors?: Output;
  /** Whether `stream` is a terminal: spinners and colours only then. */
  isTTY?: boolean;
  /** Returns undefined when no spinner can be drawn; table-end then prints a plain ✔/✖ line (the default: see spinner.ts). */
  createSpinner?: (text: string, stream: Output) => Spinner | undefined;
  now?: () => number;
}

/** A Reporter that also stops any spinner left running when a run throws. */
export interface Renderer extends Reporter {
  close(): void;
}

interface Running {
  startedAt: number;
  rows: number;
  spinner?: Spinner;
}

export function createRenderer(options: RendererOptions = {}): Renderer {
  const stream = options.stream ?? process.stdout;
  if (options.json) return jsonRenderer(stream);
  return textRenderer({ ...options, stream, isTTY: options.isTTY ?? false });
}

/** --json: every event as one line of NDJSON, and nothing else. */
function jsonRenderer(stream: Output): Renderer {
  return {
    event: (event) => void stream.write(`${JSON.stringify(event)}\n`),
    close: () => undefined,
  };
}

function textRenderer(options: RendererOptions & { stream: Output; isTTY: boolean }): Renderer {
  const { stream, isTTY, quiet = false, verbose = false } = options;
  const now = options.now ?? Date.now;
  const createSpinner = options.createSpinner ?? (() => undefined);
  const color = colorsFor(isTTY);
  const running = new Map<string, Running>();
  const keyOf = (table: string, direction: string): string => `${table}\u0000${direction}`;

  /** Writes a whole line without tearing a spinner that is on screen. */
  const line = (text: string): void => {
    const spinners = [...running.values()].flatMap((r) => (r.spinner ? [r.spinner] : []));
    for (const s of spinners) s.clear();
    stream.write(`${text}\n`);
    for (const s of spinners) s.render();
  };
  const problem = (text: string): void => {
    if (isTTY || !options.errors) line(text);
    else options.errors.write(`${text}\n`);
  };

  const tableEnd = (result: TableResult): void => {
    const key = keyOf(result.table, result.direction);
    const spinner = running.get(key)?.spinner;
    running.delete(key);
    if (quiet && result.ok) return;
    const text = formatTableLine(result);
    if (spinner) {
      if (result.ok) spinner.succeed(text);
      else spinner.fail(color.red(text));
    } else if (isTTY) {
      line(result.ok ? `${color.green('✔')} ${text}` : color.red(`✖ ${text}`));
    } else if (result.ok) {
      line(text);
    } else {
      problem(text);
    }
  };

  const handle = (event: RunEvent): void => {
    switch (event.type) {
      case 'table-start': {
        const state: Running = { startedAt: now(), rows: 0 };
        const text = formatProgress(event.table, event.direction, 0, 0);
        if (isTTY && !quiet) {
          state.spinner = createSpinner(text, stream);
          state.spinner?.start();
        } else if (verbose) {
          line(`${event.table}  ${event.direction}  started`);
        }
        running.set(keyOf(event.table, event.direction), state);
        return;
      }
      case 'batch': {
        // A batch event carries that batch's own counts; the renderer keeps the total.
        const state = running.get(keyOf(event.table, event.direction));
        if (!state) return;
        state.rows += event.read;
        const text = formatProgress(event.table, event.direction, state.rows, now() - state.startedAt);
        if (state.spinner) state.spinner.text = text;
        else if (verbose && !quiet) line(text);
        return;
      }
      case 'table-end':
        return tableEnd(event.result);
      case 'run-end': {
        if (quiet) return;
        const summary = formatSummary(event.result);
        return line(event.result.ok ? color.bold(summary) : color.bold.red(summary));
      }
      case 'warning':
        return problem(color.yellow(`warning: ${event.message}`));
      case 'info':
        if (!quiet) line(event.message);
        return;
    }
  };

  return {
    event: handle,
    close: () => {
      for (const state of running.values()) state.spinner?.stop();
      running.clear();
    },
  };
}

/** createRenderer with ora spinners when drawing to a terminal (ora is loaded only then). */
export async function rendererFor(options: RendererOptions): Promise<Renderer> {
  if (!options.isTTY || options.json || options.quiet) return createRenderer(options);
  const { oraSpinner } = await import('./spinner.js');
  return createRenderer({ createSpinner: oraSpinner, ...options });
}
