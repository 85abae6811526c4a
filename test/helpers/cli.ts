import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory of the test run. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/nsync`;
const ENTRY = `${ROOT}dist/src/cli/main.js`;

/** End-to-end tests run the built binary: fail at once, saying how, when there is none. */
export function requireBuilt(): void {
  if (!existsSync(ENTRY)) {
    throw new Error(`${ENTRY} is missing: run \`npm run build\` before the end-to-end tests`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/nsync ...args` in `cwd` as cron would: no terminal, no debug output. */
export function runNsync(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NSYNC_DEBUG: undefined, FORCE_COLOR: undefined };
  for (const [key, value] of Object.entries(options.env ?? {})) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
