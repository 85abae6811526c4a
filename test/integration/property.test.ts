import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { install, syncLocal, silentReporter, type NsyncConfig, type TableConfig } from '../../src/index.js';
import { canonicalTimestamp, compareTimestamps } from '../../src/core/timestamp.js';
import type { Dialect } from '../../src/core/types.js';
import { openEnvironment } from '../../src/engine/environment.js';
import { exchangeTable } from '../../src/engine/exchange.js';
import type { LocalPeer } from '../../src/engine/localPeer.js';
import type { Peer } from '../../src/engine/peer.js';
import { createTestDatabase, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';
import { DelegatingPeer } from '../helpers/peers.js';

/**
 * Convergence and last-write-wins as properties (DESIGN §1.1–1.5, §4): random interleavings
 * of application writes on both masters of a master-master pair, complete syncs, and syncs
 * that fail part-way, then two quiet syncs. Both sides must then hold the same rows, and
 * each key must hold its newest write (a delete is a write).
 *
 * Times follow the wall clock: the triggers stamp a delete with the database's clock
 * (DESIGN §2), so application times must be real times for "newest" to mean anything.
 * Each write is made strictly after every earlier one; a delete's time is read back from
 * the change log. `sameTs` reuses the previous write's time (on either side, any key): an
 * equal-time tie, or an update that keeps `updated_at`, which must still converge.
 */

type SideName = 'A' | 'B';

type Command =
  | { kind: 'write'; side: SideName; id: number; name: string; qty: number; sameTs: boolean }
  | { kind: 'delete'; side: SideName; id: number }
  | { kind: 'sync' }
  | {
      kind: 'interrupted';
      from: SideName;
      /** Which apply call (1-based) of the target fails. */
      failOn: number;
      /** Fail before the batch is applied, or after it has committed (a lost reply). */
      when: 'before' | 'after';
      /** Whether the target stores the cursor in the batch's transaction. */
      keepsCursor: boolean;
    };

interface Version {
  ts: string;
  side: SideName;
  /** The row written, or null for a delete. */
  row: { name: string; qty: number } | null;
}

interface Row {
  id: number;
  name: string;
  qty: number;
  updated_at: string;
}

const KEYS = 6;

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      side: fc.constantFrom<SideName>('A', 'B'),
      id: fc.integer({ min: 1, max: KEYS }),
      name: fc.constantFrom('apple', 'pear', 'plum'),
      qty: fc.integer({ min: 0, max: 3 }),
      sameTs: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      side: fc.constantFrom<SideName>('A', 'B'),
      id: fc.integer({ min: 1, max: KEYS }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('interrupted' as const),
      from: fc.constantFrom<SideName>('A', 'B'),
      failOn: fc.integer({ min: 1, max: 3 }),
      when: fc.constantFrom<'before' | 'after'>('before', 'after'),
      keepsCursor: fc.boolean(),
    }),
  },
);

const commandsArb = fc.array(commandArb, { minLength: 1, maxLength: 25 });

/** A target whose `apply` fails on its n-th call, before or after delegating. */
class FailingPeer extends DelegatingPeer {
  calls = 0;
  failed = false;

  constructor(
    inner: LocalPeer,
    private readonly failOn: number,
    private readonly when: 'before' | 'after',
  ) {
    super(inner);
  }

  override async apply(...args: Parameters<Peer['apply']>) {
    this.calls++;
    const failing = this.calls === this.failOn;
    if (failing && this.when === 'before') {
      this.failed = true;
      throw new Error('injected failure before the batch');
    }
    const counts = await this.inner.apply(...args);
    if (failing) {
      this.failed = true;
      throw new Error('injected failure after the batch committed');
    }
    return counts;
  }
}

/** Reads times as text so no driver shifts them into the local zone. */
const SELECT_ROWS: Record<Dialect, string> = {
  sqlite: `SELECT id, name, qty, updated_at FROM items ORDER BY id`,
  postgres: `SELECT id, name, qty, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at FROM items ORDER BY id`,
  mysql: `SELECT id, name, qty, CAST(updated_at AS CHAR) AS updated_at FROM items ORDER BY id`,
};

const SELECT_DELETED_AT: Record<Dialect, string> = {
  sqlite: `SELECT changed_at FROM nsync_changes WHERE table_name = 'items' AND op = 'delete' AND pk LIKE ?`,
  postgres: `SELECT to_char(changed_at, 'YYYY-MM-DD HH24:MI:SS.US') AS changed_at FROM nsync_changes WHERE table_name = 'items' AND op = 'delete' AND pk LIKE ?`,
  mysql: `SELECT CAST(changed_at AS CHAR) AS changed_at FROM nsync_changes WHERE table_name = 'items' AND op = 'delete' AND pk LIKE ?`,
};

async function rawRows(
  db: TestDatabase,
  sql: string,
  bindings: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const result: unknown = await db.knex.raw(sql, bindings as never);
  if (db.dialect === 'postgres') return (result as { rows: Record<string, unknown>[] }).rows;
  if (db.dialect === 'mysql') return (result as [Record<string, unknown>[]])[0];
  return result as Record<string, unknown>[];
}

async function readRows(db: TestDatabase): Promise<Row[]> {
  const rows = await rawRows(db, SELECT_ROWS[db.dialect]);
  return rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    qty: Number(r.qty),
    updated_at: canonicalTimestamp(String(r.updated_at)),
  }));
}

const msOf = (canonical: string) => Math.floor(Date.parse(canonical));

/** One master-master pair, installed once, emptied before each case. */
class World {
  config!: NsyncConfig;
  table!: TableConfig;
  private lastTs: string | null = null;
  readonly history = new Map<number, Version[]>();

  constructor(
    readonly a: TestDatabase,
    readonly b: TestDatabase,
  ) {}

  db(side: SideName) {
    return side === 'A' ? this.a : this.b;
  }

  async setUp(): Promise<void> {
    await this.a.knex.raw(ITEMS_DDL[this.a.dialect]);
    await this.b.knex.raw(ITEMS_DDL[this.b.dialect]);
    this.config = localConfig('master-master', this.a.url, this.b.url, [{ name: 'items', batchSize: 2 }]);
    this.table = this.config.tables[0] as TableConfig;
    await install(this.config, { reporter: silentReporter });
  }

  async reset(): Promise<void> {
    for (const db of [this.a, this.b]) {
      await db.knex('items').delete();
      for (const t of ['nsync_changes', 'nsync_cursors', 'nsync_conflicts']) await db.knex(t).delete();
    }
    this.history.clear();
    this.lastTs = null;
  }

  /** Waits until the clock is past every write made so far, so what comes next is newer. */
  private async pastLast(): Promise<number> {
    const last = this.lastTs === null ? 0 : msOf(this.lastTs);
    while (Date.now() <= last) await new Promise((r) => setTimeout(r, 1));
    return Date.now();
  }

  private record(id: number, version: Version) {
    const list = this.history.get(id) ?? [];
    list.push(version);
    this.history.set(id, list);
    this.lastTs = version.ts;
  }

  async run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'write':
        return this.write(command);
      case 'delete':
        return this.delete(command);
      case 'sync': {
        const result = await syncLocal(this.config, { reporter: silentReporter });
        expect(result.tables.filter((t) => !t.ok).map((t) => t.error)).toEqual([]);
        return;
      }
      case 'interrupted':
        return this.interrupted(command);
    }
  }

  private async write(c: Command & { kind: 'write' }): Promise<void> {
    const db = this.db(c.side);
    const ts =
      c.sameTs && this.lastTs !== null ? this.lastTs : canonicalTimestamp(new Date(await this.pastLast()));
    // As text, keeping the microseconds a delete may have been stamped with.
    const values = { name: c.name, qty: c.qty, updated_at: ts.replace('T', ' ').replace('Z', '') };
    const exists = (await db.knex('items').where({ id: c.id }).first()) !== undefined;
    if (exists) await db.knex('items').where({ id: c.id }).update(values);
    else await db.knex('items').insert({ id: c.id, ...values });
    this.record(c.id, { ts, side: c.side, row: { name: c.name, qty: c.qty } });
  }

  private async delete(c: Command & { kind: 'delete' }): Promise<void> {
    const db = this.db(c.side);
    if ((await db.knex('items').where({ id: c.id }).first()) === undefined) return;
    await this.pastLast();
    await db.knex('items').where({ id: c.id }).delete();
    const [entry] = await rawRows(db, SELECT_DELETED_AT[db.dialect], [`%"${c.id}"%`]);
    if (!entry) throw new Error(`no tombstone recorded for id ${c.id} on ${c.side}`);
    this.record(c.id, { ts: canonicalTimestamp(String(entry.changed_at)), side: c.side, row: null });
  }

  /** One direction of the local pass, built as localPass does, whose target fails part-way. */
  private async interrupted(c: Command & { kind: 'interrupted' }): Promise<void> {
    const env = await openEnvironment(this.config);
    try {
      const slave = env.slave as LocalPeer;
      const [source, target] = c.from === 'A' ? [env.master, slave] : [slave, env.master];
      const failing = new FailingPeer(target, c.failOn, c.when);
      const result = await exchangeTable({
        table: this.table,
        source,
        target: failing,
        direction: c.from === 'A' ? 'master → slave' : 'slave → master',
        cursorHome: c.keepsCursor ? failing : target,
        // The cursor localPass uses, so the next full sync resumes from what was committed.
        cursorKey: { peer: source.id, direction: 'pull' },
        strategy: this.table.conflict,
        replica: false,
        dryRun: false,
        reporter: silentReporter,
      });
      expect(result.ok).toBe(!failing.failed);
      if (failing.failed) expect(result.error).toContain('injected failure');
    } finally {
      await env.close();
    }
  }

  /** Two full syncs, then both sides equal and every key at its newest write. */
  async quiesceAndCheck(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const result = await syncLocal(this.config, { reporter: silentReporter });
      expect(result.tables.filter((t) => !t.ok).map((t) => t.error)).toEqual([]);
    }
    const [rowsOnA, rowsOnB] = await Promise.all([readRows(this.a), readRows(this.b)]);
    expect(rowsOnB).toEqual(rowsOnA);
    const byId = new Map(rowsOnA.map((r) => [r.id, r]));
    for (let id = 1; id <= KEYS; id++) {
      const actual = byId.get(id) ?? null;
      const versions = this.history.get(id) ?? [];
      if (versions.length === 0) {
        expect({ id, actual }).toEqual({ id, actual: null });
        continue;
      }
      const newest = versions.reduce((m, v) => (compareTimestamps(v.ts, m.ts, 6) > 0 ? v : m));
      const winners = versions.filter((v) => compareTimestamps(v.ts, newest.ts, 6) === 0);
      const allowed = winners.map((v) => (v.row ? { id, ...v.row, updated_at: v.ts } : null));
      if (!allowed.some((w) => JSON.stringify(w) === JSON.stringify(actual))) {
        throw new Error(
          `id ${id}: holds ${JSON.stringify(actual)}, expected one of ${JSON.stringify(allowed)}; ` +
            `history ${JSON.stringify(versions)}`,
        );
      }
    }
  }
}

const write = (side: SideName, id: number, qty: number, sameTs: boolean): Command => ({
  kind: 'write',
  side,
  id,
  name: 'apple',
  qty,
  sameTs,
});

/**
 * Cases the property found, each also run on its own. Which of two equal-time versions wins
 * depends on their hashes, which include the time, so the tie cases use six keys: each
 * key loses the tie-break at the side that wrote it last with probability 1/2.
 */
const REGRESSIONS: [string, Command[]][] = [
  [
    'a delete made before the first sync reaches the other side',
    [write('B', 1, 0, false), write('A', 1, 0, false), { kind: 'delete', side: 'A', id: 1 }],
  ],
  [
    'an application write at the same time as a version already received converges',
    [
      { kind: 'sync' },
      write('B', 1, 0, false),
      ...[2, 3, 4, 5, 6].map((id) => write('B', id, 0, true)),
      { kind: 'sync' },
      ...[1, 2, 3, 4, 5, 6].map((id) => write('A', id, 1, true)),
    ],
  ],
  [
    'an update that keeps updated_at converges (DESIGN §1: the PHP tool never copied it)',
    [
      write('A', 1, 0, false),
      ...[2, 3, 4, 5, 6].map((id) => write('A', id, 0, true)),
      { kind: 'sync' },
      ...[1, 2, 3, 4, 5, 6].map((id) => write('A', id, 1, true)),
    ],
  ],
];

async function runCase(world: World, commands: Command[]): Promise<void> {
  await world.reset();
  for (const command of commands) await world.run(command);
  await world.quiesceAndCheck();
}

function pairSuite(title: string, dialects: [Dialect, Dialect], numRuns: number): void {
  describe(title, () => {
    let world: World;
    beforeAll(async () => {
      world = new World(
        await createTestDatabase(dialects[0], 'prop_a'),
        await createTestDatabase(dialects[1], 'prop_b'),
      );
      await world.setUp();
    });
    afterAll(async () => {
      await world?.a.drop();
      await world?.b.drop();
    });

    it.each(REGRESSIONS)('%s', async (_name, commands) => {
      await runCase(world, commands);
    });

    it(`holds for random writes, deletes, re-inserts, syncs and interrupted syncs (${numRuns} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(commandsArb, (commands) => runCase(world, commands)),
        { numRuns },
      );
    });
  });
}

describe('master-master converges to the newest write (property)', () => {
  pairSuite('SQLite ⇄ SQLite', ['sqlite', 'sqlite'], 200);
  pairSuite('PostgreSQL ⇄ MariaDB', ['postgres', 'mysql'], 30);
});
