import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalidField } from '../../domain/errors.ts';
import { arrayElementSpans, objectMemberSpans, type Span } from '../../domain/json.ts';
import type { Context } from '../../services/context.ts';
import type { IdempotentAnswer } from '../../services/idempotency.ts';
import { getEvent, listEvents } from '../../services/events.ts';
import { maxBatchSize, publishEvents, type PublishedEvent, type PublishInput } from '../../services/publish.ts';
import type { StoredEvent } from '../../store/eventLog.ts';
import { DateTime, Delivery, Environment, errorResponses, ListQuery, nullable, Page } from './schemas.ts';

const tags = ['Events'];
const TenantParams = Type.Object({ tenantId: Type.String() });
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Repeating a request with the same key returns the first answer instead of publishing again (kept 24 h).' })),
});

const EventInput = Type.Object(
  {
    type: Type.String({ description: 'A catalogued event type, e.g. payment.sent' }),
    data: Type.Unknown({ description: 'Any JSON. Receivers get it byte for byte as sent.' }),
    accountId: Type.Optional(nullable(Type.String())),
    environment: Type.Optional(Environment),
    relatedEntity: Type.Optional(nullable(Type.Object({ id: Type.String(), type: Type.String() }, { additionalProperties: false }))),
  },
  { additionalProperties: false },
);
type EventBody = { type: string; data: unknown; accountId?: string | null; environment?: 'live' | 'test'; relatedEntity?: { id: string; type: string } | null };

const Published = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  environment: Environment,
  accountId: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  deliveries: Type.Integer({ description: 'How many endpoints the event is being delivered to.' }),
});

const StoredEventSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  type: Type.String(),
  environment: Environment,
  accountId: nullable(Type.String()),
  relatedEntity: nullable(Type.Object({ id: nullable(Type.String()), type: nullable(Type.String()) })),
  createdAt: DateTime,
  data: Type.Unknown({ description: 'The data exactly as published (byte for byte).' }),
});

/**
 * An event as JSON with `data` spliced in as the raw text published: parsing and re-serialising
 * would change it (1e400, big integers, duplicate keys). Built by hand, so Fastify sends it as is.
 */
function eventJson(e: StoredEvent, extra: Record<string, unknown> = {}): string {
  const { payload, ...rest } = e;
  const head = JSON.stringify({ ...rest, ...extra });
  return `${head.slice(0, -1)},"data":${payload}}`;
}

/** Pairs each parsed event with the raw text of its `data`, and holds each payload to the size limit. */
function toInput(ctx: Context, body: EventBody, raw: string, span: Span, path: string): PublishInput {
  const dataSpan = objectMemberSpans(raw, span.start).get('data')!;
  if (dataSpan.end - dataSpan.start > ctx.config.maxBodyBytes) {
    throw invalidField(`${path}data`, `must be at most ${ctx.config.maxBodyBytes} bytes`);
  }
  return { ...body, payload: raw.slice(dataSpan.start, dataSpan.end) };
}

function send(reply: FastifyReply, answer: IdempotentAnswer<unknown>, body: unknown) {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(answer.status).send(body);
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}

export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/tenants/:tenantId/events', {
    schema: {
      tags,
      summary: 'Publish an event: it is stored and delivered to every subscribed endpoint',
      params: TenantParams,
      headers: IdempotencyHeaders,
      body: EventInput,
      response: { 202: Published, ...errorResponses(409, 413, 422) },
    },
  }, async (request, reply) => {
    const raw = request.rawBody!;
    const input = toInput(ctx, request.body as EventBody, raw, { start: 0, end: raw.length }, '');
    const answer = await publishEvents(ctx, request.actor, request.params.tenantId, [input], {
      idempotencyKey: idempotencyKey(request),
      requestBody: raw,
    });
    return send(reply, answer, answer.body[0]);
  });

  app.post('/tenants/:tenantId/events/batch', {
    bodyLimit: ctx.config.maxBatchBodyBytes,
    schema: {
      tags,
      summary: `Publish up to ${maxBatchSize} events at once, all or nothing`,
      params: TenantParams,
      headers: IdempotencyHeaders,
      body: Type.Object({ events: Type.Array(EventInput, { minItems: 1, maxItems: maxBatchSize }) }, { additionalProperties: false }),
      response: { 202: Type.Object({ data: Type.Array(Published) }), ...errorResponses(409, 413, 422) },
    },
  }, async (request, reply) => {
    const raw = request.rawBody!;
    const eventsSpan = objectMemberSpans(raw, 0).get('events')!;
    const spans = arrayElementSpans(raw, eventsSpan.start);
    const inputs = (request.body.events as EventBody[]).map((body, i) => toInput(ctx, body, raw, spans[i]!, `events[${i}].`));
    const answer = await publishEvents(ctx, request.actor, request.params.tenantId, inputs, {
      idempotencyKey: idempotencyKey(request),
      requestBody: raw,
      batch: true,
    });
    return send(reply, answer, { data: answer.body as PublishedEvent[] });
  });

  app.get('/tenants/:tenantId/events', {
    schema: {
      tags,
      summary: 'List published events, newest first',
      params: TenantParams,
      querystring: Type.Object(
        {
          ...ListQuery.properties,
          type: Type.Optional(Type.String()),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          until: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Page(StoredEventSchema), ...errorResponses(400) },
    },
  }, async (request, reply) => {
    const page = await listEvents(ctx, request.actor, request.params.tenantId, request.query);
    const body = `{"data":[${page.data.map((e) => eventJson(e)).join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
    return reply.type('application/json').send(body as never);
  });

  app.get('/tenants/:tenantId/events/:eventId', {
    schema: {
      tags,
      summary: 'Get an event with its deliveries',
      params: Type.Object({ tenantId: Type.String(), eventId: Type.String() }),
      response: { 200: Type.Intersect([StoredEventSchema, Type.Object({ deliveries: Type.Array(Delivery) })]), ...errorResponses() },
    },
  }, async (request, reply) => {
    const { deliveries, ...event } = await getEvent(ctx, request.actor, request.params.tenantId, request.params.eventId);
    return reply.type('application/json').send(eventJson(event, { deliveries: deliveries.map(withoutInternals) }) as never);
  });
};

/** The delivery fields the API shows (the lease is internal). */
function withoutInternals<T extends { lockedUntil: unknown }>(d: T): Omit<T, 'lockedUntil'> {
  const { lockedUntil: _, ...rest } = d;
  return rest;
}
