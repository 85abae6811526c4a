import { syncMulti } from '../../index.js';
import type { CliIo } from '../io.js';
import { runLocked } from './sync.js';

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
export function multiCommand(configPath: string | undefined, flags: MultiFlags, io: CliIo): Promise<number> {
  return runLocked(configPath, flags, io, (config, reporter) =>
    syncMulti(config, {
      envs: flags.env,
      tables: flags.table,
      local: flags.local !== false,
      dryRun: flags.dryRun === true,
      reporter,
    }),
  );
}
