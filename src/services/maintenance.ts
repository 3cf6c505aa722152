// Periodic upkeep run by workers: disabling endpoints that keep failing, and purging what is older
// than the retention period.
import { firstIdAt } from '../domain/ids.ts';
import { operationsTenantId } from '../domain/types.ts';
import { disableFailingEndpoints } from '../store/endpointHealth.ts';
import { purgeBatch, type PurgeCounts } from '../store/retention.ts';
import type { Context } from './context.ts';
import { emitOperationalEvents, endpointDisabledEvent } from './operationalEvents.ts';

export async function autoDisableEndpoints(ctx: Context): Promise<number> {
  if (ctx.config.autoDisableFailures === 0) return 0;
  const disabled = await disableFailingEndpoints(ctx.db, ctx.config.autoDisableFailures, ctx.config.autoDisableAfterMs);
  for (const e of disabled) ctx.log.warn({ endpointId: e.id, tenantId: e.tenantId, reason: e.reason }, 'endpoint disabled');
  await emitOperationalEvents(ctx, disabled.filter((e) => e.tenantId !== operationsTenantId).map(endpointDisabledEvent));
  return disabled.length;
}

/** Purges in batches of `batchSize` until nothing older than the retention period is left. */
export async function purgeExpired(ctx: Context, now = new Date(), batchSize = 1000): Promise<PurgeCounts> {
  const cutoff = new Date(now.getTime() - ctx.config.retentionDays * 86_400_000);
  const cutoffId = firstIdAt(cutoff);
  const total: PurgeCounts = { attempts: 0, deliveries: 0, events: 0, idempotencyKeys: 0, jobs: 0 };
  for (;;) {
    const counts = await purgeBatch(ctx.db, cutoffId, cutoff, batchSize);
    for (const key of Object.keys(total) as (keyof PurgeCounts)[]) total[key] += counts[key];
    if (Object.values(counts).every((n) => n < batchSize)) break;
  }
  if (Object.values(total).some((n) => n > 0)) ctx.log.info({ purged: total }, 'retention purge');
  return total;
}

/**
 * PGlite has no autovacuum, so nothing would ever refresh its planner statistics and the search
 * indexes could go unused. PostgreSQL does this by itself.
 */
export async function refreshStatistics(ctx: Context): Promise<void> {
  if (ctx.db.driver === 'pglite') await ctx.db.exec('analyze events; analyze deliveries; analyze attempts; analyze endpoints;');
}
