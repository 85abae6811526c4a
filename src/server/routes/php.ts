import type { FastifyInstance, FastifyReply } from 'fastify';
import { canonicalTimestamp, NsyncError, phpRow, redactConfig, sqlTimestamp } from '../../index.js';
import type { ServerContext } from '../context.js';
import { jsonObjectStream } from '../jsonStream.js';

/** `YYYY-MM-DD HH:MM:SS`, UTC: the PHP server's `date('Y-m-d H:i:s')`. */
function phpNow(): string {
  return sqlTimestamp(new Date().toISOString(), 0);
}

const SINCE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The PHP server's answer for a table it does not replicate; sent with 400, see README. */
function unknownTable(reply: FastifyReply, table: string): FastifyReply {
  return reply
    .code(400)
    .send({ success: false, error: `Table ${table.slice(0, 128)} not configured for replication` });
}

/**
 * NunezReplication's routes, for its PHP `sync_multi.php` clients (PREDECESSOR.md §3): the
 * same paths, bodies and answers, but pushes go through last-write-wins, every route but
 * `/api/status` needs a key, and pulls are streamed.
 */
export function phpRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { endpoint, metrics, activity } = ctx;
  const configured = (table: unknown): table is string =>
    typeof table === 'string' && ctx.config.tables.some((t) => t.name === table);

  app.post('/api/push', async (request, reply) => {
    const body = request.body as { table?: unknown; data?: unknown } | null;
    if (
      typeof body !== 'object' ||
      body === null ||
      Array.isArray(body) ||
      !body.table ||
      !Array.isArray(body.data)
    ) {
      return reply.code(400).send({ error: 'Missing required parameters: table and data' });
    }
    if (!configured(body.table)) return unknownTable(reply, String(body.table));
    const started = process.hrtime.bigint();
    const counts = await endpoint.pushPhpRows(body.table, body.data);
    metrics.batchSeconds.observe(
      { table: body.table, operation: 'push' },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    metrics.applied(body.table, counts);
    activity.exchanged({ peer: 'php client', table: body.table, direction: 'push', rows: body.data.length });
    return {
      success: true,
      result: {
        inserted: counts.inserted,
        updated: counts.updated,
        total: body.data.length,
        skipped: counts.skippedOlder + counts.unchanged + counts.conflicts,
      },
    };
  });

  app.get('/api/pull', async (request, reply) => {
    const query = request.query as { table?: unknown; since?: unknown };
    if (typeof query.table !== 'string' || query.table === '') {
      return reply.code(400).send({ error: 'Missing required parameter: table' });
    }
    if (!configured(query.table)) return unknownTable(reply, query.table);
    let since: string | null = null;
    if (query.since !== undefined) {
      const given = typeof query.since === 'string' && SINCE.test(query.since) ? query.since : null;
      try {
        since = given === null ? null : canonicalTimestamp(given);
      } catch {
        since = null;
      }
      if (since === null) throw new NsyncError('INPUT', 'since must be a time as YYYY-MM-DD HH:MM:SS (UTC)');
    }
    const table = query.table;
    const shape = await endpoint.shapeOf(table);
    const timestamp = phpNow();
    let sent = 0;
    async function* pages() {
      for await (const rows of endpoint.rows(table, since)) {
        sent += rows.length;
        metrics.rowsServed.inc({ table }, rows.length);
        yield rows.map((row) => phpRow(shape, row));
      }
      activity.exchanged({ peer: 'php client', table, direction: 'pull', rows: sent });
    }
    reply.type('application/json');
    return reply.send(jsonObjectStream({ success: true, table }, 'data', pages(), () => ({ timestamp })));
  });

  app.get('/api/metadata', async (request, reply) => {
    const { table } = request.query as { table?: unknown };
    if (typeof table !== 'string' || table === '') {
      return reply.code(400).send({ error: 'Missing required parameter: table' });
    }
    if (!configured(table)) return unknownTable(reply, table);
    return { success: true, table, metadata: await endpoint.metadata(table) };
  });

  app.get('/api/status', { config: { public: true } }, async () => ({
    mode: ctx.config.mode,
    status: 'running',
    stats: {
      environment: ctx.config.environment,
      tables: ctx.config.tables.length,
      uptimeSeconds: Math.round((Date.now() - activity.startedAt.getTime()) / 1000),
      databaseReachable: await endpoint.healthy(),
    },
    timestamp: phpNow(),
  }));

  app.get('/api/config', async () => redactConfig(ctx.config.written ?? {}));
}
