import { decodeCursor, encodeCursor, type Page } from '../domain/cursor.ts';
import { buildEnvelope } from '../domain/envelope.ts';
import { HeraldError, malformed, notFound } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import { parseQuery, type QueryNode } from '../domain/query.ts';
import type { Actor } from '../domain/types.ts';
import * as log from '../store/deliveryLog.ts';
import { getEventsByIds } from '../store/eventLog.ts';
import { parseTimestamp } from '../store/querySql.ts';
import { countDeliveries, searchDeliveries, sortExpressions, type DeliverySearch, type KeyValue, type SortField, type SortKey } from '../store/deliverySearch.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';

export type DeliveryWithAttempts = log.Delivery & { attempts: log.Attempt[] };

export async function getDelivery(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<DeliveryWithAttempts> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const delivery = await log.getDelivery(ctx.db, { tenantId, environment: actorEnvironment(actor) }, id);
  if (!delivery) throw notFound('delivery', id);
  return { ...delivery, attempts: await log.listAttempts(ctx.db, [id]) };
}

export interface DeliverySearchQuery {
  endpointId?: string;
  eventId?: string;
  eventType?: string;
  status?: log.Delivery['status'];
  accountId?: string;
  relatedEntityId?: string;
  relatedEntityType?: string;
  /** Leave out redeliveries (clones): one delivery per event and endpoint. */
  originalsOnly?: boolean;
  since?: string;
  until?: string;
  /** The query language, e.g. `eventType=="payment.sent";attemptCount=gt=1`, or a query a surface already parsed. */
  q?: string | QueryNode;
  /** `field:asc|desc`, repeatable; default `createdOn:desc`. */
  sortBy?: string | string[];
}

export const defaultSort: SortKey[] = [{ field: 'createdOn', direction: 'desc' }];

export function parseSortBy(sortBy: string | string[] | undefined): SortKey[] {
  const items = sortBy === undefined ? [] : Array.isArray(sortBy) ? sortBy : [sortBy];
  if (items.length === 0) return defaultSort;
  const fields = Object.keys(sortExpressions);
  return items.map((item) => {
    const match = /^([A-Za-z]+)(?::(asc|desc))?$/i.exec(item.trim());
    if (!match || !fields.includes(match[1]!)) {
      throw new HeraldError('malformed_request', `sortBy ${JSON.stringify(item)} must be field:ASC or field:DESC with a field among ${fields.join(', ')}`, [
        { path: 'sortBy', message: `must be field:ASC or field:DESC with a field among ${fields.join(', ')}` },
      ]);
    }
    return { field: match[1] as SortField, direction: (match[2]?.toLowerCase() ?? 'asc') as 'asc' | 'desc' };
  });
}

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new HeraldError('malformed_request', `${name} must be an RFC 3339 date-time such as 2025-06-01T09:00:00Z`, [{ path: name, message: 'must be an RFC 3339 date-time' }]);
  }
  return time;
}

/** Builds the store's search from API input, checking ids, dates, the query and the sort. */
export async function deliverySearch(ctx: Context, actor: Actor, tenantId: string, query: DeliverySearchQuery): Promise<DeliverySearch> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  for (const name of ['endpointId', 'eventId'] as const) {
    const id = query[name];
    if (id !== undefined && !isUuid(id)) throw new HeraldError('malformed_request', `${name} must be a UUID`, [{ path: name, message: 'must be a UUID' }]);
  }
  return {
    tenantId,
    environment: actorEnvironment(actor),
    endpointId: query.endpointId,
    eventId: query.eventId,
    eventType: query.eventType,
    status: query.status,
    accountId: query.accountId,
    relatedEntityId: query.relatedEntityId,
    relatedEntityType: query.relatedEntityType,
    originalsOnly: query.originalsOnly,
    since: parseTime(query.since, 'since'),
    until: parseTime(query.until, 'until'),
    query: typeof query.q === 'object' ? query.q : query.q === undefined || query.q.trim() === '' ? undefined : parseQuery(query.q),
    sort: parseSortBy(query.sortBy),
  };
}

/** Whether a cursor's value can be a value of the sort key (the database would fail on any other). */
function fitsSortKey(kind: 'time' | 'number' | 'text', value: string | number): boolean {
  if (kind === 'number') return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31;
  if (kind === 'time') return value === '-infinity' || parseTimestamp(String(value)) !== undefined;
  return true;
}

function sortSignature(sort: SortKey[]): string {
  return sort.map((k) => `${k.field}:${k.direction}`).join(',');
}

/**
 * Cursor-paged search (the native API). `startAfter`, a delivery id, starts the page right after
 * that delivery instead of after a cursor, for surfaces whose documents page by an item's id.
 */
export async function searchDeliveryPage(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  query: DeliverySearchQuery & { limit: number; cursor?: string; startAfter?: string },
): Promise<Page<log.Delivery>> {
  const search = await deliverySearch(ctx, actor, tenantId, query);
  let after: KeyValue[] | undefined;
  if (query.startAfter !== undefined) {
    const scope = { tenantId, environment: search.environment, sort: search.sort, deliveryId: query.startAfter };
    const [start] = isUuid(query.startAfter) ? await searchDeliveries(ctx.db, scope, { limit: 1 }) : [];
    if (!start) throw notFound('delivery', query.startAfter);
    after = start.key;
  } else if (query.cursor) {
    const shape = ['string', ...search.sort.map((k) => (sortExpressions[k.field].kind === 'number' ? 'number' : 'string')), 'string'] as const;
    const [signature, ...key] = decodeCursor(query.cursor, shape);
    if (signature !== sortSignature(search.sort) || !isUuid(String(key[key.length - 1]))) {
      throw malformed('cursor is not valid for this sort: pass the nextCursor of a previous page with the same sortBy');
    }
    if (!search.sort.every((k, i) => fitsSortKey(sortExpressions[k.field].kind, key[i]!))) {
      throw malformed('cursor is not valid: pass the nextCursor of a previous page unchanged');
    }
    after = key;
  }
  const rows = await searchDeliveries(ctx.db, search, { limit: query.limit, after });
  const data = rows.slice(0, query.limit);
  const last = data[data.length - 1];
  return {
    data: data.map((r) => r.delivery),
    nextCursor: rows.length > query.limit && last ? encodeCursor([sortSignature(search.sort), ...last.key]) : null,
  };
}

/** Offset-paged search with the total count (for surfaces documented that way). */
export async function searchDeliveryOffset(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  query: DeliverySearchQuery & { limit: number; offset: number },
): Promise<{ data: log.Delivery[]; totalCount: number; search: DeliverySearch }> {
  const search = await deliverySearch(ctx, actor, tenantId, query);
  const [rows, totalCount] = await Promise.all([
    searchDeliveries(ctx.db, search, { limit: query.limit, offset: query.offset }),
    countDeliveries(ctx.db, search),
  ]);
  return { data: rows.slice(0, query.limit).map((r) => r.delivery), totalCount, search };
}

/**
 * An attempt with the body its request carried. Bodies are not stored per attempt: the envelope is
 * rebuilt from the stored event exactly as the dispatcher built it (it depends only on the event,
 * the endpoint id and the attempt id). Null when no request was prepared (endpoint deleted or
 * disabled) or the event is gone.
 */
export type AttemptWithRequestBody = log.Attempt & { requestBody: string | null };

/** The attempts of deliveries already read through the calls above, oldest first, by delivery id. */
export async function attemptsOfDeliveries(ctx: Context, deliveries: log.Delivery[]): Promise<Map<string, AttemptWithRequestBody[]>> {
  const byDelivery = new Map(deliveries.map((d) => [d.id, [] as AttemptWithRequestBody[]]));
  if (deliveries.length === 0) return byDelivery;
  const [attempts, events] = await Promise.all([
    log.listAttempts(ctx.db, deliveries.map((d) => d.id)),
    getEventsByIds(ctx.db, [...new Set(deliveries.map((d) => d.tenantId))], [...new Set(deliveries.map((d) => d.eventId))]),
  ]);
  const eventById = new Map(events.map((e) => [e.id, e]));
  const deliveryById = new Map(deliveries.map((d) => [d.id, d]));
  for (const attempt of attempts) {
    const delivery = deliveryById.get(attempt.deliveryId)!;
    const event = eventById.get(delivery.eventId);
    const prepared = Object.keys(attempt.requestHeaders).length > 0;
    const requestBody = event && prepared
      ? buildEnvelope({
          eventId: event.id,
          type: event.type,
          createdAt: event.createdAt,
          tenantId: delivery.tenantId,
          endpointId: delivery.endpointId,
          attemptId: attempt.id,
          accountId: event.accountId,
          payload: event.payload,
        })
      : null;
    byDelivery.get(delivery.id)!.push({ ...attempt, requestBody });
  }
  return byDelivery;
}
