import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Dialect } from '../../src/core/types.js';
import { BIN } from './cli.js';
import { createTestDatabase, ITEMS_DDL, type TestDatabase } from './databases.js';
import { killAll, startServe, within, type ServeProcess } from './serveProcess.js';

/**
 * Whole nsync environments for end-to-end tests: a master and a slave database of one dialect
 * with `items` installed, a config file in a temp folder, an optional `nsync serve` process, and
 * `nsync` commands run as the built binary with their `--json` events parsed.
 */

/** One `--json` event of `nsync multi` / `nsync sync`; a line that is not JSON is kept as `{ raw }`. */
export interface CliEvent {
  type?: string;
  [field: string]: unknown;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: CliEvent[];
}

/** An `nsync` command still running. */
export interface RunningCli {
  child: ChildProcess;
  events: CliEvent[];
  /** Settles when the process has ended and its output is read. */
  done: Promise<CliRun>;
  /** The first event (already printed, or still to come) that matches, within `timeoutMs`. */
  waitForEvent(matches: (event: CliEvent) => boolean, what: string, timeoutMs?: number): Promise<CliEvent>;
  /** SIGKILL if still running, and wait (bounded) for the end. */
  kill(): Promise<CliRun>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node bin/nsync ...args` (no terminal, as cron runs it), parsing stdout as NDJSON.
 * It is SIGKILLed after `timeoutMs` whatever happens, so no wait on it is unbounded.
 */
export function startCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): RunningCli {
  const env: NodeJS.ProcessEnv = { ...process.env, NSYNC_DEBUG: undefined, FORCE_COLOR: undefined };
  for (const [key, value] of Object.entries(options.env ?? {})) env[key] = value;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const events: CliEvent[] = [];
  let stdout = '';
  let stderr = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (text) => {
    stdout += `${text}\n`;
    let event: CliEvent;
    try {
      event = JSON.parse(text) as CliEvent;
    } catch {
      event = { raw: text };
    }
    events.push(event);
    wakeAll();
  });
  const linesRead = new Promise<void>((resolve) => lines.once('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      void linesRead.then(() => {
        ended = true;
        wakeAll();
        resolve({ code, signal, stdout, stderr, events });
      });
    });
  });
  done.catch(() => undefined);

  const waitForEvent = (matches: (event: CliEvent) => boolean, what: string, timeoutMs = 30_000) => {
    let wake = () => {};
    const found = new Promise<CliEvent>((resolve, reject) => {
      wake = () => {
        const event = events.find(matches);
        if (event) resolve(event);
        else if (ended)
          reject(new Error(`nsync ${args[0]} ended before printing ${what}; stderr: ${stderr}`));
      };
      waiters.add(wake);
      wake();
    });
    return within(found, timeoutMs, `nsync ${args[0]} to print ${what}`).finally(() => waiters.delete(wake));
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return within(done, 10_000, `nsync ${args[0]} to exit after SIGKILL`);
  };
  return { child, events, done, waitForEvent, kill };
}

/** Runs `node bin/nsync ...args` to the end (SIGKILL after `timeoutMs`). */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<CliRun> {
  return startCli(args, options).done;
}

/** SIGKILLs every `nsync` command this helper started that still runs (for afterAll). */
export function killAllCli(): Promise<void> {
  return killAll(running);
}

export interface RemoteSpec {
  url: string;
  apiKey: string;
  syncMode?: 'push' | 'pull' | 'bidirectional';
  [key: string]: unknown;
}

/** One environment: its id, master and slave (same dialect), config files and serve process. */
export class Environment {
  serve?: ServeProcess;
  /** The port its serve process listens on, kept so that a restart takes the same one. */
  port = 0;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly master: TestDatabase,
    readonly slave: TestDatabase,
    readonly apiKey: string,
    private readonly batchSize: number,
  ) {}

  /** Fresh master and slave databases of `dialect` with an empty `items` table each. */
  static async create(
    name: string,
    dialect: Dialect,
    options: { dir: string; apiKey: string; batchSize: number },
  ): Promise<Environment> {
    const label = name.replace(/-/g, '_');
    const master = await createTestDatabase(dialect, `${label}_m`);
    const slave = await createTestDatabase(dialect, `${label}_s`);
    for (const db of [master, slave]) await db.knex.raw(ITEMS_DDL[dialect]);
    return new Environment(name, options.dir, master, slave, options.apiKey, options.batchSize);
  }

  /** The environment's config file path, for `variant` (the default one when none). */
  configPath(variant = 'config'): string {
    return join(this.dir, `${this.name}.${variant}.json`);
  }

  /** Writes a config with these remotes; returns its path. */
  writeConfig(remotes: Record<string, RemoteSpec>, variant = 'config'): string {
    const raw = {
      environment: this.name,
      mode: 'master-slave',
      batchSize: this.batchSize,
      databases: { master: { url: this.master.url }, slave: { url: this.slave.url } },
      replication: { tables: [{ name: 'items', primaryKey: 'id' }] },
      api: { keys: [this.apiKey] },
      server: { listen: '127.0.0.1:0' },
      remoteEnvironments: remotes,
    };
    const path = this.configPath(variant);
    writeFileSync(path, JSON.stringify(raw, null, 2));
    return path;
  }

  /** Starts `nsync serve` on the environment's port (any free one the first time). */
  async startServe(): Promise<ServeProcess> {
    this.serve = await startServe([this.configPath(), '--listen', `127.0.0.1:${this.port}`], {
      cwd: this.dir,
    });
    this.port = Number(new URL(this.serve.url).port);
    return this.serve;
  }

  get url(): string {
    if (!this.serve) throw new Error(`${this.name} has no serve process`);
    return `http://127.0.0.1:${this.port}`;
  }

  async drop(): Promise<void> {
    await Promise.allSettled([this.master.drop(), this.slave.drop()]);
  }
}
