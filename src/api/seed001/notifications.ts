// GET /v1/webhook-subscriptions/{id}/notifications and POST /v1/webhook-notifications/{id}/redeliver,
// translated to the delivery search and to redeliver.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HeraldError, notFound } from '../../domain/errors.ts';
import { decodeTypedId } from '../../domain/typedIds.ts';
import type { Actor, Endpoint } from '../../domain/types.ts';
import type { Context } from '../../services/context.ts';
import { searchDeliveryOffset } from '../../services/deliveries.ts';
import { getEndpoint } from '../../services/endpoints.ts';
import { getEventsById } from '../../services/events.ts';
import { redeliver } from '../../services/retries.ts';
import type { Delivery } from '../../store/deliveryLog.ts';
import { tenantOf } from '../authenticate.ts';
import { errorResponses } from './errors.ts';
import { Notification, notificationPrefix, subscriptionPrefix, toNotification } from './notification.ts';
import { translateQuery } from './query.ts';

const tags = ['Flowbrite (seed 001)'];
const IdParams = Type.Object({ id: Type.String() });
const defaultLimit = 10;
const maxLimit = 100;
const defaultSortBy = ['createdOn:DESC'];

const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({
      description: 'Query language (RSQL): ==, !=, =in=, =out=, =gt=, =ge=, =lt=, =le=; ";" and, "," or, parentheses. Fields: eventType, status, endpointId (or subscription.id; whs_ ids accepted), createdOn, sentOn, attemptCount, relatedEntityId, relatedEntityType. Example: eventType=="payment.sent"',
      examples: ['eventType=="payment.sent"'],
    })),
    sortBy: Type.Optional(Type.Array(Type.String(), { description: 'field:ASC or field:DESC, repeatable; fields createdOn, sentOn, attemptCount, eventType, status. Default createdOn:DESC.' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit })),
  },
  { additionalProperties: false },
);

const SearchAnswer = Type.Object({
  data: Type.Array(Notification),
  meta: Type.Object({
    query: Type.Union([Type.String(), Type.Null()], { description: 'q as given; null without one.' }),
    sortBy: Type.Array(Type.String(), { description: 'sortBy as given, or the default ["createdOn:DESC"].' }),
    offset: Type.Integer(),
    limit: Type.Integer(),
    count: Type.Integer({ description: 'Notifications in data.' }),
    totalCount: Type.Integer({ description: 'Notifications matching q, over all pages.' }),
    timestamp: Type.String({ description: 'When the answer was made (UTC): 2025-06-01T10:00:00Z' }),
  }),
});

/** The UUID behind a typed id; anything not well formed is "not found", like an id that does not exist. */
function uuidOf(prefix: string, what: string, typed: string): string {
  const uuid = decodeTypedId(prefix, typed);
  if (!uuid) throw notFound(what, typed);
  return uuid;
}

/** Runs `work`, reporting "not found" under the id the client used rather than Herald's UUID. */
async function asFound<T>(what: string, typed: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'not_found') throw notFound(what, typed);
    throw error;
  }
}

async function notificationsOf(ctx: Context, actor: Actor, tenantId: string, deliveries: Delivery[], endpoint: Pick<Endpoint, 'url'>) {
  const events = await getEventsById(ctx, actor, tenantId, deliveries.map((d) => d.eventId));
  return deliveries.map((d) => toNotification(d, events.get(d.eventId), endpoint));
}

export const notificationRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/v1/webhook-subscriptions/:id/notifications', {
    schema: {
      tags,
      summary: 'Search for notifications sent to a webhook subscription',
      params: IdParams,
      querystring: SearchQuery,
      response: { 200: SearchAnswer, ...errorResponses(400) },
    },
  }, async (request) => {
    const { actor } = request;
    const tenantId = tenantOf(request);
    const { q, offset = 0, limit = defaultLimit } = request.query;
    // Repeated (sortBy=a:ASC&sortBy=b:DESC) or comma-separated (sortBy=a:ASC,b:DESC).
    const sortBy = request.query.sortBy?.flatMap((s) => s.split(',')).filter((s) => s.trim() !== '');
    const endpointId = uuidOf(subscriptionPrefix, 'webhook subscription', request.params.id);
    const endpoint = await asFound('webhook subscription', request.params.id, () => getEndpoint(ctx, actor, tenantId, endpointId));
    const found = await searchDeliveryOffset(ctx, actor, tenantId, { endpointId, q: q === undefined ? undefined : translateQuery(q), sortBy, offset, limit });
    const data = await notificationsOf(ctx, actor, tenantId, found.data, endpoint);
    return {
      data,
      meta: {
        query: q ?? null,
        sortBy: sortBy && sortBy.length > 0 ? sortBy : defaultSortBy,
        offset,
        limit,
        count: data.length,
        totalCount: found.totalCount,
        timestamp: `${new Date().toISOString().slice(0, 19)}Z`,
      },
    };
  });

  app.post('/v1/webhook-notifications/:id/redeliver', {
    schema: {
      tags,
      summary: 'Redeliver a notification as a new notification cloned from it, queued at once',
      description: 'Requires X-IDEMPOTENCY-KEY: the same key again answers the first answer, without a second clone.',
      params: IdParams,
      headers: Type.Object({ 'x-idempotency-key': Type.String({ description: '1 to 255 visible ASCII characters' }) }),
      response: { 201: Type.Object({ data: Notification }), ...errorResponses(400, 409, 422) },
    },
  }, async (request, reply) => {
    const { actor } = request;
    const tenantId = tenantOf(request);
    const deliveryId = uuidOf(notificationPrefix, 'webhook notification', request.params.id);
    const answer = await asFound('webhook notification', request.params.id, () =>
      redeliver(ctx, actor, tenantId, deliveryId, request.headers['x-idempotency-key']),
    );
    const clone = answer.body;
    const endpoint = await getEndpoint(ctx, actor, tenantId, clone.endpointId);
    const [notification] = await notificationsOf(ctx, actor, tenantId, [clone], endpoint);
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send({ data: notification! });
  });
};
