import { CommanderError } from 'commander';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * Loading the library (src/index.ts, with every database driver) takes ~0.4 s, so `--help`
 * and usage errors do without it: the version is read only when asked for, and the error
 * path imports what it needs (the action that threw has loaded it already).
 */
async function versionIfAsked(argv: string[]): Promise<string> {
  const asked = argv.slice(2).some((arg) => arg === '--version' || /^-[a-zA-Z]*V/.test(arg));
  return asked ? (await import('../index.js')).VERSION : '';
}

/** Parses argv (node, script, ...args), runs the command, and returns the exit code. Never exits. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  let verbose = false;
  const program = buildProgram(io, await versionIfAsked(argv), {
    verbose: (on) => (verbose = on),
    done: (code) => (exitCode = code),
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    // Commander has already printed its message, or the help / version it was asked for.
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    const { EXIT_USAGE, exitCodeForError } = await import('./exitCodes.js');
    if (error instanceof CommanderError) return EXIT_USAGE;
    const { renderError } = await import('./render/renderError.js');
    renderError(io.stderr, error, { stack: verbose || io.env.NSYNC_DEBUG === '1' });
    return exitCodeForError(error);
  }
}

/** The `nsync` binary. The only place that decides the process's exit status. */
export async function main(argv: string[]): Promise<void> {
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
  // A reader that went away (`nsync sync --json | head -1`) must not stop a sync half way:
  // what can no longer be printed is dropped, and the run finishes with its own exit code.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  // exitCode rather than exit(): stdout is flushed before the process ends.
  process.exitCode = await run(argv, io);
}
