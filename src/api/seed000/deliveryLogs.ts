// Monitoring webhooks: the delivery logs (all, per webhook with full request/response detail),
// their export as CSV or JSON, and retrying a delivery.
import { sendExport } from '../sendExport.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { Context } from '../../services/context.ts';
import { attemptsOfDeliveries, searchDeliveryOffset } from '../../services/deliveries.ts';
import { getEndpoint } from '../../services/endpoints.ts';
import { exportDeliveries } from '../../services/export.ts';
import { retryDelivery } from '../../services/retries.ts';
import { merchantOf } from './merchant.ts';
import {
  DeliveryLog, DeliveryLogWithAttempts, errorResponses, ExportQuery, LogPage, LogParams, LogQuery, MerchantQuery, tags, toAttempt,
  toDeliveryLog, WebhookLogQuery, WebhookParams,
} from './schemas.ts';

export const deliveryLogRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/delivery-logs', {
    schema: {
      tags,
      summary: 'List the delivery log: the success level of each message sent to the webhooks, newest first',
      querystring: LogQuery,
      response: { 200: LogPage(DeliveryLog), ...errorResponses(400) },
    },
  }, async (request) => {
    const { merchantId: _, webhookId, ...query } = request.query;
    const page = await searchDeliveryOffset(ctx, request.actor, merchantOf(request), { ...query, endpointId: webhookId });
    return { data: page.data.map(toDeliveryLog), pagination: { limit: query.limit, offset: query.offset, totalCount: page.totalCount } };
  });

  app.get('/delivery-logs/export', {
    schema: {
      tags,
      summary: 'Export the delivery log as CSV or JSON (streamed), with the same filters as the list',
      querystring: ExportQuery,
      response: {
        200: { description: 'The entries, streamed', content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array' } } } },
        ...errorResponses(400),
      },
    },
  }, async (request, reply) => {
    const { format, merchantId: _, webhookId, ...query } = request.query;
    const chunks = exportDeliveries(ctx, request.actor, merchantOf(request), { ...query, endpointId: webhookId }, format, { endpointId: 'webhookId' });
    return sendExport(reply, chunks, format, 'delivery-logs');
  });

  app.get('/delivery-logs/:webhookId', {
    schema: {
      tags,
      summary: "List one webhook's delivery log, each entry with every attempt's full request and response",
      params: WebhookParams,
      querystring: WebhookLogQuery,
      response: { 200: LogPage(DeliveryLogWithAttempts), ...errorResponses(400) },
    },
  }, async (request) => {
    const merchant = merchantOf(request);
    const { webhookId } = request.params;
    if (!isUuid(webhookId)) throw notFound('webhook', webhookId);
    const { merchantId: _, ...query } = request.query;
    const page = await searchDeliveryOffset(ctx, request.actor, merchant, { ...query, endpointId: webhookId });
    // A deleted webhook keeps its log; a webhook that never existed here (or is another
    // merchant's) is not found.
    if (page.totalCount === 0) await getEndpoint(ctx, request.actor, merchant, webhookId);
    const attempts = await attemptsOfDeliveries(ctx, page.data);
    return {
      data: page.data.map((d) => ({ ...toDeliveryLog(d), attempts: (attempts.get(d.id) ?? []).map(toAttempt) })),
      pagination: { limit: query.limit, offset: query.offset, totalCount: page.totalCount },
    };
  });

  app.post('/delivery-logs/:id/retry', {
    schema: {
      tags,
      summary: 'Retry a delivery now: another attempt of the same message (honours Idempotency-Key)',
      params: LogParams,
      querystring: MerchantQuery,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
      response: { 202: DeliveryLog, ...errorResponses(400, 409, 422) },
    },
  }, async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const answer = await retryDelivery(ctx, request.actor, merchantOf(request), request.params.id, typeof key === 'string' ? key : undefined);
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(answer.status as 202).send(toDeliveryLog(answer.body));
  });
};
