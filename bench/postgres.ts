import { runNsyncOk, writeConfig, type CliRun } from './cli.js';
import { baselineCopy, checkpoint } from './copyBaseline.js';
import { withDatabases } from './databases.js';
import { bytesPerRow, createItems, sameRows, seedItems, touchRows } from './items.js';
import { progress } from './report.js';

export interface PostgresOptions {
  rows: number;
  /** Rows the incremental sync changes on the master. */
  touched: number;
  batchSize?: number;
  /** When set, each nsync run writes a V8 CPU profile here. */
  profileDir?: string;
}

/** What one PostgreSQL run of N rows measured. */
export interface PostgresFigures {
  rows: number;
  touched: number;
  bytesPerRow: number | null;
  /** (a) COPY TO STDOUT → COPY FROM STDIN. */
  copyMs: number;
  install: CliRun;
  /** (b) first sync into the empty slave. */
  initial: CliRun;
  initialSame: boolean;
  /** (c) nothing changed. */
  idle: CliRun;
  /** (d) after `touched` rows changed on the master. */
  update: CliRun;
  updateSame: boolean;
}

export function runPostgres(options: PostgresOptions): Promise<PostgresFigures> {
  const { rows, touched } = options;
  return withDatabases('postgres', ['pg_master', 'pg_slave'], async ([master, slave]) => {
    if (!master || !slave) throw new Error('two databases expected');
    progress(`postgres ${rows} rows: seeding`);
    await createItems(master);
    await createItems(slave);
    await seedItems(master, rows);

    progress('postgres: (a) COPY baseline');
    const copy = await baselineCopy(master, slave, 'items', rows);

    const config = writeConfig(master.url, slave.url, options.batchSize);
    try {
      const flags = (name: string): string[] =>
        options.profileDir
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${options.profileDir}`,
              `--cpu-prof-name=${name}-${rows}.cpuprofile`,
            ]
          : [];
      const install = await runNsyncOk(['install'], config);

      progress('postgres: (b) initial nsync sync');
      await checkpoint(master, slave);
      const initial = await runNsyncOk(['sync'], config, flags('initial'));
      const initialSame = await sameRows(master, slave);

      progress('postgres: (c) nsync sync, nothing changed');
      const idle = await runNsyncOk(['sync'], config, flags('idle'));

      progress(`postgres: (d) nsync sync after updating ${touched} rows`);
      await touchRows(master, touched);
      await checkpoint(master, slave);
      const update = await runNsyncOk(['sync'], config, flags('update'));
      const updateSame = await sameRows(master, slave);

      return {
        rows,
        touched,
        bytesPerRow: await bytesPerRow(master, rows),
        copyMs: copy.ms,
        install,
        initial,
        initialSame,
        idle,
        update,
        updateSame,
      };
    } finally {
      config.dispose();
    }
  });
}
