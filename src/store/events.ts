import type { Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';
import type { ClaimedDelivery } from './deliveries.ts';

export interface NewEvent {
  id: string;
  tenantId: string;
  type: string;
  environment: Environment;
  accountId: string | null;
  relatedEntityId: string | null;
  relatedEntityType: string | null;
  payload: string;
  createdAt: Date;
}

export interface NewDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  createdAt: Date;
  /** When the first attempt is due; default: at once. */
  dueAt?: Date;
  /** The delivery this one re-sends (redelivery as a clone). */
  clonedFrom?: string;
  /** Written already leased for this long: a worker in this process sends it without a claim. */
  leaseMs?: number;
}

/**
 * Writes events and their deliveries in one statement, so they commit together: an acknowledged
 * event always has its deliveries. Arrays are unnested server-side, so a batch of any size is one
 * round trip.
 */
export async function insertEventsWithDeliveries(q: Queryable, events: NewEvent[], deliveries: NewDelivery[]): Promise<void> {
  const iso = (d: Date) => d.toISOString();
  await q.query(
    `with new_events as (
       insert into events (id, tenant_id, type, environment, account_id, related_entity_id, related_entity_type, payload, created_at)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
     )
     insert into deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, locked_until, created_at, cloned_from)
     select d.id, d.tenant_id, d.event_id, d.endpoint_id, 'pending', coalesce(d.due_at, d.created_at),
       now() + make_interval(secs => d.lease_ms / 1000.0), d.created_at, d.cloned_from
     from unnest($10::uuid[], $11::text[], $12::uuid[], $13::uuid[], $14::timestamptz[], $15::timestamptz[], $16::uuid[], $17::int[])
       as d(id, tenant_id, event_id, endpoint_id, created_at, due_at, cloned_from, lease_ms)`,
    [
      events.map((e) => e.id),
      events.map((e) => e.tenantId),
      events.map((e) => e.type),
      events.map((e) => e.environment),
      events.map((e) => e.accountId),
      events.map((e) => e.relatedEntityId),
      events.map((e) => e.relatedEntityType),
      events.map((e) => e.payload),
      events.map((e) => iso(e.createdAt)),
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.tenantId),
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.endpointId),
      deliveries.map((d) => iso(d.createdAt)),
      deliveries.map((d) => (d.dueAt ? iso(d.dueAt) : null)),
      deliveries.map((d) => d.clonedFrom ?? null),
      deliveries.map((d) => d.leaseMs ?? null),
    ],
    'insert_events_with_deliveries',
  );
}

/** What fan-out needs to know of a tenant's enabled endpoints in one environment. */
export interface FanOutTarget {
  id: string;
  tenantId: string;
  environment: Environment;
  eventTypes: string[];
  accountIds: string[] | null;
  /** What sending needs, for deliveries handed straight to a worker (as a claim reads it). */
  endpoint: NonNullable<ClaimedDelivery['endpoint']>;
}

/** The enabled endpoints of several (tenant, environment) pairs, in one query. */
export async function listFanOutTargets(q: Queryable, pairs: { tenantId: string; environment: Environment }[]): Promise<FanOutTarget[]> {
  const rows = await q.query<{
    id: string; tenant_id: string; environment: Environment; event_types: string[]; account_ids: string[] | null;
    url: string; headers: Record<string, string> | null; secret_sealed: string; previous_secret_sealed: string | null; previous_secret_expires_at: Date | null;
  }>(
    `select id, tenant_id, environment, event_types, account_ids, url, headers, secret_sealed, previous_secret_sealed, previous_secret_expires_at
     from endpoints
     where enabled and (tenant_id, environment) in (select * from unnest($1::text[], $2::text[]))`,
    [pairs.map((p) => p.tenantId), pairs.map((p) => p.environment)],
    'list_fan_out_targets',
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    environment: r.environment,
    eventTypes: r.event_types,
    accountIds: r.account_ids,
    endpoint: {
      url: r.url,
      enabled: true,
      headers: r.headers ?? {},
      secretSealed: r.secret_sealed,
      previousSecretSealed: r.previous_secret_sealed,
      previousSecretExpiresAt: r.previous_secret_expires_at,
    },
  }));
}
