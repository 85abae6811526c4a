import { loadConfig, syncLocal, withRunLock } from '../../index.js';
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
export async function syncCommand(
  configPath: string | undefined,
  flags: SyncFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const reporter = await rendererFor({ ...flags, stream: io.stdout, errors: io.stderr, isTTY: io.isTTY });
  try {
    const result = await withRunLock(config, () =>
      syncLocal(config, { tables: flags.table, dryRun: flags.dryRun === true, reporter }),
    );
    return exitCodeForRun(result);
  } finally {
    reporter.close();
  }
}
