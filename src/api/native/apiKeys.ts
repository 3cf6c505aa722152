import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as apiKeys from '../../services/apiKeys.ts';
import type { Context } from '../../services/context.ts';
import { ApiKey, Environment, errorResponses, ListQuery, Page, Permission } from './schemas.ts';

const tags = ['API keys'];
const KeyParams = Type.Object({ tenantId: Type.String(), keyId: Type.String() });

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/tenants/:tenantId/api-keys', {
    schema: {
      tags,
      summary: "Create an API key for a tenant (operator). The key is shown only in this answer.",
      params: Type.Object({ tenantId: Type.String() }),
      body: Type.Object(
        {
          name: Type.String(),
          permissions: Type.Optional(Type.Array(Permission, { description: 'Default: webhooks:read and webhooks:write.' })),
          environment: Type.Optional(Environment),
        },
        { additionalProperties: false },
      ),
      response: { 201: Type.Intersect([ApiKey, Type.Object({ key: Type.String() })]), ...errorResponses(422) },
    },
  }, async (request, reply) => reply.code(201).send(await apiKeys.createApiKey(ctx, request.actor, request.params.tenantId, request.body)));

  app.get('/tenants/:tenantId/api-keys', {
    schema: {
      tags,
      summary: "List a tenant's API keys (operator)",
      params: Type.Object({ tenantId: Type.String() }),
      querystring: ListQuery,
      response: { 200: Page(ApiKey), ...errorResponses(400) },
    },
  }, async (request) => apiKeys.listApiKeys(ctx, request.actor, request.params.tenantId, request.query));

  app.get('/tenants/:tenantId/api-keys/:keyId', {
    schema: { tags, summary: 'Get an API key (operator)', params: KeyParams, response: { 200: ApiKey, ...errorResponses() } },
  }, async (request) => apiKeys.getApiKey(ctx, request.actor, request.params.tenantId, request.params.keyId));

  app.delete('/tenants/:tenantId/api-keys/:keyId', {
    schema: { tags, summary: 'Revoke an API key at once (operator)', params: KeyParams, response: { 200: ApiKey, ...errorResponses() } },
  }, async (request) => apiKeys.revokeApiKey(ctx, request.actor, request.params.tenantId, request.params.keyId));
};
