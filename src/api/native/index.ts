// The native /v1 surface: Herald's own API, documented at /openapi.json.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { registerRateLimit } from '../rateLimit.ts';
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
  await registerRateLimit(app, ctx);
  for (const routes of [tenantRoutes, apiKeyRoutes, eventTypeRoutes, endpointRoutes, eventRoutes, deliveryRoutes, jobRoutes]) {
    await app.register(routes, { ctx });
  }
};
