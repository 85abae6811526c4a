import type { NsyncConfig, TableConfig } from '../config/types.js';
import { messageOf } from '../core/errors.js';
import { connect, requireInstalled, slaveId } from './environment.js';
import { LocalPeer } from './localPeer.js';
import { resolveShape } from './shape.js';

export interface CheckItem {
  level: 'ok' | 'warn' | 'error';
  subject: string;
  message: string;
}

export interface CheckReport {
  ok: boolean;
  items: CheckItem[];
}

const TIMESTAMP_LIMITS =
  'capture: timestamp cannot see deletes, nor rows whose timestamp is NULL after the first copy, nor commits older than lookbackSeconds';

/**
 * `nsync check`: everything a run needs, each as ok / warn / error, never stopping at the
 * first problem.
 */
export async function check(config: NsyncConfig): Promise<CheckReport> {
  const items: CheckItem[] = [{ level: 'ok', subject: 'config', message: `${config.file} is valid` }];
  const peers: LocalPeer[] = [];
  const dbs = [config.databases.master, config.databases.slave].filter((d) => d !== undefined);
  try {
    for (const db of dbs) {
      try {
        const adapter = await connect(db);
        const peer = new LocalPeer(db.role === 'master' ? config.environment : slaveId(config), adapter);
        peers.push(peer);
        items.push({ level: 'ok', subject: peer.label, message: 'reachable' });
        await requireInstalled(peer).then(
          () => items.push({ level: 'ok', subject: peer.label, message: 'nsync tables installed' }),
          (error: unknown) => items.push({ level: 'error', subject: peer.label, message: messageOf(error) }),
        );
      } catch (error) {
        items.push({ level: 'error', subject: `${db.role} database`, message: messageOf(error) });
      }
    }
    for (const table of config.tables) {
      for (const peer of peers) items.push(...(await checkTable(config, table, peer)));
      if (peers.length === 2)
        items.push(...(await compareSides(table, peers[0] as LocalPeer, peers[1] as LocalPeer)));
    }
    if (peers.length === 2) items.push(await clockSkew(peers[0] as LocalPeer, peers[1] as LocalPeer));
    for (const remote of config.remotes.filter((r) => r.protocol === 'nunez')) {
      items.push({
        level: 'warn',
        subject: `remote ${remote.name}`,
        message:
          'runs NunezReplication: deletes made here cannot reach it (it has no delete route), and a push-only exchange cannot compare with its rows (the PHP server overwrites); prefer bidirectional, or nsync serve there',
      });
    }
  } finally {
    for (const peer of peers.reverse()) await peer.adapter.close().catch(() => undefined);
  }
  return { ok: items.every((i) => i.level !== 'error'), items };
}

async function checkTable(config: NsyncConfig, table: TableConfig, peer: LocalPeer): Promise<CheckItem[]> {
  const subject = `${table.name} on ${peer.label}`;
  const items: CheckItem[] = [];
  try {
    const shape = await resolveShape(peer.adapter, table);
    items.push({
      level: 'ok',
      subject,
      message: `key (${shape.primaryKey.join(', ')}), timestamp ${table.timestampColumn}, ${shape.columns.length} columns synced`,
    });
    if (table.capture === 'trigger') {
      items.push(
        (await peer.adapter.hasCapture(table.name))
          ? { level: 'ok', subject, message: 'capture triggers installed' }
          : { level: 'error', subject, message: 'capture triggers missing: run `nsync install`' },
      );
    } else {
      items.push({ level: 'warn', subject, message: TIMESTAMP_LIMITS });
      const indexed = await peer.adapter.leadingIndexColumns(table.name);
      if (!indexed.includes(table.timestampColumn)) {
        items.push({
          level: 'warn',
          subject,
          message: `no index starts with ${table.timestampColumn}: every run will scan the whole table`,
        });
      }
    }
    const auto = shape.columns.find((c) => c.autoIncrement && shape.primaryKey.includes(c.name));
    if (auto && config.mode === 'master-master') {
      items.push({
        level: 'warn',
        subject,
        message: `key ${auto.name} is auto-increment on a master-master table: two databases can hand out the same id for different rows`,
      });
    }
    if (table.conflict === 'target-wins' && config.mode === 'master-master') {
      items.push({
        level: 'warn',
        subject,
        message:
          'conflict target-wins on a master-master table: each side keeps its own version of rows both hold, so the two never converge',
      });
    }
  } catch (error) {
    items.push({ level: 'error', subject, message: messageOf(error) });
  }
  return items;
}

async function compareSides(table: TableConfig, a: LocalPeer, b: LocalPeer): Promise<CheckItem[]> {
  try {
    const [sa, sb] = await Promise.all([a.shape(table), b.shape(table)]);
    const na = sa.columns.map((c) => c.name);
    const nb = sb.columns.map((c) => c.name);
    const missing = [
      ...na.filter((n) => !nb.includes(n)).map((n) => `${b.label} lacks ${n}`),
      ...nb.filter((n) => !na.includes(n)).map((n) => `${a.label} lacks ${n}`),
    ];
    if (missing.length > 0)
      return [{ level: 'error', subject: table.name, message: `columns differ: ${missing.join('; ')}` }];
    const kinds = sa.columns.filter((c) => sb.columns.find((d) => d.name === c.name)?.kind !== c.kind);
    return kinds.map((c) => ({
      level: 'warn',
      subject: table.name,
      message: `column ${c.name} has different types on the two databases`,
    }));
  } catch {
    return [];
  }
}

async function clockSkew(a: LocalPeer, b: LocalPeer): Promise<CheckItem> {
  const [ta, tb] = await Promise.all([a.adapter.now(), b.adapter.now()]);
  const skewMs = Math.abs(Date.parse(ta) - Date.parse(tb));
  const subject = 'clocks';
  if (skewMs > 1000) {
    return {
      level: 'warn',
      subject,
      message: `the databases' clocks differ by ${(skewMs / 1000).toFixed(1)} s: last-write-wins depends on them`,
    };
  }
  return { level: 'ok', subject, message: `clocks agree within ${skewMs} ms` };
}
