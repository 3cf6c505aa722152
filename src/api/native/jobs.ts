import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Context } from '../../services/context.ts';
import { getJob, requestReplay } from '../../services/replay.ts';
import { EndpointStats, errorResponses, Job } from './schemas.ts';
import { endpointStats } from '../../services/stats.ts';

const EndpointParams = Type.Object({ tenantId: Type.String(), endpointId: Type.String() });

/** Replays (asynchronous jobs whose progress can be polled) and per-endpoint statistics. */
export const jobRoutes: FastifyPluginAsyncTypebox<{ ctx: Context }> = async (app, { ctx }) => {
  app.post('/tenants/:tenantId/endpoints/:endpointId/replay', {
    schema: {
      tags: ['Endpoints'],
      summary: 'Re-send what the endpoint missed in a time window (also backfills a new endpoint); answers a job to poll',
      params: EndpointParams,
      body: Type.Object(
        {
          since: Type.String({ format: 'date-time' }),
          until: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
          failedOnly: Type.Optional(Type.Boolean({ description: 'Only events whose delivery failed; otherwise also events the endpoint never received.' })),
        },
        { additionalProperties: false },
      ),
      response: { 202: Job, ...errorResponses(409, 422) },
    },
  }, async (request, reply) => {
    const job = await requestReplay(ctx, request.actor, request.params.tenantId, request.params.endpointId, request.body);
    return reply.code(202).header('location', `/v1/tenants/${encodeURIComponent(job.tenantId)}/jobs/${job.id}`).send(job);
  });

  app.get('/tenants/:tenantId/jobs/:jobId', {
    schema: {
      tags: ['Jobs'],
      summary: 'Get a background job with its progress',
      params: Type.Object({ tenantId: Type.String(), jobId: Type.String() }),
      response: { 200: Job, ...errorResponses() },
    },
  }, async (request) => getJob(ctx, request.actor, request.params.tenantId, request.params.jobId));

  app.get('/tenants/:tenantId/endpoints/:endpointId/stats', {
    schema: {
      tags: ['Endpoints'],
      summary: 'Deliveries by outcome, success rate and attempt latency over the last hour, day and week',
      params: EndpointParams,
      response: { 200: EndpointStats, ...errorResponses() },
    },
  }, async (request) => endpointStats(ctx, request.actor, request.params.tenantId, request.params.endpointId));
};
