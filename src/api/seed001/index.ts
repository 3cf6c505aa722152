// The Flowbrite surface (seed 001): searching a webhook subscription's notifications with the
// query language, and redelivering a notification as a clone. Ids are typed (whs_, whn_); errors
// are {"error": {"code", "message"}} (errors.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '../../services/context.ts';
import { requireAuthentication } from '../authenticate.ts';
import { registerRateLimit } from '../rateLimit.ts';
import { FlowbriteError, flowbriteErrorHandler } from './errors.ts';
import { notificationRoutes } from './notifications.ts';

export const seed001Api: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.addSchema(FlowbriteError);
  app.setErrorHandler(flowbriteErrorHandler);
  requireAuthentication(app, ctx);
  await registerRateLimit(app, ctx);
  await app.register(notificationRoutes, { ctx });
};
