import { loadConfig } from '../../index.js';
import { startServer } from '../../server/index.js';
import { EXIT_OK } from '../exitCodes.js';
import type { CliIo } from '../io.js';

export interface ServeFlags {
  listen?: string;
  insecureNoAuth?: boolean;
  logLevel?: string;
}

/** Resolves with the first SIGTERM or SIGINT. */
function processSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });
}

/**
 * `nsync serve [config]`: the HTTP API until SIGTERM or SIGINT, then a graceful stop (no new
 * requests, those in flight finish, the database pool closes) and exit 0. Logs are JSON
 * lines (pino) on stdout.
 */
export async function serveCommand(
  configPath: string | undefined,
  flags: ServeFlags,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(configPath, { cwd: io.cwd, env: io.env });
  const stopped = (io.shutdownSignal ?? processSignal)();
  const server = await startServer(config, {
    ...(flags.listen ? { listen: flags.listen } : {}),
    insecureNoAuth: flags.insecureNoAuth === true,
    logLevel: flags.logLevel ?? 'info',
    logStream: io.stdout,
  });
  const signal = await stopped;
  server.app.log.info({ signal }, 'shutting down: finishing requests in flight');
  await server.close();
  server.app.log.info('stopped');
  return EXIT_OK;
}
