// Webhooks: create, list, get, toggle on/off, delete — over services/endpoints.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import * as endpoints from '../../services/endpoints.ts';
import { describing, inWebhookTerms } from './errors.ts';
import { BrandParams, errorResponses, tags, WebhookParams, WebhookPatchRequest, WebhookRequest, WebhookResponse } from './schemas.ts';
import { toWebhook } from './translate.ts';

export const webhookNotFound = (id: string, brandId: string) => `A webhook with ID: ${id} for brandId: ${brandId} was not found`;

function locationOf(request: FastifyRequest, brandId: string, id: string): string {
  return `${request.protocol}://${request.host}/v1/${encodeURIComponent(brandId)}/webhooks/${id}`;
}

export const webhookRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/v1/:brandId/webhooks', {
    schema: {
      tags,
      summary: 'Create a New Webhook (enabled unless `enabled: false`)',
      params: BrandParams,
      body: WebhookRequest,
      response: {
        201: Type.Object(WebhookResponse.properties, { description: 'The webhook was successfully created', headers: { Location: { type: 'string', format: 'uri' } } }),
        ...errorResponses(409, 422),
      },
    },
  }, async (request, reply) => {
    const { brandId } = request.params;
    const { endpoint: url, events, enabled = true } = request.body;
    const conflict = `A webhook for endpoint: ${url} and eventTypes: ${JSON.stringify([...new Set(events)])} already exists`;
    const created = await describing('conflict', conflict, () =>
      describing('not_found', 'No brand with that brand ID was found', () =>
        inWebhookTerms(() => endpoints.createEndpoint(ctx, request.actor, brandId, { url, eventTypes: events, enabled }))));
    return reply.code(201).header('location', locationOf(request, brandId, created.id)).send(toWebhook(created));
  });

  app.get('/v1/:brandId/webhooks', {
    schema: { tags, summary: 'Get Webhooks: all webhooks of a brand (an empty list when it has none)', params: BrandParams, response: { 200: Type.Array(WebhookResponse), ...errorResponses() } },
  }, async (request) => {
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await describing('not_found', 'No webhooks with that brand ID were found', () =>
        endpoints.listEndpoints(ctx, request.actor, request.params.brandId, { limit: 250, cursor }));
      all.push(...page.data.map(toWebhook));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  });

  app.get('/v1/:brandId/webhooks/:id', {
    schema: { tags, summary: 'Get a webhook by ID', params: WebhookParams, response: { 200: WebhookResponse, ...errorResponses() } },
  }, async (request) => {
    const { brandId, id } = request.params;
    return toWebhook(await describing('not_found', webhookNotFound(id, brandId), () => endpoints.getEndpoint(ctx, request.actor, brandId, id)));
  });

  app.patch('/v1/:brandId/webhooks/:id', {
    schema: {
      tags,
      summary: 'Toggle a Webhook On or Off (204, no body)',
      params: WebhookParams,
      body: WebhookPatchRequest,
      response: { 204: Type.Null({ description: 'The webhook was modified' }), ...errorResponses(422) },
    },
  }, async (request, reply) => {
    const { brandId, id } = request.params;
    await describing('not_found', webhookNotFound(id, brandId), () =>
      inWebhookTerms(() => endpoints.patchEndpoint(ctx, request.actor, brandId, id, { enabled: request.body.enabled })));
    return reply.code(204).send(null);
  });

  app.delete('/v1/:brandId/webhooks/:id', {
    schema: { tags, summary: 'Delete a Webhook', params: WebhookParams, response: { 204: Type.Null({ description: 'The webhook was deleted successfully' }), ...errorResponses() } },
  }, async (request, reply) => {
    const { brandId, id } = request.params;
    await describing('not_found', webhookNotFound(id, brandId), () => endpoints.deleteEndpoint(ctx, request.actor, brandId, id));
    return reply.code(204).send(null);
  });
};
