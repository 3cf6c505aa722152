import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as eventTypes from '../../services/eventTypes.ts';
import { errorResponses, EventType, ListQuery, nullable, Page } from './schemas.ts';

const tags = ['Event types'];
const NameParams = Type.Object({ name: Type.String({ description: 'A dotted name such as payment.sent' }) });

export const eventTypeRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.put('/event-types/:name', {
    schema: {
      tags,
      summary: 'Create or replace an event type (operator)',
      params: NameParams,
      body: Type.Object(
        {
          description: Type.Optional(Type.String()),
          schema: Type.Optional(nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema (draft 2020-12) that published data must satisfy.' }))),
          deprecated: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: { 200: EventType, 201: EventType, ...errorResponses(422) },
    },
  }, async (request, reply) => {
    const { eventType, created } = await eventTypes.putEventType(ctx, request.actor, request.params.name, request.body);
    return reply.code(created ? 201 : 200).send(eventType);
  });

  app.get('/event-types', {
    schema: {
      tags,
      summary: 'List event types',
      querystring: Type.Intersect([ListQuery, Type.Object({ includeDeprecated: Type.Boolean({ default: true }) })]),
      response: { 200: Page(EventType), ...errorResponses(400) },
    },
  }, async (request) => eventTypes.listEventTypes(ctx, request.query));

  app.get('/event-types/:name', {
    schema: { tags, summary: 'Get an event type', params: NameParams, response: { 200: EventType, ...errorResponses() } },
  }, async (request) => eventTypes.getEventType(ctx, request.params.name));

  app.delete('/event-types/:name', {
    schema: { tags, summary: 'Delete an event type (operator)', params: NameParams, response: { 204: Type.Null(), ...errorResponses() } },
  }, async (request, reply) => {
    await eventTypes.deleteEventType(ctx, request.actor, request.params.name);
    return reply.code(204).send(null);
  });
};
