import { buildConfig } from '../../src/config/index.js';
import { NsyncError } from '../../src/core/errors.js';

/** Where the configs under test claim to come from (nothing is read from it). */
export const CONFIG_FILE = '/srv/nsync/nsync.config.json';

/** The NsyncError a config is rejected with; fails the test when it is accepted. */
export function configError(raw: unknown, env: NodeJS.ProcessEnv = {}): NsyncError {
  try {
    buildConfig(raw, CONFIG_FILE, env);
  } catch (error) {
    if (error instanceof NsyncError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}
