import { sendExport } from '../sendExport.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as deliveries from '../../services/deliveries.ts';
import { exportDeliveries, exportFormats } from '../../services/export.ts';
import type { IdempotentAnswer } from '../../services/idempotency.ts';
import { redeliver, retryDelivery } from '../../services/retries.ts';
import { Attempt, Delivery, DeliveryStatus, errorResponses, ListQuery, Page, StringEnum } from './schemas.ts';

const tags = ['Deliveries'];
const TenantParams = Type.Object({ tenantId: Type.String() });
const DeliveryParams = Type.Object({ tenantId: Type.String(), deliveryId: Type.String() });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String()) });

/** The search filters shared by the list and the export. */
const filters = {
  endpointId: Type.Optional(Type.String({ format: 'uuid' })),
  eventId: Type.Optional(Type.String({ format: 'uuid' })),
  eventType: Type.Optional(Type.String()),
  status: Type.Optional(DeliveryStatus),
  accountId: Type.Optional(Type.String()),
  relatedEntityId: Type.Optional(Type.String()),
  relatedEntityType: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before.' })),
  q: Type.Optional(Type.String({
    description: 'Query language (RSQL): ==, !=, =in=, =out=, =gt=, =ge=, =lt=, =le=; ";" and, "," or, parentheses. Fields: eventType, status, endpointId, eventId, createdOn, sentOn, attemptCount, accountId, relatedEntityId, relatedEntityType. Example: eventType=="payment.*";attemptCount=gt=1',
  })),
  sortBy: Type.Optional(Type.Array(Type.String(), { description: 'field:ASC or field:DESC, repeatable; fields createdOn, sentOn, attemptCount, eventType, status. Default createdOn:DESC.' })),
};
const SearchQuery = Type.Object({ ...ListQuery.properties, ...filters }, { additionalProperties: false });
const ExportQuery = Type.Object({ format: StringEnum(exportFormats, { default: 'csv' }), ...filters }, { additionalProperties: false });

function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}

function send(reply: FastifyReply, answer: IdempotentAnswer<unknown>) {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(answer.status).send(answer.body);
}

export const deliveryRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/tenants/:tenantId/deliveries', {
    schema: { tags, summary: 'Search deliveries', params: TenantParams, querystring: SearchQuery, response: { 200: Page(Delivery), ...errorResponses(400) } },
  }, async (request) => deliveries.searchDeliveryPage(ctx, request.actor, request.params.tenantId, request.query));

  app.get('/tenants/:tenantId/deliveries/export', {
    schema: {
      tags,
      summary: 'Export deliveries matching the same filters as the search, streamed as CSV, JSON or NDJSON',
      params: TenantParams,
      querystring: ExportQuery,
      response: { 200: { description: 'The rows, streamed', content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array' } }, 'application/x-ndjson': { schema: { type: 'string' } } } }, ...errorResponses(400) },
    },
  }, async (request, reply) => {
    const { format, ...query } = request.query;
    return sendExport(reply, exportDeliveries(ctx, request.actor, request.params.tenantId, query, format), format, 'deliveries');
  });

  app.get('/tenants/:tenantId/deliveries/:deliveryId', {
    schema: {
      tags,
      summary: 'Get a delivery with all its attempts (request and response as recorded)',
      params: DeliveryParams,
      response: { 200: Type.Intersect([Delivery, Type.Object({ attempts: Type.Array(Attempt) })]), ...errorResponses() },
    },
  }, async (request) => deliveries.getDelivery(ctx, request.actor, request.params.tenantId, request.params.deliveryId));

  app.post('/tenants/:tenantId/deliveries/:deliveryId/retry', {
    schema: {
      tags,
      summary: 'Send the delivery again soon, as another attempt of the same delivery',
      params: DeliveryParams,
      headers: IdempotencyHeaders,
      response: { 202: Delivery, ...errorResponses(409, 422) },
    },
  }, async (request, reply) => send(reply, await retryDelivery(ctx, request.actor, request.params.tenantId, request.params.deliveryId, idempotencyKey(request))));

  app.post('/tenants/:tenantId/deliveries/:deliveryId/redeliver', {
    schema: {
      tags,
      summary: 'Send the event again as a new delivery that points back to this one (clonedFrom)',
      params: DeliveryParams,
      headers: IdempotencyHeaders,
      response: { 202: Delivery, ...errorResponses(409, 422) },
    },
  }, async (request, reply) => send(reply, await redeliver(ctx, request.actor, request.params.tenantId, request.params.deliveryId, idempotencyKey(request))));
};
