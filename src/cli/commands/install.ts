import { install, loadConfig, uninstall, withRunLock } from '../../index.js';
import { EXIT_OK } from '../exitCodes.js';
import type { CliIo } from '../io.js';
import { rendererFor } from '../render/createRenderer.js';

export interface InstallFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * `nsync install` / `nsync uninstall`: nsync's own tables and triggers. Under the run lock,
 * so triggers never appear or vanish half way through a sync of the same config.
 */
export async function installCommand(
  action: 'install' | 'uninstall',
  configPath: string | undefined,
  flags: InstallFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const reporter = await rendererFor({ ...flags, stream: io.stdout, errors: io.stderr, isTTY: io.isTTY });
  try {
    const run = action === 'install' ? install : uninstall;
    await withRunLock(config, () => run(config, { reporter }));
    return EXIT_OK;
  } finally {
    reporter.close();
  }
}
