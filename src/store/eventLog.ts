import { isUuid } from '../domain/ids.ts';
import type { Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';

export interface StoredEvent {
  id: string;
  tenantId: string;
  type: string;
  environment: Environment;
  accountId: string | null;
  relatedEntity: { id: string | null; type: string | null } | null;
  /** The data exactly as published. */
  payload: string;
  createdAt: Date;
}

interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  environment: Environment;
  account_id: string | null;
  related_entity_id: string | null;
  related_entity_type: string | null;
  payload: string;
  created_at: Date;
}

const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  tenantId: r.tenant_id,
  type: r.type,
  environment: r.environment,
  accountId: r.account_id,
  relatedEntity: r.related_entity_id === null && r.related_entity_type === null ? null : { id: r.related_entity_id, type: r.related_entity_type },
  payload: r.payload,
  createdAt: r.created_at,
});

export interface EventScope {
  tenantId: string;
  environment?: Environment | undefined;
}

export async function getEvent(q: Queryable, scope: EventScope, id: string): Promise<StoredEvent | null> {
  if (!isUuid(id)) return null;
  const rows = await q.query<EventRow>(
    'select * from events where tenant_id = $1 and id = $2 and ($3::text is null or environment = $3)',
    [scope.tenantId, id, scope.environment ?? null],
  );
  return rows[0] ? toEvent(rows[0]) : null;
}

export interface EventFilter extends EventScope {
  type?: string | undefined;
  /** Id bounds derived from a time window (ids sort like creation times). */
  fromId?: string | undefined;
  toId?: string | undefined;
  beforeId?: string | undefined;
  limit: number;
}

/** Newest first, `limit + 1` rows. */
export async function listEvents(q: Queryable, f: EventFilter): Promise<StoredEvent[]> {
  const rows = await q.query<EventRow>(
    `select * from events
     where tenant_id = $1 and ($2::text is null or environment = $2) and ($3::text is null or type = $3)
       and ($4::uuid is null or id >= $4) and ($5::uuid is null or id < $5) and ($6::uuid is null or id < $6)
     order by id desc limit $7`,
    [f.tenantId, f.environment ?? null, f.type ?? null, f.fromId ?? null, f.toId ?? null, f.beforeId ?? null, f.limit + 1],
  );
  return rows.map(toEvent);
}

/** The events with these ids, among the events of these tenants (to rebuild what their deliveries sent). */
export async function getEventsByIds(q: Queryable, tenantIds: string[], ids: string[]): Promise<StoredEvent[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const rows = await q.query<EventRow>('select * from events where tenant_id = any($1::text[]) and id = any($2::uuid[])', [tenantIds, valid]);
  return rows.map(toEvent);
}
