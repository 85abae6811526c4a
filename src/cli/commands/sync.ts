import {
  loadConfig,
  syncLocal,
  withRunLock,
  type NsyncConfig,
  type Reporter,
  type RunResult,
} from '../../index.js';
import { exitCodeForRun } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { rendererFor } from '../render/createRenderer.js';

export interface SyncFlags {
  table?: string[];
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** `nsync sync [config]`: the local pass, master ⇄ slave, under the config's run lock. */
export function syncCommand(configPath: string | undefined, flags: SyncFlags, io: CliIo): Promise<number> {
  return runLocked(configPath, flags, io, (config, reporter) =>
    syncLocal(config, { tables: flags.table, dryRun: flags.dryRun === true, reporter }),
  );
}

/** Loads the config and runs a sync under its run lock, rendering events as `flags` ask; the exit code. */
export async function runLocked(
  configPath: string | undefined,
  flags: { json?: boolean; quiet?: boolean; verbose?: boolean },
  io: CliIo,
  run: (config: NsyncConfig, reporter: Reporter) => Promise<RunResult>,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const reporter = await rendererFor({ ...flags, stream: io.stdout, errors: io.stderr, isTTY: io.isTTY });
  try {
    return exitCodeForRun(await withRunLock(config, () => run(config, reporter)));
  } finally {
    reporter.close();
  }
}
