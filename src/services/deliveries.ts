import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { notFound } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import * as log from '../store/deliveryLog.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';

export type DeliveryWithAttempts = log.Delivery & { attempts: log.Attempt[] };

export async function getDelivery(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<DeliveryWithAttempts> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const delivery = await log.getDelivery(ctx.db, { tenantId, environment: actorEnvironment(actor) }, id);
  if (!delivery) throw notFound('delivery', id);
  return { ...delivery, attempts: await log.listAttempts(ctx.db, [id]) };
}

export interface DeliveryListQuery {
  endpointId?: string;
  eventId?: string;
  status?: log.Delivery['status'];
  limit: number;
  cursor?: string;
}

export async function listDeliveries(ctx: Context, actor: Actor, tenantId: string, query: DeliveryListQuery): Promise<Page<log.Delivery>> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const beforeId = query.cursor ? String(decodeCursor(query.cursor, ['string'])[0]) : undefined;
  const ids = [query.endpointId, query.eventId, beforeId];
  if (ids.some((id) => id !== undefined && !isUuid(id))) return { data: [], nextCursor: null };
  const rows = await log.listDeliveries(ctx.db, { ...query, beforeId, tenantId, environment: actorEnvironment(actor) });
  return toPage(rows, query.limit, (d) => [d.id]);
}
