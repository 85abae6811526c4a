import { randomBytes } from 'node:crypto';
import type { TableResult } from '../src/index.js';
import { runNsyncOk, writeConfigFile, type BenchConfig, type CliRun } from './cli.js';
import { baselineCopy, checkpoint } from './copyBaseline.js';
import { createDatabase, type BenchDatabase } from './databases.js';
import { createItems } from './items.js';
import { progress } from './report.js';
import { startServe, type ServeProcess, type ServerUse } from './serve.js';

/**
 * `nsync multi` against a remote `nsync serve`, as the issue asks. Two environments on
 * PostgreSQL, both on 127.0.0.1: a store (its master runs `nsync multi`) and hq (its master
 * behind one `nsync serve` child process for the whole benchmark). Two more store databases
 * start empty and pull.
 *   (1) push: the store's BENCH_ROWS rows into hq's empty table, against a COPY pipe store → hq;
 *   (2) pull: as (1) the other way: hq's rows (seeded before install, as the store's were) into
 *       store-3's empty table, against a COPY pipe hq → store-3;
 *   (2b) relay, not a target: the rows (1) pushed, pulled by store-2. The push logged every row
 *       at hq unnumbered, so this first read of hq's log also numbers them all; it runs before
 *       (2), which would otherwise pay for it;
 *   (3) `touched` changed rows (UPDATE … SET updated_at = now(), name = … at the store) pushed,
 *       in the big table and in a small one (BENCH_ROWS_SMALL), in alternate rounds: the cost
 *       should follow the changes, not the table's size;
 *   (4) nothing changed in `noopTables` small tables, bidirectional, first right after the run
 *       that synced them (hq's log still holds the store's rows, skipped as echoes), then again.
 * Every step checks both sides afterwards (row count and a hash of every row).
 * Client peak RSS is GNU time's; the server's is its VmHWM, which only grows: each figure is
 * the server's peak so far.
 */
export interface MultiBenchOptions {
  rows: number;
  /** Rows of the second table of (3). */
  smallRows: number;
  /** Rows changed in each table in (3). */
  touched: number;
  /** (3): rounds of changes in each table, big and small alternating; the median counts. */
  rounds: number;
  /** (4): tables, and rows in each (half written at the store, half at hq). */
  noopTables: number;
  noopRows: number;
  batchSize?: number;
  /** When set, each nsync run and the serve process write a V8 CPU profile here. */
  profileDir?: string;
}

/** One timed `nsync multi` and what the server did meanwhile. */
export interface MultiRun {
  run: CliRun;
  /** table-end results of the run. */
  tables: TableResult[];
  /** Server CPU during the run; its VmHWM right after. */
  server: ServerUse;
}

export interface ChangeRound {
  large: MultiRun;
  small: MultiRun;
}

export interface MultiFigures {
  rows: number;
  smallRows: number;
  touched: number;
  push: { copyMs: number; multi: MultiRun; same: boolean };
  pull: { copyMs: number; multi: MultiRun; same: boolean };
  relay: { copyMs: number; multi: MultiRun; same: boolean };
  /** First push of the small table (not timed against anything). */
  smallInitial: MultiRun;
  changes: { rounds: ChangeRound[]; same: boolean };
  noop: {
    tables: number;
    rowsPerTable: number;
    initial: MultiRun;
    /** The run right after the first: in sync, but hq's log still holds the store's rows (skipped as echoes). */
    idle: MultiRun;
    /** One more: nothing in flight either way. */
    idleAgain: MultiRun;
    same: boolean;
  };
  /** The serve process's VmHWM when it stopped, and what it logged at level error. */
  serverPeakRssMb: number;
  serverErrors: string[];
}

const KEY = randomBytes(16).toString('hex');
const BIG = 'items';
/** (2): hq's own rows, seeded before install. */
const HQ_ROWS = 'items_hq';
const SMALL = 'items_small';
const noopName = (i: number): string => `noop_${String(i + 1).padStart(2, '0')}`;

/** Rows `from`..`to` as bench/items.ts seeds them, into any table of the items columns. */
async function seed(db: BenchDatabase, table: string, from: number, to: number): Promise<void> {
  await db.knex.raw(`INSERT INTO ${table} (id, name, qty, price, updated_at)
    SELECT i, 'item ' || md5(i::text) || ' ' || lpad(i::text, 12, '0'), i % 1000, ((i % 100000) / 100.0)::numeric(12,2),
      timestamp '2024-01-01' + make_interval(secs => i) + ((i * 7919 % 99999) * 10 + 1) * interval '1 microsecond'
    FROM generate_series(${from}::bigint, ${to}) AS i`);
}

async function vacuum(db: BenchDatabase, ...tables: string[]): Promise<void> {
  // Hint bits and statistics set before anything is timed, on both sides alike.
  for (const table of tables) await db.knex.raw(`VACUUM ANALYZE ${table}`);
}

type Fingerprint = { n: number; h: string };

async function fingerprint(db: BenchDatabase, table: string): Promise<Fingerprint> {
  const result = (await db.knex.raw(
    `SELECT count(*)::int AS n, coalesce(sum(hashtext(t::text)::bigint), 0)::text AS h FROM ${table} t`,
  )) as { rows: Fingerprint[] };
  const row = result.rows[0];
  return { n: Number(row?.n), h: String(row?.h) };
}

/** Whether `table` holds the same rows (count and a hash of every row) in both databases, and `rows` of them. */
async function same(a: BenchDatabase, b: BenchDatabase, table: string, rows?: number): Promise<boolean> {
  const [x, y] = await Promise.all([fingerprint(a, table), fingerprint(b, table)]);
  const ok = x.n === y.n && x.h === y.h && (rows === undefined || x.n === rows);
  if (!ok)
    progress(`multi: ${table} differs: ${a.name} ${JSON.stringify(x)}, ${b.name} ${JSON.stringify(y)}`);
  return ok;
}

/**
 * The brief's change: `count` rows (every `step`-th id) get a new name and updated_at = now(),
 * on the side that sends them.
 */
async function changeRows(db: BenchDatabase, table: string, rows: number, count: number, round: number) {
  const step = Math.max(1, Math.floor(rows / count));
  const result = (await db.knex.raw(
    `UPDATE ${table} SET updated_at = now(), name = 'changed ${round} ' || md5(id::text)
     WHERE id % ${step} = 0 AND id <= ${step * count}`,
  )) as { rowCount: number };
  return result.rowCount;
}

function tableConfig(name: string): Record<string, unknown> {
  return { name, primaryKey: 'id', timestampColumn: 'updated_at' };
}

/**
 * One environment's config: its master (the slave is the same database: `--no-local` never
 * uses it, but the config needs one), its tables and at most one remote, hq.
 */
function envConfig(
  environment: string,
  db: BenchDatabase,
  tables: string[],
  options: { batchSize?: number; hq?: { url: string; syncMode: string } },
): BenchConfig {
  return writeConfigFile({
    environment,
    mode: 'master-slave',
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    databases: { master: { url: db.url }, slave: { url: db.url } },
    replication: { tables: tables.map(tableConfig) },
    api: { keys: [KEY] },
    server: { listen: '127.0.0.1:0', rateLimit: { max: 100_000, windowSeconds: 60 } },
    ...(options.hq
      ? { remoteEnvironments: { hq: { url: options.hq.url, apiKey: KEY, syncMode: options.hq.syncMode } } }
      : {}),
  });
}

export async function runMulti(options: MultiBenchOptions): Promise<MultiFigures> {
  const { rows, smallRows, touched } = options;
  const noopTables = Array.from({ length: options.noopTables }, (_, i) => noopName(i));
  const dbs: BenchDatabase[] = [];
  const configs: BenchConfig[] = [];
  let server: ServeProcess | undefined;
  const profile = (name: string): string[] =>
    options.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}-${rows}.cpuprofile`]
      : [];
  try {
    const store = await createDatabase('postgres', 'multi_store');
    dbs.push(store);
    const hq = await createDatabase('postgres', 'multi_hq');
    dbs.push(hq);
    const store2 = await createDatabase('postgres', 'multi_store2');
    dbs.push(store2);
    const store3 = await createDatabase('postgres', 'multi_store3');
    dbs.push(store3);

    progress(`multi ${rows} rows: seeding`);
    const every = [BIG, SMALL, ...noopTables];
    for (const table of every) {
      await createItems(store, table);
      await createItems(hq, table);
    }
    await createItems(hq, HQ_ROWS);
    await createItems(store2, BIG);
    await createItems(store3, HQ_ROWS);
    await seed(store, BIG, 1, rows);
    await seed(hq, HQ_ROWS, 1, rows);
    await seed(store, SMALL, 1, smallRows);
    // (4): each side writes half of every small table; the first bidirectional run swaps them.
    const half = Math.floor(options.noopRows / 2);
    for (const table of noopTables) {
      await seed(store, table, 1, half);
      await seed(hq, table, half + 1, options.noopRows);
    }
    await vacuum(store, ...every);
    await vacuum(hq, ...every, HQ_ROWS);

    progress('multi: (1) COPY baseline store → hq');
    const pushCopy = await baselineCopy(store, hq, BIG, rows);

    const batch = options.batchSize ? { batchSize: options.batchSize } : {};
    const hqConfig = envConfig('hq', hq, [...every, HQ_ROWS], batch);
    configs.push(hqConfig);
    await runNsyncOk(['install'], hqConfig);
    server = await startServe(hqConfig, 'hq', profile('multi-serve'));
    const hqServer = server;
    const storeConfig = (tables: string[], syncMode: string, environment = 'store', db = store) => {
      const config = envConfig(environment, db, tables, { ...batch, hq: { url: hqServer.url, syncMode } });
      configs.push(config);
      return config;
    };
    const pushConfig = storeConfig([BIG, SMALL], 'push');
    const noopConfig = storeConfig(noopTables, 'bidirectional');
    const relayConfig = storeConfig([BIG], 'pull', 'store-2', store2);
    const pullConfig = storeConfig([HQ_ROWS], 'pull', 'store-3', store3);
    // Installed once with every table the store has: each run's config names some of them.
    const installConfig = storeConfig(every, 'push');
    await runNsyncOk(['install'], installConfig);

    const multi = async (config: BenchConfig, name: string, tables: string[]): Promise<MultiRun> => {
      const before = hqServer.usage();
      const run = await runNsyncOk(
        ['multi', '--no-local', ...tables.flatMap((t) => ['--table', t])],
        config,
        profile(`multi-${name}`),
      );
      const after = hqServer.usage();
      return {
        run,
        tables: run.result?.tables ?? [],
        server: { peakRssMb: after.peakRssMb, cpuMs: after.cpuMs - before.cpuMs },
      };
    };

    progress(`multi: (1) nsync multi push of ${rows} rows into hq's empty table`);
    await checkpoint(store, hq);
    const push = await multi(pushConfig, 'push', [BIG]);
    const pushSame = await same(store, hq, BIG, rows);

    /** A COPY of `table` from hq into the empty `into` (before nsync is installed there), then a timed pull. */
    const pullInto = async (
      step: string,
      into: BenchDatabase,
      label: string,
      table: string,
      config: BenchConfig,
    ) => {
      progress(`multi: ${step} COPY baseline hq → ${label}`);
      await vacuum(hq, table);
      const copy = await baselineCopy(hq, into, table, rows);
      await runNsyncOk(['install'], config);
      progress(`multi: ${step} nsync multi pull of ${rows} rows of ${table} into ${label}'s empty table`);
      await checkpoint(hq, into);
      const multiRun = await multi(config, `pull-${table}`, [table]);
      return { copyMs: copy.ms, multi: multiRun, same: await same(hq, into, table, rows) };
    };
    const relay = await pullInto('(2b)', store2, 'store-2', BIG, relayConfig);
    const pull = await pullInto('(2)', store3, 'store-3', HQ_ROWS, pullConfig);

    progress(`multi: (3) first push of the ${smallRows}-row table`);
    const smallInitial = await multi(pushConfig, 'small-initial', [SMALL]);
    let changesSame = await same(store, hq, SMALL, smallRows);

    const rounds: ChangeRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      progress(`multi: (3) round ${round}: ${touched} changed rows in ${rows} and in ${smallRows} rows`);
      const timed = async (table: string, size: number, name: string): Promise<MultiRun> => {
        const changed = await changeRows(store, table, size, touched, round);
        if (changed !== Math.min(touched, size)) throw new Error(`${table}: ${changed} rows changed`);
        await checkpoint(store, hq);
        const run = await multi(pushConfig, `${name}-${round}`, [table]);
        changesSame = (await same(store, hq, table, size)) && changesSame;
        return run;
      };
      const large = await timed(BIG, rows, 'changes-large');
      const small = await timed(SMALL, smallRows, 'changes-small');
      rounds.push({ large, small });
    }

    progress(`multi: (4) ${noopTables.length} tables of ${options.noopRows} rows, bidirectional`);
    const noopInitial = await multi(noopConfig, 'noop-initial', []);
    await checkpoint(store, hq);
    const idle = await multi(noopConfig, 'noop', []);
    await checkpoint(store, hq);
    const idleAgain = await multi(noopConfig, 'noop-again', []);
    let noopSame = true;
    for (const table of noopTables) noopSame = (await same(store, hq, table, options.noopRows)) && noopSame;

    const serverPeakRssMb = server.usage().peakRssMb;
    await server.stop();
    return {
      rows,
      smallRows,
      touched,
      push: { copyMs: pushCopy.ms, multi: push, same: pushSame },
      pull,
      relay,
      smallInitial,
      changes: { rounds, same: changesSame },
      noop: {
        tables: noopTables.length,
        rowsPerTable: options.noopRows,
        initial: noopInitial,
        idle,
        idleAgain,
        same: noopSame,
      },
      serverPeakRssMb,
      serverErrors: server.errors,
    };
  } finally {
    await server?.stop().catch(() => undefined);
    for (const config of configs) config.dispose();
    for (const db of dbs) await db.drop().catch(() => undefined);
  }
}
