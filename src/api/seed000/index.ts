// The "Flute" v2 webhooks surface (seed 000): /v2/webhooks/… over the same services as the native
// API. The API key names the merchant; a partner's key may name one of its merchants with
// `merchantId`. Errors are {"errors": [{code, message, field?}]} (see errors.ts); README.md,
// "API surfaces → Flute v2 (seed 000)", lists every interpretation.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HeraldError } from '../../domain/errors.ts';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { registerRateLimit } from '../rateLimit.ts';
import { deliveryLogRoutes } from './deliveryLogs.ts';
import { fluteErrorHandler, sendFluteError } from './errors.ts';
import { FluteErrors } from './schemas.ts';
import { webhookRoutes } from './webhooks.ts';

export const fluteV2Api: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.addSchema(FluteErrors);
  app.setErrorHandler(fluteErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendFluteError(reply, new HeraldError('not_found', `there is no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  requireAuthentication(app, ctx);
  await registerRateLimit(app, ctx);
  await app.register(webhookRoutes, { ctx });
  await app.register(deliveryLogRoutes, { ctx });
};
