import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as tenants from '../../services/tenants.ts';
import { errorResponses, ListQuery, Metadata, nullable, Page, Tenant } from './schemas.ts';

const tags = ['Tenants'];
const TenantParams = Type.Object({ tenantId: Type.String() });

export const tenantRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/tenants', {
    schema: {
      tags,
      summary: 'Create a tenant (operator)',
      body: Type.Object(
        {
          id: Type.Optional(Type.String({ description: 'Your own id for the tenant (e.g. a brand id); generated when absent.' })),
          name: Type.String(),
          parentId: Type.Optional(nullable(Type.String({ description: 'The partner this tenant belongs to.' }))),
          metadata: Type.Optional(Metadata),
        },
        { additionalProperties: false },
      ),
      response: { 201: Tenant, ...errorResponses(409, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await tenants.createTenant(ctx, request.actor, request.body)));

  app.get('/tenants', {
    schema: {
      tags,
      summary: 'List tenants (the operator sees all; a key sees its tenant and its children)',
      querystring: Type.Intersect([ListQuery, Type.Object({ parentId: Type.Optional(Type.String()) })]),
      response: { 200: Page(Tenant), ...errorResponses(400) },
    },
  }, async (request) => tenants.listTenants(ctx, request.actor, request.query));

  app.get('/tenants/:tenantId', {
    schema: { tags, summary: 'Get a tenant', params: TenantParams, response: { 200: Tenant, ...errorResponses() } },
  }, async (request) => tenants.getTenant(ctx, request.actor, request.params.tenantId));

  app.patch('/tenants/:tenantId', {
    schema: {
      tags,
      summary: 'Update a tenant (operator)',
      params: TenantParams,
      body: Type.Object(
        { name: Type.Optional(Type.String()), parentId: Type.Optional(nullable(Type.String())), metadata: Type.Optional(Metadata) },
        { additionalProperties: false },
      ),
      response: { 200: Tenant, ...errorResponses(422) },
    },
  }, async (request) => tenants.updateTenant(ctx, request.actor, request.params.tenantId, request.body));

  app.delete('/tenants/:tenantId', {
    schema: {
      tags,
      summary: 'Delete a tenant with its keys and endpoints (operator)',
      params: TenantParams,
      response: { 204: Type.Null(), ...errorResponses(409) },
    },
  }, async (request, reply) => {
    await tenants.deleteTenant(ctx, request.actor, request.params.tenantId);
    return reply.code(204).send(null);
  });
};
