// The flexEngage webhooks API (seed 002, with the envelope and rules of its guide, seed 003),
// mounted at its documented paths (/v1/{brandId}/webhooks…). A brand is a Herald tenant: the
// brand id is the tenant id. A thin translator over the services; its errors are the document's
// APIErrorResponse.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { registerRateLimit } from '../rateLimit.ts';
import { apiErrorHandler } from './errors.ts';
import { eventRoutes } from './events.ts';
import { ApiErrorResponse } from './schemas.ts';
import { webhookRoutes } from './webhooks.ts';

export const flexEngageApi: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.addSchema(ApiErrorResponse);
  app.setErrorHandler(apiErrorHandler);
  requireAuthentication(app, ctx);
  await registerRateLimit(app, ctx);
  await app.register(webhookRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
};
