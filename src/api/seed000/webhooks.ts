// Creating and managing webhooks: the event-type catalog, endpoints CRUD and the test ping.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Page } from '../../domain/cursor.ts';
import { reachTenant } from '../../services/access.ts';
import type { Context } from '../../services/context.ts';
import * as endpoints from '../../services/endpoints.ts';
import { listEventTypes } from '../../services/eventTypes.ts';
import { pingEndpoint } from '../../services/ping.ts';
import { merchantOf } from './merchant.ts';
import {
  errorResponses, EventType, List, MerchantQuery, PingResult, tags, toEventType, toPingAttempt, toWebhook, Webhook,
  WebhookCreate, WebhookParams, WebhookUpdate, WebhookWithSecret,
} from './schemas.ts';

/** Every item of a cursor-paged list: the document's lists are not paged. */
async function everyPage<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

export const webhookRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/event-types', {
    schema: { tags, summary: 'List every valid event type a webhook can accept', querystring: MerchantQuery, response: { 200: List(EventType), ...errorResponses(400) } },
  }, async (request) => {
    // The catalog is global; reading it still takes the Webhooks permission, like every route here.
    await reachTenant(ctx, request.actor, merchantOf(request), 'webhooks:read');
    const types = await everyPage((cursor) => listEventTypes(ctx, { limit: 250, cursor }));
    return { data: types.map(toEventType) };
  });

  app.post('/endpoints', {
    schema: {
      tags,
      summary: 'Create a webhook. The answer carries its HMAC signing secret, shown only here.',
      querystring: MerchantQuery,
      body: WebhookCreate,
      response: { 201: WebhookWithSecret, ...errorResponses(400, 409, 422) },
    },
  }, async (request, reply) => {
    const { endpointUrl, ...rest } = request.body;
    const created = await endpoints.createEndpoint(ctx, request.actor, merchantOf(request), { url: endpointUrl, ...rest });
    return reply.code(201).send({ ...toWebhook(created), secret: created.secret });
  });

  app.get('/endpoints', {
    schema: { tags, summary: 'List all webhooks of the merchant, newest first', querystring: MerchantQuery, response: { 200: List(Webhook), ...errorResponses(400) } },
  }, async (request) => {
    const merchant = merchantOf(request);
    const all = await everyPage((cursor) => endpoints.listEndpoints(ctx, request.actor, merchant, { limit: 250, cursor }));
    return { data: all.map(toWebhook) };
  });

  app.get('/endpoints/:webhookId', {
    schema: { tags, summary: 'Get a webhook', params: WebhookParams, querystring: MerchantQuery, response: { 200: Webhook, ...errorResponses(400) } },
  }, async (request) => toWebhook(await endpoints.getEndpoint(ctx, request.actor, merchantOf(request), request.params.webhookId)));

  app.put('/endpoints/:webhookId', {
    schema: {
      tags,
      summary: 'Change a webhook (e.g. its event types): the fields sent change, the others keep their values',
      params: WebhookParams,
      querystring: MerchantQuery,
      body: WebhookUpdate,
      response: { 200: Webhook, ...errorResponses(400, 409, 422) },
    },
  }, async (request) => {
    const { endpointUrl, ...rest } = request.body;
    const changes = endpointUrl === undefined ? rest : { url: endpointUrl, ...rest };
    return toWebhook(await endpoints.patchEndpoint(ctx, request.actor, merchantOf(request), request.params.webhookId, changes));
  });

  app.delete('/endpoints/:webhookId', {
    schema: {
      tags,
      summary: 'Delete a webhook for good (its delivery logs stay)',
      params: WebhookParams,
      querystring: MerchantQuery,
      response: { 204: Type.Null(), ...errorResponses(400) },
    },
  }, async (request, reply) => {
    await endpoints.deleteEndpoint(ctx, request.actor, merchantOf(request), request.params.webhookId);
    return reply.code(204).send(null);
  });

  app.post('/endpoints/:webhookId/ping', {
    schema: {
      tags,
      summary: 'Send a test ping (event type webhook.ping) to the webhook now and answer with the outcome',
      params: WebhookParams,
      querystring: MerchantQuery,
      response: { 200: PingResult, ...errorResponses(400) },
    },
  }, async (request) => {
    const result = await pingEndpoint(ctx, request.actor, merchantOf(request), request.params.webhookId);
    return {
      webhookId: request.params.webhookId,
      success: result.success,
      deliveryLogId: result.deliveryId,
      eventId: result.eventId,
      attempt: toPingAttempt(result.attempt),
    };
  });
};
