import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Context } from '../services/context.ts';
import { isMigrated } from '../store/migrate.ts';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'herald_' });

/** Unauthenticated probes: /health (the process is alive), /ready (the database is usable), /metrics. */
export const healthRoutes: FastifyPluginAsync<{ ctx: Context }> = async (app, { ctx }) => {
  const hide = { hide: true };
  app.get('/health', { schema: { ...hide } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { ...hide } }, async (_request, reply) => {
    const ready = await isMigrated(ctx.db).catch(() => false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database: ctx.db.driver });
  });
  app.get('/metrics', { schema: { ...hide } }, async (_request, reply) =>
    reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );
};
