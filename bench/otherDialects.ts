import type { Dialect } from '../src/core/types.js';
import { runNsyncOk, writeConfig, type CliRun } from './cli.js';
import { withDatabases } from './databases.js';
import { createItems, sameRows, seedItems } from './items.js';
import { progress } from './report.js';

/** What an initial master → slave sync of N rows measured on one dialect. */
export interface InitialSyncFigures {
  dialect: Dialect;
  rows: number;
  initial: CliRun;
  same: boolean;
}

/** Seeds N rows in a fresh master, installs nsync, and times the first sync into an empty slave. */
export function runInitialSync(
  dialect: Dialect,
  rows: number,
  batchSize?: number,
): Promise<InitialSyncFigures> {
  return withDatabases(dialect, [`${dialect}_master`, `${dialect}_slave`], async ([master, slave]) => {
    if (!master || !slave) throw new Error('two databases expected');
    progress(`${dialect} ${rows} rows: seeding`);
    await createItems(master);
    await createItems(slave);
    await seedItems(master, rows);
    const config = writeConfig(master.url, slave.url, batchSize);
    try {
      await runNsyncOk(['install'], config);
      progress(`${dialect}: initial nsync sync`);
      const initial = await runNsyncOk(['sync'], config);
      return { dialect, rows, initial, same: await sameRows(master, slave) };
    } finally {
      config.dispose();
    }
  });
}
