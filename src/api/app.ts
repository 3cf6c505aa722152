// Builds the HTTP application without listening, so tests drive it with inject() and herald.ts
// starts it on a port. Every surface is a plugin; all of them call the same services.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { HeraldError } from '../domain/errors.ts';
import type { Context } from '../services/context.ts';
import { healthRoutes } from './health.ts';
import { registerJsonParser } from './jsonBody.ts';
import { nativeApi } from './native/index.ts';
import { problemErrorHandler, sendProblem } from './native/problem.ts';
import { flexEngageApi } from './seed002/index.ts';
import { fluteV2Api } from './seed000/index.ts';
import { seed001Api } from './seed001/index.ts';
import { seed004Api } from './seed004/index.ts';
import { compileValidator } from './validation.ts';

export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.maxBodyBytes,
    // Fastify's per-request info logs are replaced by the debug-level line of the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerJsonParser(app, ctx.config.maxJsonDepth);
  app.setValidatorCompiler(compileValidator);
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new HeraldError('not_found', `there is no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  // A line per request at debug level. Left out otherwise: it cost every request a hook and a
  // promise for a line nobody writes.
  if (ctx.log.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald',
        version: '1',
        description: 'Herald sends webhooks: publish events, and Herald signs and delivers them to every subscribed endpoint, with retries and a full log.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key, or the operator token' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { ctx });
  await app.register(nativeApi, { ctx, prefix: '/v1' });
  await app.register(flexEngageApi, { ctx });
  await app.register(fluteV2Api, { ctx, prefix: '/v2/webhooks' });
  await app.register(seed001Api, { ctx });
  await app.register(seed004Api, { ctx });
  return app;
}
