import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as endpoints from '../../services/endpoints.ts';
import { pingEndpoint } from '../../services/ping.ts';
import { Attempt, Endpoint, Environment, errorResponses, ListQuery, Metadata, nullable, Page } from './schemas.ts';

const tags = ['Endpoints'];
const TenantParams = Type.Object({ tenantId: Type.String() });
const EndpointParams = Type.Object({ tenantId: Type.String(), endpointId: Type.String() });

const fields = {
  url: Type.String({ description: 'https:// URL that receives the deliveries.' }),
  eventTypes: Type.Array(Type.String(), {
    description: 'Event types to receive: exact names, prefixes (`payment`, `payment.*`) or `*` for all.',
  }),
  description: Type.Optional(Type.String()),
  accountIds: Type.Optional(nullable(Type.Array(Type.String(), { description: 'Only events of these accounts; null or absent for all.' }))),
  environment: Type.Optional(Environment),
  enabled: Type.Optional(Type.Boolean()),
  headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra headers sent with every delivery.' })),
  metadata: Type.Optional(Metadata),
};
const Secret = Type.String({ description: '`whsec_` + base64 of 24 to 64 random bytes.' });
const EndpointInput = Type.Object(fields, { additionalProperties: false });

export const endpointRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/tenants/:tenantId/endpoints', {
    schema: {
      tags,
      summary: 'Create an endpoint. The answer carries its signing secret.',
      params: TenantParams,
      body: Type.Object({ ...fields, secret: Type.Optional(Secret) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([Endpoint, Type.Object({ secret: Type.String() })]), ...errorResponses(409, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await endpoints.createEndpoint(ctx, request.actor, request.params.tenantId, request.body)));

  app.get('/tenants/:tenantId/endpoints', {
    schema: { tags, summary: 'List endpoints, newest first', params: TenantParams, querystring: ListQuery, response: { 200: Page(Endpoint), ...errorResponses(400) } },
  }, async (request) => endpoints.listEndpoints(ctx, request.actor, request.params.tenantId, request.query));

  app.get('/tenants/:tenantId/endpoints/:endpointId', {
    schema: { tags, summary: 'Get an endpoint', params: EndpointParams, response: { 200: Endpoint, ...errorResponses() } },
  }, async (request) => endpoints.getEndpoint(ctx, request.actor, request.params.tenantId, request.params.endpointId));

  app.put('/tenants/:tenantId/endpoints/:endpointId', {
    schema: {
      tags,
      summary: 'Replace an endpoint (absent fields take their defaults; the secret is kept)',
      params: EndpointParams,
      body: EndpointInput,
      response: { 200: Endpoint, ...errorResponses(409, 422) },
    },
  }, async (request) => endpoints.replaceEndpoint(ctx, request.actor, request.params.tenantId, request.params.endpointId, request.body));

  app.patch('/tenants/:tenantId/endpoints/:endpointId', {
    schema: {
      tags,
      summary: 'Change some fields of an endpoint (`enabled: true` re-enables a disabled one)',
      params: EndpointParams,
      body: Type.Partial(EndpointInput),
      response: { 200: Endpoint, ...errorResponses(409, 422) },
    },
  }, async (request) => endpoints.patchEndpoint(ctx, request.actor, request.params.tenantId, request.params.endpointId, request.body));

  app.delete('/tenants/:tenantId/endpoints/:endpointId', {
    schema: { tags, summary: 'Delete an endpoint', params: EndpointParams, response: { 204: Type.Null(), ...errorResponses() } },
  }, async (request, reply) => {
    await endpoints.deleteEndpoint(ctx, request.actor, request.params.tenantId, request.params.endpointId);
    return reply.code(204).send(null);
  });

  app.get('/tenants/:tenantId/endpoints/:endpointId/secret', {
    schema: { tags, summary: "Get an endpoint's signing secret", params: EndpointParams, response: { 200: Type.Object({ secret: Type.String() }), ...errorResponses() } },
  }, async (request) => endpoints.getEndpointSecret(ctx, request.actor, request.params.tenantId, request.params.endpointId));

  app.post('/tenants/:tenantId/endpoints/:endpointId/rotate-secret', {
    // The body is optional, but Fastify validates a missing body against the schema: read it as {}.
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: {
      tags,
      summary: 'Replace the signing secret; the old one keeps signing during the grace period',
      params: EndpointParams,
      body: Type.Optional(
        Type.Object(
          {
            secret: Type.Optional(Secret),
            gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, description: 'Default 86400 (24 h); 0 stops the old secret at once.' })),
          },
          { additionalProperties: false },
        ),
      ),
      response: { 200: Type.Object({ secret: Type.String() }), ...errorResponses(422) },
    },
  }, async (request) => {
    const body = request.body ?? {};
    return endpoints.rotateEndpointSecret(ctx, request.actor, request.params.tenantId, request.params.endpointId, {
      secret: body.secret,
      gracePeriodMs: body.gracePeriodSeconds === undefined ? undefined : body.gracePeriodSeconds * 1000,
    });
  });

  app.post('/tenants/:tenantId/endpoints/:endpointId/ping', {
    schema: {
      tags,
      summary: 'Send a webhook.ping event to the endpoint now and answer with the outcome',
      params: EndpointParams,
      response: {
        200: Type.Object({
          success: Type.Boolean(),
          eventId: Type.String({ format: 'uuid' }),
          deliveryId: Type.String({ format: 'uuid' }),
          attempt: Type.Omit(Attempt, ['requestHeaders']),
        }),
        ...errorResponses(),
      },
    },
  }, async (request) => pingEndpoint(ctx, request.actor, request.params.tenantId, request.params.endpointId));
};
