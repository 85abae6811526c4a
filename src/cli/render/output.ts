import { Chalk, supportsColor } from 'chalk';
import type { ChalkInstance } from 'chalk';

/** Where the CLI writes: process.stdout / process.stderr, or a fake in tests. */
export interface Output {
  write(chunk: string): unknown;
}

/**
 * Colours only on a terminal, and only as far as it supports them
 * (chalk's detection honours NO_COLOR / FORCE_COLOR); never in cron mail or pipes.
 */
export function colorsFor(isTTY: boolean): ChalkInstance {
  return new Chalk({ level: isTTY && supportsColor ? supportsColor.level : 0 });
}
