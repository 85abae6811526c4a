import type { FastifyInstance } from 'fastify';
import { NsyncError, type KeyRange, type PushRequest } from '../../index.js';
import type { ServerContext } from '../context.js';
import { jsonObjectStream } from '../jsonStream.js';

const NAME = { type: 'string', minLength: 1, maxLength: 128 } as const;
/** Environment ids (and `env/slave`); never spliced into SQL, only bound. */
const PEER_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:/-]{1,128}$' } as const;
const KEY = { type: 'array', minItems: 1, maxItems: 16 } as const;
/** A cursor as handed out by /v1/pull, or null for the start. */
const CURSOR = { type: ['string', 'null'], maxLength: 8192 } as const;

/** A JSON body of exactly these properties, the first ones required. */
function body(required: string[], properties: Record<string, unknown>) {
  return { body: { type: 'object', required, additionalProperties: false, properties } };
}

const MAX_PULL = 50_000;
const MAX_PUSH = 100_000;

/** nsync's own protocol (DESIGN §6): what `nsync multi` on another environment calls. */
export function v1Routes(app: FastifyInstance, ctx: ServerContext): void {
  const { endpoint, metrics, activity } = ctx;

  /** A peer claiming this server's own id would never have its own changes held back. */
  const notSelf = (id: string, field: string) => {
    if (id === ctx.config.environment) {
      throw new NsyncError(
        'INPUT',
        `${field} ${id} is this server's own environment id: every environment needs its own`,
      );
    }
  };

  app.get('/v1/info', async () => endpoint.info());

  app.post<{ Body: { table: string; cursor: string | null; limit?: number; requester: string } }>(
    '/v1/pull',
    {
      schema: body(['table', 'cursor', 'requester'], {
        table: NAME,
        cursor: CURSOR,
        limit: { type: 'integer', minimum: 1, maximum: MAX_PULL },
        requester: PEER_ID,
      }),
    },
    async (request, reply) => {
      const { table, cursor, requester } = request.body;
      notSelf(requester, 'requester');
      const config = endpoint.table(table);
      const started = process.hrtime.bigint();
      const page = await endpoint.pull(table, cursor, request.body.limit ?? config.batchSize, requester);
      metrics.batchSeconds.observe({ table, operation: 'pull' }, seconds(started));
      metrics.rowsServed.inc({ table }, page.changes.length);
      activity.exchanged({ peer: requester, table, direction: 'pull', rows: page.changes.length });
      reply.type('application/json');
      const head = { table, cursor: page.cursor, more: page.more, read: page.read, snapshot: page.snapshot };
      return reply.send(jsonObjectStream(head, 'changes', chunked(page.changes)));
    },
  );

  app.post<{ Body: { table: string; cursor: string | null; requester: string } }>(
    '/v1/pending',
    {
      schema: body(['table', 'cursor', 'requester'], { table: NAME, cursor: CURSOR, requester: PEER_ID }),
    },
    async (request) => {
      const { table, cursor, requester } = request.body;
      return { pending: await endpoint.pending(table, cursor, requester) };
    },
  );

  app.post<{ Body: { table: string; origin: string } }>(
    '/v1/snapshot',
    {
      schema: body(['table', 'origin'], { table: NAME, origin: PEER_ID }),
    },
    async (request) => {
      notSelf(request.body.origin, 'origin');
      return { empty: await endpoint.beginSnapshot(request.body.table, request.body.origin) };
    },
  );

  app.post<{ Body: PushRequest }>(
    '/v1/push',
    {
      schema: body(['table', 'origin', 'batchId', 'changes'], {
        table: NAME,
        origin: PEER_ID,
        batchId: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
        changes: { type: 'array', maxItems: MAX_PUSH },
        fresh: { type: 'boolean' },
        dryRun: { type: 'boolean' },
        digits: { type: 'integer', minimum: 0, maximum: 6 },
      }),
    },
    async (request) => {
      const body = request.body;
      notSelf(body.origin, 'origin');
      const started = process.hrtime.bigint();
      const result = await endpoint.push(body);
      metrics.batchSeconds.observe({ table: body.table, operation: 'push' }, seconds(started));
      if (!result.replayed && body.dryRun !== true) metrics.applied(body.table, result);
      activity.exchanged({ peer: body.origin, table: body.table, direction: 'push', rows: result.applied });
      return result;
    },
  );

  app.post<{ Body: { table: string; ranges: KeyRange[] } }>(
    '/v1/checksum',
    {
      schema: body(['table', 'ranges'], {
        table: NAME,
        ranges: {
          type: 'array',
          minItems: 1,
          maxItems: 1_000,
          items: {
            type: 'object',
            required: ['after', 'upTo'],
            additionalProperties: false,
            properties: {
              after: { ...KEY, type: ['array', 'null'] },
              upTo: { ...KEY, type: ['array', 'null'] },
            },
          },
        },
      }),
    },
    async (request) => ({ ranges: await endpoint.checksum(request.body.table, request.body.ranges) }),
  );
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A page's changes in slices, so the response is written as it is encoded. */
function* chunked<T>(items: readonly T[], size = 500): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
