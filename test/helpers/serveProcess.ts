import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN } from './cli.js';

/** One pino log line of `nsync serve`; a line that is not JSON is kept as `{ raw }`. */
export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A real `nsync serve` process (the built binary), listening. */
export interface ServeProcess {
  child: ChildProcess;
  /** The `url` of its "nsync serve listening" line. */
  url: string;
  /** Every log line so far, in order. */
  logs: LogLine[];
  stderr(): string;
  /** Settles when the process has ended and its output is read. */
  exited: Promise<Exit>;
  /** The first log line (already written, or still to come) that matches, within `timeoutMs`. */
  waitForLog(matches: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Waits for the exit (no signal sent); SIGKILL and a rejection if it takes longer than `timeoutMs`. */
  waitForExit(timeoutMs?: number, what?: string): Promise<Exit>;
  /** Sends `signal` once and waits for the exit, as `waitForExit`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** SIGKILL if still running, and wait (bounded) for the end: for `finally`. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Rejects after `ms` with a message saying what was waited for, unless `promise` settles first. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `node bin/nsync serve ...args` and resolves once it logs "nsync serve listening". If it
 * exits first, or does not listen within `timeoutMs`, rejects with its stderr (and kills it).
 */
export async function startServe(
  args: string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<ServeProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, NSYNC_DEBUG: undefined, FORCE_COLOR: undefined };
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: LogLine[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { raw: text };
    }
    logs.push(line);
    for (const wake of waiters) wake();
  });
  let ended = false;
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      running.delete(child);
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });
  exited.catch(() => undefined);

  const waitForLog = (matches: (line: LogLine) => boolean, what: string, timeoutMs = 15_000) => {
    let wake = () => {};
    const found = new Promise<LogLine>((resolve, reject) => {
      wake = () => {
        const line = logs.find(matches);
        if (line) resolve(line);
        else if (ended) reject(new Error(`nsync serve exited before logging ${what}; stderr: ${stderr}`));
      };
      waiters.add(wake);
      wake();
    });
    return within(found, timeoutMs, `nsync serve to log ${what}`).finally(() => waiters.delete(wake));
  };

  const kill = async () => {
    if (ended) return;
    child.kill('SIGKILL');
    await within(exited, 5_000, 'nsync serve to exit after SIGKILL').catch(() => undefined);
  };
  const waitForExit = async (timeoutMs = 15_000, what = 'nsync serve to exit') => {
    try {
      return await within(exited, timeoutMs, what);
    } catch (error) {
      await kill();
      throw error;
    }
  };
  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) => {
    if (!ended) child.kill(signal);
    return waitForExit(timeoutMs);
  };

  try {
    const listening = await waitForLog(
      (line) => line.msg === 'nsync serve listening',
      '"nsync serve listening"',
      options.timeoutMs ?? 20_000,
    );
    if (typeof listening.url !== 'string') throw new Error('the listening line has no url');
    const url = listening.url;
    return { child, url, logs, stderr: () => stderr, exited, waitForLog, waitForExit, stop, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** Kills every `nsync serve` this helper started that is still running (for afterAll). */
export function killAllServe(): Promise<void> {
  return killAll(running);
}

/** SIGKILLs every child in `children` still running and forgets them; waits at most 5 s for each. */
export async function killAll(children: Set<ChildProcess>): Promise<void> {
  const left = [...children];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(resolve, 5_000);
          child.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
  for (const child of left) children.delete(child);
}
