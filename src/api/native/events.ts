import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalidField } from '../../domain/errors.ts';
import { arrayElementSpans, objectMemberSpans, type Span } from '../../domain/json.ts';
import type { Context } from '../../services/context.ts';
import type { IdempotentAnswer } from '../../services/idempotency.ts';
import { maxBatchSize, publishEvents, type PublishedEvent, type PublishInput } from '../../services/publish.ts';
import { Environment, errorResponses, nullable } from './schemas.ts';

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
};
