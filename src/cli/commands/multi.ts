import { loadConfig, syncMulti, withRunLock } from '../../index.js';
import { exitCodeForRun } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { rendererFor } from '../render/createRenderer.js';

export interface MultiFlags {
  env?: string[];
  table?: string[];
  /** Commander's `--no-local`: false when given. */
  local?: boolean;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** `nsync multi [config]`: the local pass, then every remote (PHP `sync_multi.php`), under the config's run lock. */
export async function multiCommand(
  configPath: string | undefined,
  flags: MultiFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const reporter = await rendererFor({ ...flags, stream: io.stdout, errors: io.stderr, isTTY: io.isTTY });
  try {
    const result = await withRunLock(config, () =>
      syncMulti(config, {
        envs: flags.env,
        tables: flags.table,
        local: flags.local !== false,
        dryRun: flags.dryRun === true,
        reporter,
      }),
    );
    return exitCodeForRun(result);
  } finally {
    reporter.close();
  }
}
