import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent, RunResult } from '../src/index.js';

/** dist/bench/cli.js → the repository root. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const BIN = join(ROOT, 'bin', 'nsync');
const GNU_TIME = '/usr/bin/time';
/** Fallback when GNU time is missing: a preload that writes the same `%M %U %S` line at exit. */
const PROBE = fileURLToPath(new URL('./usageProbe.js', import.meta.url));

/** One finished `nsync` command. */
export interface CliRun {
  exitCode: number;
  /** Spawn to exit, as the user waits for it. */
  wallMs: number;
  /** Peak resident set of the node process. */
  maxRssMb: number;
  /** User + system CPU of the node process. */
  cpuMs: number;
  /** The run-end result (`--json`), when the command printed one. */
  result?: RunResult;
  stderr: string;
}

/** A temp folder with a master-slave config file for one master and slave; `dispose()` removes it. */
export interface BenchConfig {
  dir: string;
  file: string;
  dispose(): void;
}

/** A temp folder holding `config` as its config file. */
export function writeConfigFile(config: Record<string, unknown>): BenchConfig {
  const dir = mkdtempSync(join(tmpdir(), 'nsync-bench-cfg-'));
  const file = join(dir, 'nsync.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { dir, file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeConfig(masterUrl: string, slaveUrl: string, batchSize?: number): BenchConfig {
  return writeConfigFile({
    environment: 'bench',
    mode: 'master-slave',
    ...(batchSize ? { batchSize } : {}),
    databases: { master: { url: masterUrl }, slave: { url: slaveUrl } },
    replication: { tables: [{ name: 'items', primaryKey: 'id', timestampColumn: 'updated_at' }] },
  });
}

function parseResult(stdout: string): RunResult | undefined {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as RunEvent;
    if (event.type === 'run-end') return event.result;
  }
  return undefined;
}

function parseUsage(text: string): { maxRssMb: number; cpuMs: number } {
  // GNU time may put "Command exited with non-zero status N" first: the figures are the last line.
  const last = text.trim().split('\n').at(-1) ?? '';
  const [rssKb = NaN, user = NaN, sys = NaN] = last.trim().split(/\s+/).map(Number);
  return { maxRssMb: rssKb / 1024, cpuMs: (user + sys) * 1000 };
}

/**
 * Runs the built CLI (`node bin/nsync <args> --json`) as a child process and measures the
 * whole command: wall time, peak RSS and CPU (GNU time, or the probe preload without it).
 * `nodeFlags` go to node itself (e.g. `--cpu-prof`).
 */
export async function runNsync(
  args: string[],
  config: BenchConfig,
  nodeFlags: string[] = [],
): Promise<CliRun> {
  const usageFile = join(config.dir, 'usage.txt');
  rmSync(usageFile, { force: true });
  const node = [process.execPath, ...nodeFlags];
  const command = existsSync(GNU_TIME)
    ? [GNU_TIME, '-f', '%M %U %S', '-o', usageFile, ...node, BIN, ...args, config.file, '--json']
    : [...node, '--import', PROBE, BIN, ...args, config.file, '--json'];
  const env = { ...process.env, NSYNC_LOCK_DIR: config.dir, NSYNC_BENCH_USAGE: usageFile };
  const started = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { cwd: config.dir, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done(code ?? -1));
  });
  const wallMs = performance.now() - started;
  const usage = existsSync(usageFile)
    ? parseUsage(readFileSync(usageFile, 'utf8'))
    : { maxRssMb: NaN, cpuMs: NaN };
  const result = parseResult(stdout);
  return { exitCode, wallMs, ...usage, ...(result ? { result } : {}), stderr };
}

/** Like runNsync, but fails unless the command exited 0 (and, for sync, reported ok). */
export async function runNsyncOk(
  args: string[],
  config: BenchConfig,
  nodeFlags: string[] = [],
): Promise<CliRun> {
  const run = await runNsync(args, config, nodeFlags);
  if (run.exitCode !== 0 || run.result?.ok === false) {
    const why = run.result?.tables.find((t) => !t.ok)?.error ?? run.stderr.trim();
    throw new Error(`nsync ${args.join(' ')} exited ${run.exitCode}: ${why}`);
  }
  return run;
}
