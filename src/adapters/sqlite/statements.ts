import type { Database, Statement } from 'better-sqlite3';
import type { Db, SqlRow } from '../adapter.js';

/**
 * better-sqlite3 is fastest with prepared statements reused on its own connection; knex
 * prepares (and re-formats the bindings of) every statement anew. nsync's SQL for SQLite
 * runs here, on the connection of the knex transaction or pool it is given.
 */
const cache = new WeakMap<Database, Map<string, Statement>>();

interface ConnectionClient {
  acquireConnection(): Promise<Database>;
  releaseConnection(connection: Database): Promise<unknown>;
}

export async function withConnection<T>(on: Db, fn: (connection: Database) => T): Promise<T> {
  const client = (on as unknown as { client: ConnectionClient }).client;
  const connection = await client.acquireConnection();
  try {
    return fn(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

export function prepared(connection: Database, sql: string): Statement {
  let statements = cache.get(connection);
  if (!statements) {
    statements = new Map();
    cache.set(connection, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = connection.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

export function runStatement(connection: Database, sql: string, bindings: readonly unknown[]): SqlRow[] {
  const statement = prepared(connection, sql);
  const values = bindings.map((v) => (v === undefined ? null : typeof v === 'boolean' ? Number(v) : v));
  if (statement.reader) return statement.all(values) as SqlRow[];
  statement.run(values);
  return [];
}
