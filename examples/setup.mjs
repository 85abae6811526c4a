// Creates the SQLite databases config.example.json points at: a master with a few
// hundred rows in two tables, and an empty slave with the same tables.
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

for (const name of ['master.db', 'slave.db']) {
  const db = new Database(join(data, name));
  db.exec(schema);
  if (name === 'master.db') {
    const item = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)');
    const line = db.prepare('INSERT INTO order_lines VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 500; i++) {
        item.run(i, `item-${i}`, i % 17, (i * 1.25).toFixed(2), null, '2026-11-30 12:00:00');
      }
      for (let o = 1; o <= 100; o++) {
        for (let l = 1; l <= 3; l++) line.run(o, l, `sku-${(o * l) % 500}`, l, '2026-11-30 12:00:00');
      }
    })();
  }
  db.close();
}
process.stdout.write(`example databases written to ${data}\n`);
