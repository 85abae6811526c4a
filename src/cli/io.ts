import type { Output } from './render/output.js';

/** What a command may touch of the process; main() hands in the real one, tests a fake. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** Whether stdout is a terminal (spinners, colours). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT); default: the real signals. */
  shutdownSignal?: () => Promise<string>;
}
