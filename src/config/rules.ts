import { problem } from './path.js';
import type { RawConfig } from './validate.js';

/** Same characters as `environment`: remote names end up in cursors, logs and metrics labels. */
export const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks that need more than one field, on a config that has passed the schema.
 * Connection blocks are checked where they are resolved (connection.ts).
 */
export function checkRules(config: RawConfig): string[] {
  const errors: string[] = [];
  if (config.databases.slave === undefined) {
    errors.push(problem(['databases', 'slave'], `is required when mode is "${config.mode}"`));
  }
  for (const name of Object.keys(config.remoteEnvironments)) {
    if (!NAME.test(name)) {
      errors.push(
        problem(
          ['remoteEnvironments', name],
          'remote name must contain only letters, digits, "_", "." and "-"',
        ),
      );
    }
  }
  const seen = new Map<string, number>();
  config.replication.tables.forEach((table, index) => {
    const at = ['replication', 'tables', index];
    const first = seen.get(table.name);
    if (first === undefined) seen.set(table.name, index);
    else
      errors.push(
        problem([...at, 'name'], `table "${table.name}" is already listed as replication.tables[${first}]`),
      );
    const key = typeof table.primaryKey === 'string' ? [table.primaryKey] : table.primaryKey;
    table.ignoreColumns.forEach((column, i) => {
      if (key.includes(column)) {
        errors.push(
          problem(
            [...at, 'ignoreColumns', i],
            `"${column}" is part of the primary key and cannot be ignored`,
          ),
        );
      } else if (column === table.timestampColumn) {
        errors.push(
          problem([...at, 'ignoreColumns', i], `"${column}" is the timestampColumn and cannot be ignored`),
        );
      }
    });
    if (table.maintainTimestamp && table.capture === 'timestamp') {
      errors.push(
        problem(
          [...at, 'maintainTimestamp'],
          'needs capture "trigger" (capture "timestamp" installs no triggers)',
        ),
      );
    }
  });
  return errors;
}
