import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as deliveries from '../../services/deliveries.ts';
import { Attempt, Delivery, DeliveryStatus, errorResponses, ListQuery, Page } from './schemas.ts';

const tags = ['Deliveries'];

export const deliveryRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/tenants/:tenantId/deliveries', {
    schema: {
      tags,
      summary: 'List deliveries, newest first',
      params: Type.Object({ tenantId: Type.String() }),
      querystring: Type.Intersect([
        ListQuery,
        Type.Object({
          endpointId: Type.Optional(Type.String()),
          eventId: Type.Optional(Type.String()),
          status: Type.Optional(DeliveryStatus),
        }),
      ]),
      response: { 200: Page(Delivery), ...errorResponses(400) },
    },
  }, async (request) => deliveries.listDeliveries(ctx, request.actor, request.params.tenantId, request.query));

  app.get('/tenants/:tenantId/deliveries/:deliveryId', {
    schema: {
      tags,
      summary: 'Get a delivery with all its attempts (request and response as recorded)',
      params: Type.Object({ tenantId: Type.String(), deliveryId: Type.String() }),
      response: { 200: Type.Intersect([Delivery, Type.Object({ attempts: Type.Array(Attempt) })]), ...errorResponses() },
    },
  }, async (request) => deliveries.getDelivery(ctx, request.actor, request.params.tenantId, request.params.deliveryId));
};
