import { notFound } from '../domain/errors.ts';
import { firstIdAt } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import { getEndpoint } from '../store/endpoints.ts';
import { endpointWindowStats, type WindowStats } from '../store/stats.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';

const windows = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;

export type EndpointStats = Record<keyof typeof windows, WindowStats & { successRate: number | null }>;

/** Per window: deliveries by status, the success rate of finished ones, attempts by outcome and latency percentiles. */
export async function endpointStats(ctx: Context, actor: Actor, tenantId: string, endpointId: string, now = new Date()): Promise<EndpointStats> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  if (!(await getEndpoint(ctx.db, { tenantId, environment: actorEnvironment(actor) }, endpointId))) throw notFound('endpoint', endpointId);
  const entries = await Promise.all(
    Object.entries(windows).map(async ([name, ms]) => {
      const stats = await endpointWindowStats(ctx.db, endpointId, firstIdAt(new Date(now.getTime() - ms)));
      const finished = stats.deliveries.succeeded + stats.deliveries.failed;
      return [name, { ...stats, successRate: finished === 0 ? null : stats.deliveries.succeeded / finished }] as const;
    }),
  );
  return Object.fromEntries(entries) as EndpointStats;
}
