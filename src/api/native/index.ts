// The native /v1 surface: Herald's own API, documented at /openapi.json.
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HeraldError } from '../../domain/errors.ts';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { apiKeyRoutes } from './apiKeys.ts';
import { deliveryRoutes } from './deliveries.ts';
import { endpointRoutes } from './endpoints.ts';
import { eventRoutes } from './events.ts';
import { eventTypeRoutes } from './eventTypes.ts';
import { jobRoutes } from './jobs.ts';
import { problemErrorHandler } from './problem.ts';
import { Problem } from './schemas.ts';
import { tenantRoutes } from './tenants.ts';

export const nativeApi: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.addSchema(Problem);
  app.setErrorHandler(problemErrorHandler);
  requireAuthentication(app, ctx);
  if (ctx.config.rateLimitPerSecond > 0) {
    await app.register(rateLimit, {
      hook: 'preHandler', // after authentication, so the limit is per key
      max: ctx.config.rateLimitPerSecond,
      timeWindow: 1000,
      enableDraftSpec: true, // RateLimit-Limit / -Remaining / -Reset headers
      keyGenerator: (request) => (request.actor.kind === 'key' ? request.actor.keyId : 'operator'),
      errorResponseBuilder: (_request, context) => new HeraldError('rate_limited', `rate limit of ${context.max} requests per second exceeded: retry in ${context.after}`),
    });
  }
  for (const routes of [tenantRoutes, apiKeyRoutes, eventTypeRoutes, endpointRoutes, eventRoutes, deliveryRoutes, jobRoutes]) {
    await app.register(routes, { ctx });
  }
};
