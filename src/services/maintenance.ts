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

/** The tables that grow with traffic. */
const growingTables = ['events', 'deliveries', 'attempts', 'endpoints'];

/**
 * PGlite has no autovacuum, so this does its work: a table that has grown by a fifth (and by more
 * than 64 KB) since it was last vacuumed is vacuumed and analysed. Vacuuming keeps the queue's
 * dead rows from piling up; analysing keeps plans right as tables grow. Tables are judged by
 * size, not on a clock: statistics taken while a table is empty are worse than none (with none,
 * the planner estimates from the table's size; with "empty", it plans a growing queue as if it
 * were still empty). Returns the tables it vacuumed. PostgreSQL does all this by itself.
 */
export async function tidyPglite(ctx: Context): Promise<string[]> {
  if (ctx.db.driver !== 'pglite') return [];
  const grown = await ctx.db.query<{ name: string }>(
    `select c.relname as name from pg_class c
     where c.relname = any($1::text[]) and c.relnamespace = 'public'::regnamespace
       and pg_relation_size(c.oid) / current_setting('block_size')::int > greatest(c.relpages, 0) * 1.2 + 8`,
    [growingTables],
  );
  for (const { name } of grown) await ctx.db.exec(`vacuum analyze ${name}`);
  return grown.map((t) => t.name);
}
