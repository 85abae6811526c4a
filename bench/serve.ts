import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { Agent, request } from 'undici';
import { BIN, runNsyncOk, writeConfigFile, type BenchConfig } from './cli.js';
import { baselineCopy, checkpoint } from './copyBaseline.js';
import { withDatabases, type BenchDatabase } from './databases.js';
import { createItems, sameRows, seedItems } from './items.js';
import { progress } from './report.js';

const gunzip = promisify(gunzipCallback);
const gzip = promisify(gzipCallback);

/**
 * `nsync serve` over loopback, as the issue asks:
 *   (1) `/v1/pull` of the whole table, page by page, into a client in this process;
 *   (2) the whole move pull from server A → push into server B (an empty table), against a COPY pipe A → B;
 *   (3) many clients pushing their own rows into one table of server B at once.
 * Both servers are `node bin/nsync serve` child processes; only 127.0.0.1 is used.
 */
export interface ServeOptions {
  rows: number;
  batchSize?: number;
  /** (3): clients, batches per client, rows per batch. */
  clients: number;
  clientBatches: number;
  clientRows: number;
  /** gzip the bodies of (2)'s pushes. */
  gzipPush: boolean;
  /** When set, each serve process writes a V8 CPU profile here. */
  profileDir?: string;
}

export interface ServerUse {
  /** VmHWM of the serve process when read. */
  peakRssMb: number;
  /** User + system CPU of the serve process during the phase. */
  cpuMs: number;
}

export interface ServeFigures {
  rows: number;
  /** Rows asked for in each pull. */
  limit: number;
  gzipPush: boolean;
  /** (1) */
  pull: {
    ms: number;
    rows: number;
    pages: number;
    /** Bytes on the wire (gzip) and once decompressed. */
    wireBytes: number;
    jsonBytes: number;
    clientCpuMs: number;
    server: ServerUse;
  };
  /** (2) COPY TO STDOUT → COPY FROM STDIN, A → B. */
  copyMs: number;
  pipe: {
    ms: number;
    /** Time spent waiting for push responses only. */
    pushMs: number;
    rows: number;
    batches: number;
    /** Whether the server applied every batch as a fresh copy (no lookups). */
    allFresh: boolean;
    clientCpuMs: number;
    source: ServerUse;
    target: ServerUse;
    /** Rows in B's table at the end, and whether they equal A's. */
    targetRows: number;
    same: boolean;
  };
  /** (3) */
  burst: {
    clients: number;
    clientBatches: number;
    clientRows: number;
    ms: number;
    requests: number;
    /** Requests that did not answer 200, with the first few reasons. */
    errors: number;
    reasons: string[];
    latencyMs: { p50: number; p99: number; max: number };
    tableRows: number;
    /** pg_stat_database.deadlocks of database B once its server has stopped. */
    deadlocks: number;
    server: ServerUse;
  };
}

const KEY = randomBytes(16).toString('hex');
const CLIENT = 'bench';
const LOCAL = '127.0.0.1';

/** One `nsync serve` child process, listening on a free loopback port. */
export interface ServeProcess {
  url: string;
  pid: number;
  /** Log lines at level error or above. */
  errors: string[];
  usage(): { peakRssMb: number; cpuMs: number };
  stop(): Promise<void>;
}

function procStatus(pid: number): { peakRssMb: number; cpuMs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    // Fields after the command name: state is field 3, utime and stime fields 14 and 15 (clock ticks, 100/s).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN, cpuMs: ticks * 10 };
  } catch {
    return { peakRssMb: NaN, cpuMs: NaN };
  }
}

export async function startServe(
  config: BenchConfig,
  name: string,
  nodeFlags: string[],
): Promise<ServeProcess> {
  const args = [...nodeFlags, BIN, 'serve', config.file, '--listen', `${LOCAL}:0`];
  const child = spawn(process.execPath, args, {
    cwd: config.dir,
    env: { ...process.env, NSYNC_LOCK_DIR: config.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  const tail: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  // Should the bench itself exit early (SIGINT), the server goes with it.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<void>((done) =>
    child.once('close', () => {
      process.removeListener('exit', orphan);
      done();
    }),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(hard);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: not listening after 30 s`)), 30_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        let entry: { level?: number; msg?: string; url?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if ((entry.level ?? 0) >= 50) errors.push(line.slice(0, 400));
        if (entry.msg === 'nsync serve listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name}: nsync serve exited early: ${stderr.trim() || tail.join('\n')}`));
      });
    });
    if (!new URL(url).hostname.startsWith('127.')) throw new Error(`${name} listens on ${url}, not loopback`);
    const pid = child.pid as number;
    return { url, pid, errors, usage: () => procStatus(pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Reply {
  status: number;
  json: unknown;
  text: string;
  wireBytes: number;
  jsonBytes: number;
}

/** One POST with a JSON body (gzip-compressed when asked), accepting a gzip answer. */
async function post(
  agent: Agent,
  base: string,
  path: string,
  payload: unknown,
  gzipBody = false,
): Promise<Reply> {
  const text = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'accept-encoding': 'gzip',
    'x-api-key': KEY,
  };
  let body: string | Buffer = text;
  if (gzipBody) {
    body = await gzip(text, { level: 1 });
    headers['content-encoding'] = 'gzip';
  }
  const response = await request(`${base}${path}`, { method: 'POST', headers, body, dispatcher: agent });
  const raw = Buffer.from(await response.body.arrayBuffer());
  const plain = response.headers['content-encoding'] === 'gzip' ? await gunzip(raw) : raw;
  const answer = plain.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(answer);
  } catch {
    json = undefined;
  }
  return {
    status: response.statusCode,
    json,
    text: answer,
    wireBytes: raw.length,
    jsonBytes: plain.length,
  };
}

function expectOk(reply: Reply, what: string): Record<string, unknown> {
  if (reply.status !== 200 || typeof reply.json !== 'object' || reply.json === null) {
    throw new Error(`${what}: HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
  return reply.json as Record<string, unknown>;
}

interface Page {
  changes: unknown[];
  cursor: string;
  more: boolean;
  wireBytes: number;
  jsonBytes: number;
}

async function pullPage(agent: Agent, base: string, cursor: string | null, limit: number): Promise<Page> {
  const reply = await post(agent, base, '/v1/pull', { table: 'items', cursor, requester: CLIENT, limit });
  const body = expectOk(reply, 'POST /v1/pull');
  if (!Array.isArray(body.changes) || typeof body.cursor !== 'string' || typeof body.more !== 'boolean') {
    throw new Error(`POST /v1/pull: unexpected answer ${reply.text.slice(0, 300)}`);
  }
  return {
    changes: body.changes as unknown[],
    cursor: body.cursor,
    more: body.more,
    wireBytes: reply.wireBytes,
    jsonBytes: reply.jsonBytes,
  };
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** (1) Every page of the table, each decompressed and parsed, following the cursor. */
async function pullAll(agent: Agent, server: ServeProcess, limit: number): Promise<ServeFigures['pull']> {
  const cpu = process.cpuUsage();
  const serverCpu = server.usage().cpuMs;
  const started = performance.now();
  let cursor: string | null = null;
  let rows = 0;
  let pages = 0;
  let wireBytes = 0;
  let jsonBytes = 0;
  for (;;) {
    const page: Page = await pullPage(agent, server.url, cursor, limit);
    rows += page.changes.length;
    pages += 1;
    wireBytes += page.wireBytes;
    jsonBytes += page.jsonBytes;
    if (!page.more) break;
    cursor = page.cursor;
  }
  const ms = performance.now() - started;
  const usage = server.usage();
  return {
    ms,
    rows,
    pages,
    wireBytes,
    jsonBytes,
    clientCpuMs: cpuMs(cpu),
    server: { peakRssMb: usage.peakRssMb, cpuMs: usage.cpuMs - serverCpu },
  };
}

/** (2) Pull from A, push to B as fresh snapshot pages; the next pull overlaps the current push. */
async function pipe(
  agent: Agent,
  source: ServeProcess,
  target: ServeProcess,
  limit: number,
  gzipPush: boolean,
): Promise<Omit<ServeFigures['pipe'], 'targetRows' | 'same'>> {
  const cpu = process.cpuUsage();
  const [sourceCpu, targetCpu] = [source.usage().cpuMs, target.usage().cpuMs];
  const started = performance.now();
  const snapshot = expectOk(
    await post(agent, target.url, '/v1/snapshot', { table: 'items', origin: CLIENT }),
    'POST /v1/snapshot',
  );
  if (snapshot.empty !== true)
    throw new Error(`POST /v1/snapshot: the target is not empty (${snapshot.empty})`);
  let pushMs = 0;
  let rows = 0;
  let batches = 0;
  let allFresh = true;
  let next = pullPage(agent, source.url, null, limit);
  for (;;) {
    next.catch(() => undefined); // awaited below; a failure while a push runs is not unhandled
    const page: Page = await next;
    if (page.more) next = pullPage(agent, source.url, page.cursor, limit);
    if (page.changes.length > 0) {
      batches += 1;
      const pushed = performance.now();
      const body = {
        table: 'items',
        origin: CLIENT,
        batchId: `b${batches}`,
        changes: page.changes,
        fresh: true,
      };
      const result = expectOk(await post(agent, target.url, '/v1/push', body, gzipPush), 'POST /v1/push');
      pushMs += performance.now() - pushed;
      rows += Number(result.applied);
      if (result.fresh !== true) allFresh = false;
    }
    if (!page.more) break;
  }
  const ms = performance.now() - started;
  const [sourceUse, targetUse] = [source.usage(), target.usage()];
  return {
    ms,
    pushMs,
    rows,
    batches,
    allFresh,
    clientCpuMs: cpuMs(cpu),
    source: { peakRssMb: sourceUse.peakRssMb, cpuMs: sourceUse.cpuMs - sourceCpu },
    target: { peakRssMb: targetUse.peakRssMb, cpuMs: targetUse.cpuMs - targetCpu },
  };
}

/** A row like the seeded ones (items.ts), as an upsert change in nsync's wire format. */
function itemChange(id: number): Record<string, unknown> {
  const micros = String(((id * 7919) % 99999) * 10 + 1).padStart(6, '0');
  const at = new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString().replace(/\.\d{3}Z$/, `.${micros}Z`);
  const name = `item ${createHash('md5').update(String(id)).digest('hex')} ${String(id).padStart(12, '0')}`;
  const row = { id, name, qty: id % 1000, price: ((id % 100000) / 100).toFixed(2), updated_at: at };
  return { op: 'upsert', key: [id], row, at };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** (3) `clients` clients at once, each pushing its own id range in `clientBatches` batches. */
async function burst(
  agent: Agent,
  server: ServeProcess,
  options: ServeOptions,
): Promise<Omit<ServeFigures['burst'], 'tableRows' | 'deadlocks'>> {
  const { clients, clientBatches, clientRows } = options;
  const latencies: number[] = [];
  const reasons: string[] = [];
  let errors = 0;
  const serverCpu = server.usage().cpuMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let b = 0; b < clientBatches; b++) {
        const first = (c * clientBatches + b) * clientRows + 1;
        const changes = Array.from({ length: clientRows }, (_, i) => itemChange(first + i));
        const body = { table: 'burst', origin: `${CLIENT}-c${c}`, batchId: `c${c}-b${b}`, changes };
        const sent = performance.now();
        try {
          const reply = await post(agent, server.url, '/v1/push', body);
          latencies.push(performance.now() - sent);
          const applied = (reply.json as { applied?: unknown } | undefined)?.applied;
          if (reply.status !== 200 || applied !== clientRows) {
            errors += 1;
            if (reasons.length < 5) reasons.push(`HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
          }
        } catch (error) {
          errors += 1;
          if (reasons.length < 5) reasons.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const ms = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  const usage = server.usage();
  return {
    clients,
    clientBatches,
    clientRows,
    ms,
    requests: clients * clientBatches,
    errors,
    reasons,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
    server: { peakRssMb: usage.peakRssMb, cpuMs: usage.cpuMs - serverCpu },
  };
}

function serveConfig(environment: string, db: BenchDatabase, tables: string[], batchSize?: number) {
  return writeConfigFile({
    environment,
    mode: 'master-slave',
    ...(batchSize ? { batchSize } : {}),
    // A server exposes its master; the mode still needs a slave, here the same database.
    databases: { master: { url: db.url }, slave: { url: db.url } },
    replication: {
      tables: tables.map((name) => ({ name, primaryKey: 'id', timestampColumn: 'updated_at' })),
    },
    api: { keys: [KEY] },
    // (3) sends many requests with one key in a few seconds.
    server: { listen: `${LOCAL}:0`, rateLimit: { max: 100_000, windowSeconds: 60 } },
  });
}

async function countRows(db: BenchDatabase, table: string): Promise<number> {
  const result = (await db.knex.raw(`SELECT count(*)::int AS n FROM ${table}`)) as { rows: { n: number }[] };
  return Number(result.rows[0]?.n);
}

async function deadlocks(db: BenchDatabase): Promise<number> {
  const result = (await db.knex.raw(
    'SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()',
  )) as { rows: { n: number }[] };
  return Number(result.rows[0]?.n);
}

export function runServe(options: ServeOptions): Promise<ServeFigures> {
  const { rows } = options;
  const limit = options.batchSize ?? 5000;
  return withDatabases('postgres', ['serve_a', 'serve_b'], async ([a, b]) => {
    if (!a || !b) throw new Error('two databases expected');
    progress(`serve ${rows} rows: seeding`);
    await createItems(a);
    await createItems(b);
    await createItems(b, 'burst');
    await seedItems(a, rows);

    progress('serve: COPY baseline A → B');
    const copy = await baselineCopy(a, b, 'items', rows);

    const configs = [
      serveConfig('serve-a', a, ['items'], options.batchSize),
      serveConfig('serve-b', b, ['items', 'burst'], options.batchSize),
    ];
    const servers: ServeProcess[] = [];
    const agent = new Agent({
      connections: options.clients + 4,
      keepAliveTimeout: 30_000,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    try {
      for (const config of configs) await runNsyncOk(['install'], config);
      const [configA, configB] = configs as [BenchConfig, BenchConfig];
      const flags = (name: string): string[] =>
        options.profileDir
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${options.profileDir}`,
              `--cpu-prof-name=${name}-${rows}.cpuprofile`,
            ]
          : [];
      const source = await startServe(configA, 'server A', flags('serve-a'));
      servers.push(source);
      const target = await startServe(configB, 'server B', flags('serve-b'));
      servers.push(target);

      progress(`serve: (1) /v1/pull of ${rows} rows from server A`);
      await checkpoint(a, b);
      const pull = await pullAll(agent, source, limit);

      progress(`serve: (2) pull A → push B${options.gzipPush ? ' (gzip bodies)' : ''}`);
      await checkpoint(a, b);
      const moved = await pipe(agent, source, target, limit, options.gzipPush);
      const targetRows = await countRows(b, 'items');
      const same = await sameRows(a, b);

      const { clients, clientBatches, clientRows } = options;
      progress(`serve: (3) ${clients} clients × ${clientBatches} pushes × ${clientRows} rows into server B`);
      const crowd = await burst(agent, target, options);
      await agent.close();
      for (const server of servers) await server.stop();
      const serverErrors = servers.flatMap((s) => s.errors);
      if (serverErrors.length > 0) progress(`server errors logged:\n${serverErrors.slice(0, 5).join('\n')}`);

      return {
        rows,
        limit,
        gzipPush: options.gzipPush,
        pull,
        copyMs: copy.ms,
        pipe: { ...moved, targetRows, same },
        burst: { ...crowd, tableRows: await countRows(b, 'burst'), deadlocks: await deadlocks(b) },
      };
    } finally {
      await agent.destroy().catch(() => undefined);
      for (const server of servers) await server.stop().catch(() => undefined);
      for (const config of configs) config.dispose();
    }
  });
}
