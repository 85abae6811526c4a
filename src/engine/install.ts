import type { NsyncConfig } from '../config/types.js';
import { migrateDown, migrateUp } from '../adapters/migrations.js';
import { messageOf, NsyncError } from '../core/errors.js';
import { openEnvironment } from './environment.js';
import type { Reporter } from './events.js';
import { resolveShape } from './shape.js';

/**
 * `nsync install`: nsync's tables in every configured database, then the capture triggers
 * on every table (DESIGN §2). Idempotent. A table that cannot be prepared is reported and
 * the others go on; the run then fails naming it.
 */
export async function install(config: NsyncConfig, options: { reporter: Reporter }): Promise<void> {
  const env = await openEnvironment(config);
  const failures: string[] = [];
  try {
    for (const peer of env.peers) {
      await migrateUp(peer.adapter.db);
      for (const table of config.tables) {
        try {
          const shape = await resolveShape(peer.adapter, table);
          const ddl = peer.adapter.captureDdl(table, shape);
          const statements = table.capture === 'trigger' ? ddl.install : ddl.uninstall;
          for (const sql of statements) await peer.adapter.db.raw(sql);
          const what =
            table.capture === 'trigger' ? 'capture triggers installed' : 'capture by timestamp (no triggers)';
          options.reporter.event({ type: 'info', message: `${table.name} on ${peer.label}: ${what}` });
        } catch (error) {
          const message = `${table.name} on ${peer.label}: ${messageOf(error)}`;
          failures.push(message);
          options.reporter.event({ type: 'warning', message });
        }
      }
    }
  } finally {
    await env.close();
  }
  if (failures.length > 0) {
    throw new NsyncError('TABLE', `install failed for ${failures.length} table(s)`, { details: failures });
  }
}

/** `nsync uninstall`: removes the triggers and nsync's tables; the application's tables and rows stay. */
export async function uninstall(config: NsyncConfig, options: { reporter: Reporter }): Promise<void> {
  const env = await openEnvironment(config);
  try {
    for (const peer of env.peers) {
      for (const table of config.tables) {
        const found = await peer.adapter.introspect(table.name);
        if (!found) continue;
        const shape = { name: table.name, columns: found.columns, primaryKey: found.primaryKey };
        for (const sql of peer.adapter.captureDdl(table, shape).uninstall) await peer.adapter.db.raw(sql);
        options.reporter.event({
          type: 'info',
          message: `${table.name} on ${peer.label}: capture triggers removed`,
        });
      }
      await migrateDown(peer.adapter.db);
      options.reporter.event({ type: 'info', message: `${peer.label}: nsync tables removed` });
    }
  } finally {
    await env.close();
  }
}
