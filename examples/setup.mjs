// Creates the SQLite databases of the example: a store (config.example.json: master and
// slave) and its head office, hq (examples/hq.config.json). The store and hq each hold rows
// the other lacks, and one row both hold, newer at hq: a first `nsync multi` has work both ways.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const data = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
rmSync(data, { recursive: true, force: true });
mkdirSync(data, { recursive: true });

const schema = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, price DECIMAL(12,2),
                      local_notes TEXT, updated_at DATETIME);
  CREATE TABLE order_lines (order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, sku TEXT, qty INTEGER,
                            updated_at DATETIME, PRIMARY KEY (order_id, line_no));`;

function create(name, fill) {
  const db = new Database(join(data, name));
  db.exec(schema);
  if (fill) db.transaction(() => fill(db))();
  db.close();
}

const item = (db) => db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)');
const line = (db) => db.prepare('INSERT INTO order_lines VALUES (?, ?, ?, ?, ?)');

// The store: items 1–500 and its orders.
create('master.db', (db) => {
  const items = item(db);
  const lines = line(db);
  for (let i = 1; i <= 500; i++)
    items.run(i, `item-${i}`, i % 17, (i * 1.25).toFixed(2), null, '2026-11-30 12:00:00');
  for (let o = 1; o <= 100; o++) {
    for (let l = 1; l <= 3; l++) lines.run(o, l, `sku-${(o * l) % 500}`, l, '2026-11-30 12:00:00');
  }
});
create('slave.db');
// hq: the catalogue's new items 501–600, and a newer price for item 1.
create('hq.db', (db) => {
  const items = item(db);
  for (let i = 501; i <= 600; i++)
    items.run(i, `item-${i}`, 0, (i * 1.25).toFixed(2), null, '2026-11-30 13:00:00');
  items.run(1, 'item-1', 1, '0.99', null, '2026-11-30 14:00:00');
});
create('hq-replica.db');
process.stdout.write(`example databases written to ${data}\n`);
