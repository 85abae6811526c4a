import type { Knex } from 'knex';

/** knex would print pool and driver trouble to the console; nsync reports it through its errors instead. */
const ignore = () => undefined;
export const quietKnex: Knex.Config['log'] = {
  warn: ignore,
  error: ignore,
  deprecate: ignore,
  debug: ignore,
};
