import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { statusPage } from '../statusPage.js';

/** Health, metrics and the status page: what operators and their monitoring look at. */
export function opsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    const ok = await ctx.endpoint.healthy();
    return reply
      .code(ok ? 200 : 503)
      .send(ok ? { status: 'ok' } : { status: 'error', error: 'the database cannot be reached' });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/', { config: { public: true } }, async (_request, reply) => {
    const [info, healthy] = await Promise.all([
      ctx.endpoint.info().catch(() => null),
      ctx.endpoint.healthy(),
    ]);
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return statusPage({ config: ctx.config, info, healthy, activity: ctx.activity });
  });
}
