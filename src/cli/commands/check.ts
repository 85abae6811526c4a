import { check, loadConfig } from '../../index.js';
import { exitCodeForCheck } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { renderCheck } from '../render/renderCheck.js';

export interface CheckFlags {
  json?: boolean;
}

/** `nsync check [config]`: report every problem found; exit 1 when any is an error. */
export async function checkCommand(
  configPath: string | undefined,
  flags: CheckFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const report = await check(config);
  renderCheck(report, { json: flags.json === true, stream: io.stdout, isTTY: io.isTTY });
  return exitCodeForCheck(report);
}
