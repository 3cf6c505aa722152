import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { malformed, notFound } from '../domain/errors.ts';
import { firstIdAt, isUuid } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import type { Delivery } from '../store/deliveryLog.ts';
import { searchDeliveries } from '../store/deliverySearch.ts';
import * as store from '../store/eventLog.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';
import { defaultSort } from './deliveries.ts';

export type EventWithDeliveries = store.StoredEvent & { deliveries: Delivery[] };

export async function getEvent(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<EventWithDeliveries> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const environment = actorEnvironment(actor);
  const event = await store.getEvent(ctx.db, { tenantId, environment }, id);
  if (!event) throw notFound('event', id);
  const rows = await searchDeliveries(ctx.db, { tenantId, environment, eventId: id, sort: defaultSort }, { limit: 10_000 });
  return { ...event, deliveries: rows.map((r) => r.delivery) };
}

function timeBound(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw malformed(`${name} must be an RFC 3339 date-time`);
  return firstIdAt(time);
}

export async function listEvents(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  query: { type?: string; since?: string; until?: string; limit: number; cursor?: string },
): Promise<Page<store.StoredEvent>> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const beforeId = query.cursor ? String(decodeCursor(query.cursor, ['string'])[0]) : undefined;
  if (beforeId !== undefined && !isUuid(beforeId)) throw malformed('cursor is not valid: pass the nextCursor of a previous page unchanged');
  const rows = await store.listEvents(ctx.db, {
    tenantId,
    environment: actorEnvironment(actor),
    type: query.type,
    fromId: timeBound(query.since, 'since'),
    toId: timeBound(query.until, 'until'),
    beforeId,
    limit: query.limit,
  });
  return toPage(rows, query.limit, (e) => [e.id]);
}

/** The events with these ids that the actor may see, by id (for surfaces that show a delivery's data). */
export async function getEventsById(ctx: Context, actor: Actor, tenantId: string, ids: string[]): Promise<Map<string, store.StoredEvent>> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const environment = actorEnvironment(actor);
  const events = await store.getEventsByIds(ctx.db, [tenantId], [...new Set(ids)]);
  return new Map(events.filter((e) => !environment || e.environment === environment).map((e) => [e.id, e]));
}
