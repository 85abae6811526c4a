import { loadConfig, status } from '../../index.js';
import { EXIT_FAILED, EXIT_OK } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { renderStatus } from '../render/renderStatus.js';

export interface StatusFlags {
  env?: string[];
  table?: string[];
  json?: boolean;
}

/**
 * `nsync status [config]`: exit 1 when a remote is unreachable, refuses the key, or a table
 * has not exchanged for longer than its remote's `staleAfterMinutes` (for monitoring).
 */
export async function statusCommand(
  configPath: string | undefined,
  flags: StatusFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const report = await status(config, { envs: flags.env, tables: flags.table });
  renderStatus(report, { json: flags.json === true, stream: io.stdout, isTTY: io.isTTY });
  return report.ok ? EXIT_OK : EXIT_FAILED;
}
