// /v1/webhooks: the accounts API's webhook CRUD and secret rotation, translated to the endpoint
// services. Its webhooks subscribe to every event type (`*`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Actor, Endpoint } from '../../domain/types.ts';
import type { Context } from '../../services/context.ts';
import * as endpoints from '../../services/endpoints.ts';
import { coversAccount } from '../../services/publish.ts';
import { tenantOf } from '../authenticate.ts';
import { errorResponses } from './errors.ts';
import { CreateWebhook, toWebhook, UpdateWebhook, Webhook } from './webhook.ts';

const tags = ['Accounts API (seed 004)'];
const IdParams = Type.Object({ id: Type.String({ description: "The webhook's unique identifier" }) });
const allEventTypes = ['*'];

/** Every endpoint of the tenant the actor sees, newest first (this list has no paging). */
async function allEndpoints(ctx: Context, actor: Actor, tenantId: string): Promise<Endpoint[]> {
  const all: Endpoint[] = [];
  let cursor: string | undefined;
  do {
    const page = await endpoints.listEndpoints(ctx, actor, tenantId, { limit: 250, cursor });
    all.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

async function withLast4(ctx: Context, actor: Actor, tenantId: string, endpoint: Endpoint) {
  const { secret } = await endpoints.getEndpointSecret(ctx, actor, tenantId, endpoint.id);
  return toWebhook(endpoint, secret, 'last4');
}

export const webhookRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/v1/webhooks', {
    schema: { tags, summary: 'Create a webhook', body: CreateWebhook, response: { 201: Webhook, ...errorResponses(400, 409) } },
  }, async (request, reply) => {
    const { url, account_ids: accountIds, enabled } = request.body;
    const created = await endpoints.createEndpoint(ctx, request.actor, tenantOf(request), { url, eventTypes: allEventTypes, accountIds, enabled });
    return reply.code(201).send(toWebhook(created, created.secret, 'full'));
  });

  app.get('/v1/webhooks', {
    schema: {
      tags,
      summary: 'List all webhooks',
      querystring: Type.Object(
        { account_id: Type.Optional(Type.String({ description: 'Only webhooks which push events of this account: those filtering on it and those without an account filter.' })) },
        { additionalProperties: false },
      ),
      response: { 200: Type.Array(Webhook), ...errorResponses(400) },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const accountId = request.query.account_id;
    const found = (await allEndpoints(ctx, request.actor, tenantId)).filter((e) => accountId === undefined || coversAccount(e.accountIds, accountId));
    return Promise.all(found.map((e) => withLast4(ctx, request.actor, tenantId, e)));
  });

  app.get('/v1/webhooks/:id', {
    schema: { tags, summary: 'Get a webhook', params: IdParams, response: { 200: Webhook, ...errorResponses() } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    return withLast4(ctx, request.actor, tenantId, await endpoints.getEndpoint(ctx, request.actor, tenantId, request.params.id));
  });

  app.put('/v1/webhooks/:id', {
    schema: { tags, summary: 'Update a webhook', params: IdParams, body: UpdateWebhook, response: { 200: Webhook, ...errorResponses(400, 409) } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const { url, enabled, account_ids: accountIds } = request.body;
    // Only what is given changes: enabled and account_ids keep their values when absent.
    const updated = await endpoints.patchEndpoint(ctx, request.actor, tenantId, request.params.id, { url, enabled, accountIds });
    return withLast4(ctx, request.actor, tenantId, updated);
  });

  app.delete('/v1/webhooks/:id', {
    schema: { tags, summary: 'Delete a webhook', params: IdParams, response: { 204: Type.Null(), ...errorResponses() } },
  }, async (request, reply) => {
    await endpoints.deleteEndpoint(ctx, request.actor, tenantOf(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.put('/v1/webhooks/:id/rotate-secret', {
    schema: {
      tags,
      summary: 'Rotate a webhook secret',
      description: 'The existing secret is invalidated immediately: subsequent webhook payloads are signed with the new secret only.',
      params: IdParams,
      response: { 200: Webhook, ...errorResponses() },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const { secret } = await endpoints.rotateEndpointSecret(ctx, request.actor, tenantId, request.params.id, { gracePeriodMs: 0 });
    return toWebhook(await endpoints.getEndpoint(ctx, request.actor, tenantId, request.params.id), secret, 'full');
  });
};
