import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { install, silentReporter, type NsyncConfig, type TableConfig } from '../../src/index.js';
import { openEnvironment } from '../../src/engine/environment.js';
import { exchangeTable } from '../../src/engine/exchange.js';
import type { LocalPeer } from '../../src/engine/localPeer.js';
import type { Peer } from '../../src/engine/peer.js';
import { createTestDatabase, DIALECTS, ITEMS_DDL, type TestDatabase } from '../helpers/databases.js';
import { localConfig } from '../helpers/configs.js';
import { DelegatingPeer } from '../helpers/peers.js';

const ROWS = 2_500;
const BATCH = 300;

/** A real peer that remembers the largest page it read and the largest batch it was given. */
class Recording extends DelegatingPeer {
  largestPull = 0;
  largestApply = 0;

  override async pull(...args: Parameters<Peer['pull']>) {
    const page = await this.inner.pull(...args);
    this.largestPull = Math.max(this.largestPull, page.changes.length);
    return page;
  }
  override apply(...args: Parameters<Peer['apply']>) {
    this.largestApply = Math.max(this.largestApply, args[2].length);
    return this.inner.apply(...args);
  }
}

/** Invariant 6: a table larger than a batch moves in batches; no step ever holds the whole table. */
describe.each(DIALECTS)('bounded batches on %s', (dialect) => {
  let a: TestDatabase;
  let b: TestDatabase;
  let config: NsyncConfig;

  beforeAll(async () => {
    a = await createTestDatabase(dialect, 'bounded_a');
    b = await createTestDatabase(dialect, 'bounded_b');
    for (const db of [a, b]) await db.knex.raw(ITEMS_DDL[dialect]);
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: i + 1,
      name: `row ${i + 1}`,
      qty: i,
      price: '1.00',
      note: null,
      updated_at: '2025-01-01 10:00:00',
    }));
    for (let i = 0; i < rows.length; i += 500) await a.knex('items').insert(rows.slice(i, i + 500));
    config = localConfig('master-master', a.url, b.url, [{ name: 'items', batchSize: BATCH }]);
    await install(config, { reporter: silentReporter });
  });

  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  async function copy(): Promise<{ source: Recording; target: Recording; read: number }> {
    const env = await openEnvironment(config);
    try {
      const source = new Recording(env.master);
      const target = new Recording(env.slave as LocalPeer);
      const result = await exchangeTable({
        table: config.tables[0] as TableConfig,
        source,
        target,
        direction: 'master → slave',
        cursorHome: target,
        cursorKey: { peer: env.master.id, direction: 'pull' },
        strategy: 'lww',
        replica: false,
        dryRun: false,
        reporter: silentReporter,
      });
      expect(result.error).toBeUndefined();
      return { source, target, read: result.read };
    } finally {
      await env.close();
    }
  }

  it('a first copy reads and writes at most one batch at a time', async () => {
    const { source, target, read } = await copy();
    expect(read).toBe(ROWS);
    expect(source.largestPull).toBe(BATCH);
    expect(target.largestApply).toBe(BATCH);
    const [copied] = await b.knex('items').count({ n: '*' });
    expect(Number(copied?.n)).toBe(ROWS);
  });

  it('changes to more rows than a batch follow the log in batches too', async () => {
    await a.knex('items').where('id', '<=', 1_000).update({ qty: 0, updated_at: '2025-02-01 10:00:00' });
    const { source, target, read } = await copy();
    expect(read).toBe(1_000);
    expect(source.largestPull).toBeLessThanOrEqual(BATCH);
    expect(target.largestApply).toBeLessThanOrEqual(BATCH);
    const updated = await b.knex('items').where({ qty: 0 }).count({ n: '*' });
    expect(Number(updated[0]?.n)).toBe(1_000);
  });
});
