import type { ColumnShape } from '../../src/core/types.js';

/** A column as introspection describes it: not null, not auto-increment unless said. */
export const column = (
  name: string,
  kind: ColumnShape['kind'],
  dbType: string,
  extra: Partial<ColumnShape> = {},
): ColumnShape => ({
  name,
  kind,
  dbType,
  nullable: false,
  autoIncrement: false,
  ...extra,
});
