// The accounts API surface (seed 004): /v1/webhooks CRUD and rotate-secret over the endpoint
// services; the tenant is the API key's, account_type its environment. Errors are
// {"error": {"code", "message"}} with the document's codes (errors.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { registerRateLimit } from '../rateLimit.ts';
import { acceptEmptyBodies } from './emptyBody.ts';
import { AccountsError, accountsErrorHandler } from './errors.ts';
import { webhookRoutes } from './webhooks.ts';

export const seed004Api: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.addSchema(AccountsError);
  app.setErrorHandler(accountsErrorHandler);
  acceptEmptyBodies(app, ctx.config.maxJsonDepth);
  requireAuthentication(app, ctx);
  await registerRateLimit(app, ctx);
  await app.register(webhookRoutes, { ctx });
};
