// The events of a webhook: Herald's deliveries to that endpoint, one per event (redeliveries made
// through other surfaces are left out), paged by event id; one event with its attempts; retry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HeraldError, invalidField } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { Actor } from '../../domain/types.ts';
import type { Context } from '../../services/context.ts';
import * as deliveries from '../../services/deliveries.ts';
import { getEndpoint } from '../../services/endpoints.ts';
import { retryDelivery } from '../../services/retries.ts';
import type { Delivery } from '../../store/deliveryLog.ts';
import { describing } from './errors.ts';
import { errorResponses, EventParams, EventsQuery, tags, WebhookEventResponse, WebhookEventsResponsePage, WebhookParams } from './schemas.ts';
import { toAttempt, toEvent } from './translate.ts';
import { webhookNotFound } from './webhooks.ts';

const maxPageSize = 100;
const eventNotFound = 'No event with that ID was found';

/** Answers 404 in the document's words unless the brand has this webhook. */
async function requireWebhook(ctx: Context, actor: Actor, brandId: string, id: string): Promise<void> {
  await describing('not_found', webhookNotFound(id, brandId), () => getEndpoint(ctx, actor, brandId, id));
}

/** The delivery of `eventId` to webhook `id`, or null. */
async function findDelivery(ctx: Context, actor: Actor, brandId: string, id: string, eventId: string): Promise<Delivery | null> {
  if (!isUuid(eventId)) return null;
  const page = await deliveries.searchDeliveryPage(ctx, actor, brandId, { endpointId: id, eventId, originalsOnly: true, limit: 1 });
  return page.data[0] ?? null;
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}

export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/v1/:brandId/webhooks/:id/events', {
    schema: {
      tags,
      summary: 'Get the Events of a Webhook, oldest first; pass page.lastId as startId for the next page',
      params: WebhookParams,
      querystring: EventsQuery,
      response: { 200: WebhookEventsResponsePage, ...errorResponses(422) },
    },
  }, async (request) => {
    const { brandId, id } = request.params;
    const { start, end, startId } = request.query;
    const size = Math.min(request.query.size, maxPageSize);
    await requireWebhook(ctx, request.actor, brandId, id);
    let startAfter: string | undefined;
    if (startId !== undefined) {
      const from = await findDelivery(ctx, request.actor, brandId, id, startId);
      if (!from) throw invalidField('startId', 'is not the ID of an event of this webhook');
      startAfter = from.id;
    }
    const page = await deliveries.searchDeliveryPage(ctx, request.actor, brandId, {
      endpointId: id, originalsOnly: true, since: start, until: end, sortBy: 'createdOn:asc', limit: size, startAfter,
    });
    const last = page.data[page.data.length - 1];
    return {
      events: page.data.map(toEvent),
      page: { size, startId: startId ?? null, lastId: page.nextCursor && last ? last.eventId : null },
    };
  });

  app.get('/v1/:brandId/webhooks/:id/events/:eventId', {
    schema: {
      tags,
      summary: 'Get a webhook event by ID, with its attempts (request and response)',
      params: EventParams,
      response: { 200: WebhookEventResponse, ...errorResponses() },
    },
  }, async (request) => {
    const { brandId, id, eventId } = request.params;
    await requireWebhook(ctx, request.actor, brandId, id);
    const found = await findDelivery(ctx, request.actor, brandId, id, eventId);
    if (!found) throw new HeraldError('not_found', eventNotFound);
    const delivery = await deliveries.getDelivery(ctx, request.actor, brandId, found.id);
    return { ...toEvent(delivery), attempts: delivery.attempts.map(toAttempt) };
  });

  app.post('/v1/:brandId/webhooks/:id/events/:eventId/retry', {
    schema: {
      tags,
      summary: 'Asynchronously Retry a Webhook Event: queues one more attempt (202, no body)',
      params: EventParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
      response: { 202: Type.Unsafe<undefined>({ description: 'The retry request was accepted successfully (no body).' }), ...errorResponses(409, 422) },
    },
  }, async (request, reply) => {
    const { brandId, id, eventId } = request.params;
    await requireWebhook(ctx, request.actor, brandId, id);
    const found = await findDelivery(ctx, request.actor, brandId, id, eventId);
    if (!found) throw new HeraldError('not_found', eventNotFound);
    await describing('not_found', eventNotFound, () => retryDelivery(ctx, request.actor, brandId, found.id, idempotencyKey(request)));
    return reply.code(202).send(undefined);
  });
};
