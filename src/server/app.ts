import { randomUUID } from 'node:crypto';
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { DestinationStream } from 'pino';
import { Activity } from './activity.js';
import { keyChecker, keyTag, presentedKey } from './auth.js';
import type { ServerContext } from './context.js';
import { httpFailure } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { opsRoutes } from './routes/ops.js';
import { phpRoutes } from './routes/php.js';
import { v1Routes } from './routes/v1.js';
import type { Endpoint, NsyncConfig } from '../index.js';

export interface AppOptions {
  config: NsyncConfig;
  endpoint: Endpoint;
  /** Accept requests without a key (only ever on loopback; checked by the caller). */
  noAuth: boolean;
  serverFactory: FastifyServerFactory;
  logLevel: string;
  logStream?: DestinationStream;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without an API key: nothing in it reads rows or changes anything. */
    public?: boolean;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The HTTP API of `nsync serve` (DESIGN §6) on fastify, not yet listening. */
export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; ctx: ServerContext }> {
  const { config, endpoint } = options;
  const ctx: ServerContext = { config, endpoint, metrics: new ServerMetrics(), activity: new Activity() };
  const accepts = keyChecker(config.api.keys);
  const app = Fastify({
    serverFactory: options.serverFactory,
    bodyLimit: config.server.bodyLimitBytes,
    // Keys travel in headers; the default request serializer logs none, and these are redacted anyway.
    logger: {
      level: options.logLevel,
      redact: ['req.headers["x-api-key"]', 'req.headers.authorization'],
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // A string where a number belongs is a wrong request, not something to convert.
    ajv: { customOptions: { coerceTypes: false } },
    forceCloseConnections: 'idle',
  });

  const authorised = (headers: Record<string, string | string[] | undefined>) =>
    options.noAuth || accepts(presentedKey(headers));

  await app.register(rateLimit, {
    global: false,
    max: config.server.rateLimit.max,
    timeWindow: config.server.rateLimit.windowMs,
    // A valid key has its own bucket; anything else is counted per address, so guessing keys is slow too.
    keyGenerator: (request) => {
      const key = presentedKey(request.headers);
      return key !== undefined && authorised(request.headers) ? keyTag(key) : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `too many requests: at most ${context.max} per ${Math.round(config.server.rateLimit.windowMs / 1000)} s for this key; retry in ${context.after}`,
    }),
  });
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['gzip', 'deflate'],
    requestEncodings: ['gzip', 'deflate'],
    // Level 1: several times smaller JSON for little CPU; higher levels cost pull throughput.
    zlibOptions: { level: 1 },
  });

  // Before the key check, so wrong keys are counted (per address) too.
  app.addHook('onRequest', app.rateLimit());
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.public === true || request.is404) return;
    if (!authorised(request.headers)) {
      await reply.code(401).send({ error: 'Unauthorized' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requests.inc({
      route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      method: request.method,
      status: String(reply.statusCode),
    });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'Route not found' }));
  app.setErrorHandler((error, request, reply) => {
    const failure = httpFailure(error, config.server.bodyLimitBytes);
    if (failure.exposed)
      request.log.info({ status: failure.status, reason: failure.message }, 'request refused');
    else request.log.error({ err: error }, 'request failed');
    const message = failure.exposed
      ? failure.message
      : `${failure.status === 503 ? 'service unavailable' : 'internal error'} (request id ${request.id})`;
    if (failure.status !== 404 && failure.status !== 401) {
      ctx.activity.failed({
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
        status: failure.status,
        message,
      });
    }
    // NunezReplication's routes answer exactly as its server did: `{"error": …}`.
    const php = request.url.startsWith('/api/');
    const code = failure.exposed && failure.code && !php ? { code: failure.code } : {};
    return reply.code(failure.status).send({ error: message, ...code });
  });

  v1Routes(app, ctx);
  phpRoutes(app, ctx);
  opsRoutes(app, ctx);
  return { app, ctx };
}
