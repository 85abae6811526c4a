import { gunzipSync } from 'node:zlib';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { syncMulti, silentReporter, type RunResult } from '../../src/index.js';
import { canonicalTimestamp, compareTimestamps } from '../../src/core/timestamp.js';
import {
  clearHttpEnvironment,
  closedPortUrl,
  multiConfig,
  redeliver,
  startHttpEnvironment,
  stopHttpEnvironment,
  type HttpEnvironment,
  type RemoteSpec,
} from '../helpers/httpEnvironments.js';

/**
 * Convergence and last-write-wins across three environments that exchange over HTTP
 * (DESIGN §1.1–1.5, §4, §6): `hq`, `store-a` and `store-b`, each a SQLite master with its
 * own in-process `nsync serve` behind a proxy that can drop a request. Both stores run
 * `nsync multi` (pull, then push) with hq; in some cases store-a also exchanges with
 * store-b directly. hq has no remotes of its own: it changes only by its application's
 * writes and by what the stores bring.
 *
 * A case is a random sequence of steps:
 * - application writes on any environment (inserts, updates, re-inserts of deleted keys, on
 *   keys 1..8, so environments conflict), with a new time, the newest time already used
 *   (an equal-time tie, on any key), or the row's own time kept (an update that keeps
 *   `updated_at`);
 * - application deletes (stamped by the database clock, read back from the change log);
 * - `nsync multi` runs of either store, some of which fail part way: the proxy of one remote
 *   drops its n-th request before the server sees it or after the server has answered
 *   (a push committed, its reply lost), or the remote's address is a closed port. A run
 *   reports failure exactly when a fault happened, and only for the faulty remote. A run
 *   may also see application writes on a remote while it is between two requests to it
 *   (the proxy holds the request until they are done);
 * - a push body that went through a proxy, delivered again to its server (same batch id:
 *   applied once, answered as a replay; a batch whose first delivery was dropped is
 *   applied now, late and out of order);
 * - a store's stored cursor set back to a value it held earlier, or removed (a new snapshot).
 *
 * Then writes stop, both stores run three rounds (a, b; b, a; a, b), every run must succeed,
 * all three masters must hold the same rows, and each key must hold one of its newest
 * versions (a delete is a version; equal-time versions are settled by the hash tie-break,
 * which this model does not predict).
 *
 * Times follow the wall clock (deletes are stamped by the database's clock): each new write
 * is strictly after every earlier one. SQLite keeps milliseconds.
 */

type EnvName = 'hq' | 'store-a' | 'store-b';
type StoreName = 'store-a' | 'store-b';
const ENVS: EnvName[] = ['hq', 'store-a', 'store-b'];
const KEYS = 8;

/** `peer` is store-b for store-a when the two are linked, else hq. */
type RemoteChoice = 'hq' | 'peer';

type Fault =
  | { kind: 'none' }
  | { kind: 'drop'; remote: RemoteChoice; failOn: number; when: 'before' | 'after' }
  | { kind: 'down'; remote: RemoteChoice };

type WriteStep = {
  kind: 'write';
  env: EnvName;
  id: number;
  name: string;
  qty: number;
  time: 'new' | 'last' | 'kept';
};
type DeleteStep = { kind: 'delete'; env: EnvName; id: number };

/** An application write on a remote while a store's run is between two requests to it. */
interface During {
  remote: RemoteChoice;
  /** Before which request to that remote (1-based). */
  at: number;
  ops: (Omit<WriteStep, 'env'> | Omit<DeleteStep, 'env'>)[];
}

type Step =
  | WriteStep
  | DeleteStep
  | { kind: 'run'; store: StoreName; fault: Fault; during: During | null }
  | { kind: 'redeliver'; pick: number; late: boolean }
  | { kind: 'rewind'; store: StoreName; pick: number };

interface Case {
  /** Whether store-a also exchanges with store-b. */
  link: boolean;
  steps: Step[];
}

interface Version {
  ts: string;
  env: EnvName;
  /** The row written, or null for a delete. */
  row: { name: string; qty: number } | null;
}

interface Row {
  id: number;
  name: string;
  qty: number;
  price: string | null;
  note: string | null;
  updated_at: string;
}

const envArb = fc.constantFrom<EnvName>(...ENVS);
const storeArb = fc.constantFrom<StoreName>('store-a', 'store-b');
const remoteArb = fc.constantFrom<RemoteChoice>('hq', 'peer');

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      remote: remoteArb,
      failOn: fc.integer({ min: 1, max: 10 }),
      when: fc.constantFrom<'before' | 'after'>('before', 'after'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('down' as const), remote: remoteArb }) },
);

const writeArb = fc.record({
  kind: fc.constant('write' as const),
  id: fc.integer({ min: 1, max: KEYS }),
  name: fc.constantFrom('apple', 'pear', 'plum'),
  qty: fc.integer({ min: 0, max: 3 }),
  time: fc.constantFrom<'new' | 'last' | 'kept'>('new', 'new', 'new', 'last', 'kept'),
});
const deleteArb = fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: KEYS }) });

const duringArb: fc.Arbitrary<During | null> = fc.option(
  fc.record({
    remote: remoteArb,
    at: fc.integer({ min: 1, max: 10 }),
    ops: fc.array(fc.oneof(writeArb, deleteArb), { minLength: 1, maxLength: 2 }),
  }),
  { freq: 2 },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(writeArb, envArb).map(([w, env]): Step => ({ ...w, env })) },
  { weight: 3, arbitrary: fc.tuple(deleteArb, envArb).map(([d, env]): Step => ({ ...d, env })) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      store: storeArb,
      fault: faultArb,
      during: duringArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(1000), late: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('rewind' as const), store: storeArb, pick: fc.nat(1000) }),
  },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  link: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 22 }),
});

const msOf = (canonical: string) => Date.parse(canonical);
const sqlText = (canonical: string) => canonical.replace('T', ' ').replace('Z', '');

function brief(result: RunResult): string {
  return result.tables
    .map((t) => {
      const c = t.counts;
      const moved = `+${c.inserted} ~${c.updated} -${c.deleted} older:${c.skippedOlder} same:${c.unchanged}`;
      return `${t.direction} ${t.ok ? moved : `FAILED ${t.error ?? ''}`}`;
    })
    .join('; ');
}

interface CursorRow {
  peer: string;
  direction: string;
  position: string;
}

/** Three environments started once; each case empties them. */
class World {
  link = false;
  readonly history = new Map<number, Version[]>();
  private maxTs: string | null = null;
  private readonly cursors: Record<StoreName, CursorRow[]> = { 'store-a': [], 'store-b': [] };
  readonly trace: string[] = [];

  constructor(readonly envs: Record<EnvName, HttpEnvironment>) {}

  async reset(link: boolean): Promise<void> {
    for (const name of ENVS) await clearHttpEnvironment(this.envs[name]);
    this.link = link;
    this.history.clear();
    this.maxTs = null;
    this.cursors['store-a'] = [];
    this.cursors['store-b'] = [];
    this.trace.length = 0;
    this.trace.push(`link store-a ⇄ store-b: ${link}`);
  }

  remotesOf(store: StoreName): EnvName[] {
    return store === 'store-a' && this.link ? ['hq', 'store-b'] : ['hq'];
  }

  private resolve(store: StoreName, choice: RemoteChoice): EnvName {
    return choice === 'peer' && store === 'store-a' && this.link ? 'store-b' : 'hq';
  }

  /** Waits until the clock is past every time used so far, so what comes next is newer. */
  private async pastMax(): Promise<number> {
    const last = this.maxTs === null ? 0 : msOf(this.maxTs);
    while (Date.now() <= last) await new Promise((r) => setTimeout(r, 1));
    return Date.now();
  }

  private record(id: number, version: Version): void {
    const list = this.history.get(id) ?? [];
    list.push(version);
    this.history.set(id, list);
    if (this.maxTs === null || compareTimestamps(version.ts, this.maxTs, 6) > 0) this.maxTs = version.ts;
  }

  async step(step: Step): Promise<void> {
    switch (step.kind) {
      case 'write':
        return this.write(step);
      case 'delete':
        return this.delete(step);
      case 'run':
        await this.run(step.store, step.fault, step.during);
        return;
      case 'redeliver':
        return this.redeliver(step.pick, step.late);
      case 'rewind':
        return this.rewind(step.store, step.pick);
    }
  }

  private async write(s: WriteStep, note = ''): Promise<void> {
    const knex = this.envs[s.env].db.knex;
    const existing = (await knex('items').where({ id: s.id }).first()) as { updated_at: string } | undefined;
    let ts: string;
    if (s.time === 'last' && this.maxTs !== null) ts = this.maxTs;
    else if (s.time === 'kept' && existing) ts = canonicalTimestamp(String(existing.updated_at));
    else ts = canonicalTimestamp(new Date(await this.pastMax()));
    const values = { name: s.name, qty: s.qty, updated_at: sqlText(ts) };
    if (existing) await knex('items').where({ id: s.id }).update(values);
    else await knex('items').insert({ id: s.id, ...values });
    this.record(s.id, { ts, env: s.env, row: { name: s.name, qty: s.qty } });
    this.trace.push(`${s.env}: ${existing ? 'update' : 'insert'} ${s.id} ${s.name}/${s.qty} @${ts}${note}`);
  }

  private async delete(s: DeleteStep, note = ''): Promise<void> {
    const knex = this.envs[s.env].db.knex;
    if ((await knex('items').where({ id: s.id }).first()) === undefined) return;
    await this.pastMax();
    await knex('items').where({ id: s.id }).delete();
    const entry = (await knex('nsync_changes')
      .where({ table_name: 'items', op: 'delete', pk: JSON.stringify([String(s.id)]) })
      .first()) as { changed_at: string } | undefined;
    if (!entry) throw new Error(`no tombstone recorded for id ${s.id} on ${s.env}`);
    const ts = canonicalTimestamp(String(entry.changed_at));
    this.record(s.id, { ts, env: s.env, row: null });
    this.trace.push(`${s.env}: delete ${s.id} @${ts}${note}`);
  }

  /**
   * `nsync multi` in `store`, with at most one fault (it must fail exactly when the fault
   * happened) and perhaps an application write on a remote while the run is under way.
   */
  async run(
    store: StoreName,
    fault: Fault = { kind: 'none' },
    during: During | null = null,
  ): Promise<RunResult> {
    const remotes = this.remotesOf(store);
    const faulty = fault.kind === 'none' ? null : this.resolve(store, fault.remote);
    const specs: RemoteSpec[] = [];
    for (const name of remotes) {
      const down = fault.kind === 'down' && name === faulty;
      specs.push({ name, url: down ? await closedPortUrl() : this.envs[name].proxy.url });
    }
    const busy = during ? this.resolve(store, during.remote) : null;
    let duringError: unknown = null;
    for (const name of remotes) {
      const plan =
        fault.kind === 'drop' && name === faulty ? { failOn: fault.failOn, when: fault.when } : null;
      const hook =
        during && name === busy
          ? {
              at: during.at,
              run: async () => {
                const note = ` (during ${store}'s run)`;
                try {
                  for (const op of during.ops) {
                    if (op.kind === 'write') await this.write({ ...op, env: name }, note);
                    else await this.delete({ ...op, env: name }, note);
                  }
                } catch (error) {
                  duringError = error;
                }
              },
            }
          : null;
      this.envs[name].proxy.arm(plan, hook);
    }
    let result: RunResult;
    let fired: boolean;
    let requests = '';
    try {
      result = await syncMulti(multiConfig(this.envs[store], specs), {
        reporter: silentReporter,
        local: false,
      });
    } finally {
      fired = fault.kind === 'down' || (faulty !== null && this.envs[faulty].proxy.fired);
      if (fault.kind === 'drop' && faulty) requests = ` (${this.envs[faulty].proxy.seen.join(', ')})`;
      for (const name of remotes) this.envs[name].proxy.arm(null);
    }
    if (duringError) throw duringError;
    const what =
      fault.kind === 'none'
        ? ''
        : ` [${fault.kind} ${faulty ?? ''}${fired ? '' : ', not reached'}${requests}]`;
    this.trace.push(`${store}: multi${what}: ${brief(result)}`);

    const failures = result.tables.filter((t) => !t.ok);
    // Loud failure (DESIGN §1.7): failed exactly when a fault happened, naming the remote and the table.
    expect({ ok: result.ok, failedRemotes: [...new Set(failures.map((t) => t.remote))] }).toEqual({
      ok: !fired,
      failedRemotes: fired ? [faulty] : [],
    });
    for (const failure of failures) expect(failure.error).toMatch(/^items \(/);
    expect(result.tables.map((t) => t.remote).sort()).toEqual(remotes.flatMap((r) => [r, r]).sort());

    const rows = (await this.envs[store].db
      .knex('nsync_cursors')
      .select('peer', 'direction', 'position')
      .where({ table_name: 'items' })) as CursorRow[];
    for (const row of rows) {
      const seen = this.cursors[store].some(
        (c) => c.peer === row.peer && c.direction === row.direction && c.position === row.position,
      );
      if (!seen)
        this.cursors[store].push({ peer: row.peer, direction: row.direction, position: row.position });
    }
    return result;
  }

  /**
   * A push that went through a proxy, delivered again: applied once per batch id. `late`
   * prefers one whose first delivery was dropped before the server saw it: applied now, late.
   */
  private async redeliver(pick: number, late: boolean): Promise<void> {
    const captured = [];
    for (const name of ENVS) {
      const env = this.envs[name];
      for (const push of env.proxy.pushes) {
        const raw = push.headers['content-encoding'] === 'gzip' ? gunzipSync(push.body) : push.body;
        const body = JSON.parse(raw.toString('utf8')) as { origin: string; batchId: string };
        const where = { origin: body.origin, batch_id: body.batchId };
        const before = (await env.db.knex('nsync_batches').where(where).first()) !== undefined;
        captured.push({ name, env, push, body, where, before });
      }
    }
    const dropped = captured.filter((c) => !c.before);
    const from = late && dropped.length > 0 ? dropped : captured;
    if (from.length === 0) return;
    const { name, env, push, body, where, before } = from[pick % from.length] as (typeof captured)[number];
    const answer = await redeliver(env, push);
    this.trace.push(
      `redeliver to ${name} batch ${body.batchId} from ${body.origin} (${before ? 'applied before' : 'never applied'}): ${answer.status} ${answer.text}`,
    );
    expect({ status: answer.status, replayed: (answer.json as { replayed?: boolean }).replayed }).toEqual({
      status: 200,
      replayed: before,
    });
    expect(await env.db.knex('nsync_batches').where(where).first()).toBeDefined();
  }

  /** Sets a store's cursor back to a value it held before, or removes it. */
  private async rewind(store: StoreName, pick: number): Promise<void> {
    const seen = this.cursors[store];
    if (seen.length === 0) return;
    const index = pick % (2 * seen.length);
    const cursor = seen[index % seen.length] as CursorRow;
    const knex = this.envs[store].db.knex;
    const where = { peer: cursor.peer, table_name: 'items', direction: cursor.direction };
    if (index >= seen.length) {
      await knex('nsync_cursors').where(where).delete();
      this.trace.push(`${store}: cursor ${cursor.peer}/${cursor.direction} removed`);
    } else {
      await knex('nsync_cursors')
        .insert({ ...where, position: cursor.position, updated_at: sqlText(new Date().toISOString()) })
        .onConflict(['peer', 'table_name', 'direction'])
        .merge();
      this.trace.push(`${store}: cursor ${cursor.peer}/${cursor.direction} set back to #${index}`);
    }
  }

  async readRows(env: EnvName): Promise<Row[]> {
    const rows = (await this.envs[env].db
      .knex('items')
      .select('id', 'name', 'qty', 'price', 'note', 'updated_at')
      .orderBy('id')) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: Number(r.id),
      name: String(r.name),
      qty: Number(r.qty),
      price: r.price === null ? null : String(r.price),
      note: r.note === null ? null : String(r.note),
      updated_at: canonicalTimestamp(String(r.updated_at)),
    }));
  }

  /** Writes stop; three rounds of both stores, in both orders; then the same rows everywhere, each key at a newest version. */
  async quiesceAndCheck(): Promise<void> {
    this.trace.push('--- writes stop ---');
    for (const order of [
      ['store-a', 'store-b'],
      ['store-b', 'store-a'],
      ['store-a', 'store-b'],
    ] as StoreName[][]) {
      for (const store of order) await this.run(store);
    }
    const [onHq, onA, onB] = await Promise.all(ENVS.map((e) => this.readRows(e)));
    expect({ 'store-a': onA, 'store-b': onB }).toEqual({ 'store-a': onHq, 'store-b': onHq });
    const byId = new Map((onHq as Row[]).map((r) => [r.id, r]));
    for (let id = 1; id <= KEYS; id++) {
      const actual = byId.get(id) ?? null;
      const versions = this.history.get(id) ?? [];
      if (versions.length === 0) {
        expect({ id, actual }).toEqual({ id, actual: null });
        continue;
      }
      const newest = versions.reduce((m, v) => (compareTimestamps(v.ts, m.ts, 6) > 0 ? v : m));
      const winners = versions.filter((v) => compareTimestamps(v.ts, newest.ts, 6) === 0);
      const allowed = winners.map((v) =>
        v.row ? { id, ...v.row, price: null, note: null, updated_at: v.ts } : null,
      );
      if (!allowed.some((w) => JSON.stringify(w) === JSON.stringify(actual))) {
        throw new Error(
          `id ${id}: every environment holds ${JSON.stringify(actual)}, expected one of ${JSON.stringify(allowed)}; ` +
            `history ${JSON.stringify(versions)}`,
        );
      }
    }
  }
}

async function runCase(world: World, c: Case): Promise<void> {
  await world.reset(c.link);
  try {
    for (const step of c.steps) await world.step(step);
    await world.quiesceAndCheck();
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- trace ---\n${world.trace.join('\n')}`;
    throw error;
  }
}

const write = (env: EnvName, id: number, qty: number, time: 'new' | 'last' | 'kept' = 'new'): Step => ({
  kind: 'write',
  env,
  id,
  name: 'apple',
  qty,
  time,
});
const run = (store: StoreName, fault: Fault = { kind: 'none' }, during: During | null = null): Step => ({
  kind: 'run',
  store,
  fault,
  during,
});

/** Cases worth keeping on their own (each also shows what a step means). */
const EXAMPLES: [string, Case][] = [
  [
    'a row deleted at hq while a store copies the table into it for the first time stays deleted',
    {
      link: false,
      steps: [
        write('store-a', 1, 0),
        // Requests to hq: /v1/info, three /v1/pull, /v1/snapshot (hq is empty), then the first /v1/push.
        run(
          'store-a',
          { kind: 'none' },
          {
            remote: 'hq',
            at: 6,
            ops: [
              { kind: 'write', id: 1, name: 'pear', qty: 1, time: 'new' },
              { kind: 'delete', id: 1 },
            ],
          },
        ),
      ],
    },
  ],
  [
    'a first-copy push delivered late does not bring back a row deleted meanwhile',
    {
      link: false,
      steps: [
        write('store-a', 1, 0),
        run('store-a', { kind: 'drop', remote: 'hq', failOn: 6, when: 'before' }),
        write('hq', 1, 1),
        { kind: 'delete', env: 'hq', id: 1 },
        { kind: 'redeliver', pick: 0, late: true },
      ],
    },
  ],
  [
    'a delete at one store reaches the other through hq, and an older row does not come back',
    {
      link: false,
      steps: [
        write('store-a', 1, 0),
        write('store-b', 2, 0),
        run('store-a'),
        run('store-b'),
        { kind: 'delete', env: 'store-b', id: 1 },
        run('store-b'),
        write('hq', 2, 1),
      ],
    },
  ],
  [
    'a push whose reply was lost, sent again in the next run and delivered a third time, is harmless',
    {
      link: false,
      steps: [
        ...[1, 2, 3, 4, 5].map((id) => write('store-a', id, id % 4)),
        // Requests to hq: /v1/info, three /v1/pull, /v1/snapshot, then pushes of two rows each.
        run('store-a', { kind: 'drop', remote: 'hq', failOn: 7, when: 'after' }),
        { kind: 'redeliver', pick: 1, late: false },
        { kind: 'delete', env: 'hq', id: 2 },
        run('store-a'),
        { kind: 'redeliver', pick: 1, late: false },
      ],
    },
  ],
  [
    'cursors set back or removed only re-send what was sent',
    {
      link: true,
      steps: [
        write('store-a', 1, 0),
        write('store-b', 2, 0),
        write('hq', 3, 0),
        run('store-a'),
        run('store-b'),
        { kind: 'delete', env: 'store-a', id: 3 },
        run('store-a', { kind: 'down', remote: 'hq' }),
        { kind: 'rewind', store: 'store-a', pick: 0 },
        { kind: 'rewind', store: 'store-a', pick: 3 },
        run('store-a'),
      ],
    },
  ],
  [
    'equal-time edits at different environments settle on one version everywhere',
    {
      link: true,
      steps: [
        write('store-a', 1, 0),
        ...[2, 3, 4, 5, 6].map((id) => write('store-a', id, 0, 'last')),
        run('store-a'),
        ...[1, 2, 3, 4, 5, 6].map((id) => write('store-b', id, 1, 'last')),
        ...[1, 2, 3, 4, 5, 6].map((id) => write('hq', id, 2, 'kept')),
      ],
    },
  ],
];

describe('three environments over HTTP converge to the newest write (property)', () => {
  const envs: Partial<Record<EnvName, HttpEnvironment>> = {};
  let world: World;

  beforeAll(async () => {
    for (const name of ENVS) envs[name] = await startHttpEnvironment(name);
    world = new World(envs as Record<EnvName, HttpEnvironment>);
  });

  afterAll(async () => {
    for (const name of ENVS) await stopHttpEnvironment(envs[name]);
  });

  it.each(EXAMPLES)('%s', async (_name, c) => {
    await runCase(world, c);
  });

  it('holds for random writes, deletes, runs in any order, dropped requests, redeliveries and rewound cursors (100 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => runCase(world, c)),
      { numRuns: 100 },
    );
  });
});
