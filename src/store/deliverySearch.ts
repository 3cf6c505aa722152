// Searching deliveries: filters, the `q` query language, sorting, and keyset paging that stays
// correct while rows are added (or offset paging, for surfaces documented that way). Every
// value reaches SQL as a parameter.
import type { QueryNode } from '../domain/query.ts';
import type { Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';
import { deliveryColumns, toDelivery, type Delivery } from './deliveryLog.ts';
import { compileQuery, type FieldSpec } from './querySql.ts';

/** The fields `q` and `sortBy` know, named as the documented search API names them (seed 001). */
export const deliveryQueryFields: Record<string, FieldSpec> = {
  eventType: { column: 'e.type', type: 'string' },
  status: { column: 'd.status', type: 'enum', values: ['pending', 'succeeded', 'failed'] },
  endpointId: { column: 'd.endpoint_id', type: 'uuid' },
  eventId: { column: 'd.event_id', type: 'uuid' },
  createdOn: { column: 'd.created_at', type: 'datetime' },
  sentOn: { column: 'd.last_attempt_at', type: 'datetime' },
  attemptCount: { column: 'd.attempt_count', type: 'integer' },
  accountId: { column: 'e.account_id', type: 'string' },
  relatedEntityId: { column: 'e.related_entity_id', type: 'string' },
  relatedEntityType: { column: 'e.related_entity_type', type: 'string' },
};

/** Sortable fields and the SQL that orders them; nullable columns sort as if null were the smallest value. */
export const sortExpressions = {
  createdOn: { sql: 'd.created_at', kind: 'time' },
  sentOn: { sql: "coalesce(d.last_attempt_at, '-infinity'::timestamptz)", kind: 'time' },
  attemptCount: { sql: 'd.attempt_count', kind: 'number' },
  eventType: { sql: 'e.type', kind: 'text' },
  status: { sql: 'd.status', kind: 'text' },
} as const;
export type SortField = keyof typeof sortExpressions;
export interface SortKey {
  field: SortField;
  direction: 'asc' | 'desc';
}

export interface DeliverySearch {
  tenantId: string;
  environment?: Environment | undefined;
  endpointId?: string | undefined;
  eventId?: string | undefined;
  eventType?: string | undefined;
  status?: Delivery['status'] | undefined;
  accountId?: string | undefined;
  relatedEntityId?: string | undefined;
  relatedEntityType?: string | undefined;
  /** One delivery (to read its sort key). */
  deliveryId?: string | undefined;
  /** Leave out redeliveries (clones), so each event appears once per endpoint. */
  originalsOnly?: boolean | undefined;
  /** Created at or after. */
  since?: Date | undefined;
  /** Created before. */
  until?: Date | undefined;
  query?: QueryNode | undefined;
  sort: SortKey[];
}

export type KeyValue = string | number;

/** `where` clause and parameters for a search (without paging). */
function whereOf(s: DeliverySearch, params: unknown[]): string {
  const conditions = ['d.tenant_id = $1'];
  params.push(s.tenantId);
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (s.environment) add((n) => `e.environment = ${n}`, s.environment);
  if (s.endpointId) add((n) => `d.endpoint_id = ${n}::uuid`, s.endpointId);
  if (s.eventId) add((n) => `d.event_id = ${n}::uuid`, s.eventId);
  if (s.eventType) add((n) => `e.type = ${n}`, s.eventType);
  if (s.status) add((n) => `d.status = ${n}`, s.status);
  if (s.accountId) add((n) => `e.account_id = ${n}`, s.accountId);
  if (s.relatedEntityId) add((n) => `e.related_entity_id = ${n}`, s.relatedEntityId);
  if (s.relatedEntityType) add((n) => `e.related_entity_type = ${n}`, s.relatedEntityType);
  if (s.deliveryId) add((n) => `d.id = ${n}::uuid`, s.deliveryId);
  if (s.originalsOnly) conditions.push('d.cloned_from is null');
  if (s.since) add((n) => `d.created_at >= ${n}::timestamptz`, s.since.toISOString());
  if (s.until) add((n) => `d.created_at < ${n}::timestamptz`, s.until.toISOString());
  if (s.query) conditions.push(compileQuery(s.query, deliveryQueryFields, params));
  return conditions.join(' and ');
}

interface OrderKey {
  sql: string;
  direction: 'asc' | 'desc';
  /** How a cursor value is cast back to the column's type. */
  cast: string;
  /** What the cursor keeps of the key. */
  select: string;
}

const casts = { time: '::timestamptz', number: '::int', text: '' };

/**
 * A time key as text to the microsecond, in UTC whatever the session's settings: a JavaScript
 * Date keeps only milliseconds, and a cursor cut to the millisecond would repeat or skip rows.
 */
const timeText = (sql: string) =>
  `case when ${sql} = '-infinity' then '-infinity' else to_char(${sql} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end`;

/** The sort keys plus the id as the final tie-breaker, so the order is total. */
function keysOf(sort: SortKey[]): OrderKey[] {
  const keys = sort.map((k) => {
    const { sql, kind } = sortExpressions[k.field];
    return { sql, direction: k.direction, cast: casts[kind], select: kind === 'time' ? timeText(sql) : sql };
  });
  return [...keys, { sql: 'd.id', direction: sort[0]?.direction ?? 'desc', cast: '::uuid', select: 'd.id' }];
}

/**
 * Keyset condition "after the row whose keys are `after`" for any mix of directions:
 * (k1 > v1) or (k1 = v1 and k2 > v2) or … with < for descending keys — and before it k1 >= v1,
 * which the terms imply but which, alone, lets an index on k1 start at the cursor instead of
 * reading every row before it.
 */
function afterCondition(keys: OrderKey[], after: KeyValue[], params: unknown[]): string {
  const refs = after.map((value, i) => {
    params.push(value);
    return `$${params.length}${keys[i]!.cast}`;
  });
  const terms = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => `${k.sql} = ${refs[j]}`);
    const beyond = `${key.sql} ${key.direction === 'asc' ? '>' : '<'} ${refs[i]}`;
    return `(${[...equal, beyond].join(' and ')})`;
  });
  const first = `${keys[0]!.sql} ${keys[0]!.direction === 'asc' ? '>=' : '<='} ${refs[0]}`;
  return `(${first} and (${terms.join(' or ')}))`;
}

export interface DeliveryRowWithKey {
  delivery: Delivery;
  /** The row's sort-key values, for a cursor. */
  key: KeyValue[];
}

export async function searchDeliveries(
  q: Queryable,
  s: DeliverySearch,
  page: { limit: number; after?: KeyValue[]; offset?: number },
): Promise<DeliveryRowWithKey[]> {
  const params: unknown[] = [];
  let where = whereOf(s, params);
  const keys = keysOf(s.sort);
  if (page.after) where += ` and ${afterCondition(keys, page.after, params)}`;
  params.push(page.limit + 1, page.offset ?? 0);
  const rows = await q.query<Record<string, unknown>>(
    `select ${deliveryColumns}, ${keys.map((k, i) => `${k.select} as sort_key_${i}`).join(', ')}
     from deliveries d join events e on e.id = d.event_id
     where ${where}
     order by ${keys.map((k) => `${k.sql} ${k.direction}`).join(', ')}
     limit $${params.length - 1} offset $${params.length}`,
    params,
  );
  return rows.map((row) => ({
    delivery: toDelivery(row as never),
    key: keys.map((_, i) => row[`sort_key_${i}`] as KeyValue),
  }));
}

export async function countDeliveries(q: Queryable, s: DeliverySearch): Promise<number> {
  const params: unknown[] = [];
  const rows = await q.query<{ n: number }>(
    `select count(*)::int as n from deliveries d join events e on e.id = d.event_id where ${whereOf(s, params)}`,
    params,
  );
  return rows[0]!.n;
}

/** Streams every matching row in order, one page of `chunk` rows at a time (constant memory). */
export async function* scanDeliveries(q: Queryable, s: DeliverySearch, chunk = 1000): AsyncGenerator<Delivery[]> {
  let after: KeyValue[] | undefined;
  for (;;) {
    const rows = await searchDeliveries(q, s, { limit: chunk - 1, after });
    if (rows.length === 0) return;
    yield rows.map((r) => r.delivery);
    if (rows.length < chunk) return;
    after = rows[rows.length - 1]!.key;
  }
}
