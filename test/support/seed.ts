// Seeding the delivery log directly with SQL, for tests that need rows at chosen times and in
// chosen states (search, export, replay, retention, stats) without sending anything.
import { newId } from '../../src/domain/ids.ts';
import type { Environment } from '../../src/domain/types.ts';
import type { Queryable } from '../../src/store/db.ts';

/** A UUIDv7 carrying the time `ms` (past or future): newId()'s counter and randomness under another timestamp. */
export function idAt(ms: number): string {
  const id = newId();
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}${id.slice(13)}`;
}

export const minutesAgo = (n: number, now = Date.now()) => now - n * 60_000;
export const hoursAgo = (n: number, now = Date.now()) => now - n * 3_600_000;
export const daysAgo = (n: number, now = Date.now()) => now - n * 86_400_000;

export interface SeedEvent {
  tenantId: string;
  type: string;
  /** Creation time (ms); the id carries it. */
  at: number;
  id?: string;
  environment?: Environment;
  accountId?: string | null;
  relatedEntity?: { id: string; type: string } | null;
  payload?: string;
}

export async function seedEvent(db: Queryable, e: SeedEvent): Promise<string> {
  const id = e.id ?? idAt(e.at);
  await db.query(
    `insert into events (id, tenant_id, type, environment, account_id, related_entity_id, related_entity_type, payload, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, e.tenantId, e.type, e.environment ?? 'live', e.accountId ?? null, e.relatedEntity?.id ?? null, e.relatedEntity?.type ?? null,
      e.payload ?? '{}', new Date(e.at).toISOString()],
  );
  return id;
}

export interface SeedDelivery {
  tenantId: string;
  eventId: string;
  endpointId: string;
  /** Creation time (ms), or a timestamptz literal for precision beyond milliseconds. */
  at: number;
  createdAtSql?: string;
  id?: string;
  status?: 'pending' | 'succeeded' | 'failed';
  attemptCount?: number;
  /** The `sentOn` of the search API. */
  lastAttemptAt?: number | null;
  lastAttemptAtSql?: string;
  lastOutcome?: string | null;
  lastStatusCode?: number | null;
  lastError?: string | null;
  nextAttemptAt?: number | null;
  clonedFrom?: string | null;
}

export async function seedDelivery(db: Queryable, d: SeedDelivery): Promise<string> {
  const id = d.id ?? idAt(d.at);
  const status = d.status ?? 'succeeded';
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const lastAttemptAt = d.lastAttemptAtSql ?? iso(d.lastAttemptAt === undefined ? (status === 'pending' ? null : d.at) : d.lastAttemptAt);
  await db.query(
    `insert into deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, next_attempt_at, last_attempt_at,
       last_outcome, last_status_code, last_error, succeeded_at, cloned_from, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, case when $5 = 'succeeded' then $8::timestamptz end, $12, $13)`,
    [id, d.tenantId, d.eventId, d.endpointId, status, d.attemptCount ?? (status === 'pending' ? 0 : 1),
      status === 'pending' ? iso(d.nextAttemptAt ?? daysAgo(-365)) : null, lastAttemptAt,
      d.lastOutcome ?? (status === 'succeeded' ? 'success' : status === 'failed' ? 'http_5xx' : null),
      d.lastStatusCode ?? (status === 'succeeded' ? 200 : status === 'failed' ? 500 : null),
      d.lastError ?? null, d.clonedFrom ?? null, d.createdAtSql ?? new Date(d.at).toISOString()],
  );
  return id;
}

export interface SeedAttempt {
  deliveryId: string;
  tenantId: string;
  endpointId: string;
  at: number;
  attemptNumber?: number;
  outcome?: string;
  statusCode?: number | null;
  durationMs?: number;
  error?: string | null;
}

export async function seedAttempt(db: Queryable, a: SeedAttempt): Promise<string> {
  const id = idAt(a.at);
  const outcome = a.outcome ?? 'success';
  await db.query(
    `insert into attempts (id, delivery_id, tenant_id, endpoint_id, attempt_number, url, request_headers, outcome, status_code,
       response_headers, response_body, error, duration_ms, created_at)
     values ($1, $2, $3, $4, $5, 'https://example.com/hook', '{}', $6, $7, '{}', '', $8, $9, $10)`,
    [id, a.deliveryId, a.tenantId, a.endpointId, a.attemptNumber ?? 1, outcome,
      a.statusCode === undefined ? (outcome === 'success' ? 200 : 500) : a.statusCode, a.error ?? null, a.durationMs ?? 10,
      new Date(a.at).toISOString()],
  );
  return id;
}

/**
 * `count` events of one type, `stepMs` apart after `from`, in one statement (generate_series),
 * each with a delivery to `endpointId` if given. Ids are UUIDv7 of each row's time.
 */
export async function seedMany(
  db: Queryable,
  o: { tenantId: string; type: string; from: number; count: number; stepMs?: number; endpointId?: string; status?: 'succeeded' | 'failed'; lastError?: string },
): Promise<void> {
  const tag = () => Math.floor(Math.random() * 0x1000).toString(16).padStart(3, '0');
  const id = (tagParam: string) => `(lpad(to_hex(t.ms), 12, '0') || '7' || ${tagParam} || '8' || lpad(to_hex(t.g), 15, '0'))::uuid`;
  await db.query(
    `with t as (
       select g, $2::bigint + g * $4::bigint as ms from generate_series(1, $5::int) g
     ), new_events as (
       insert into events (id, tenant_id, type, environment, payload, created_at)
       select ${id('$9::text')}, $1, $3, 'live', '{"n":' || t.g || '}', to_timestamp(t.ms / 1000.0) from t
     )
     insert into deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, last_attempt_at, last_outcome,
       last_status_code, last_error, succeeded_at, created_at)
     select ${id('$10::text')}, $1, ${id('$9::text')}, $6::uuid, $7, 1, to_timestamp(t.ms / 1000.0),
       case when $7 = 'succeeded' then 'success' else 'http_5xx' end, case when $7 = 'succeeded' then 200 else 500 end, $8,
       case when $7 = 'succeeded' then to_timestamp(t.ms / 1000.0) end, to_timestamp(t.ms / 1000.0)
     from t where $6::uuid is not null`,
    [o.tenantId, o.from, o.type, o.stepMs ?? 1, o.count, o.endpointId ?? null, o.status ?? 'succeeded', o.lastError ?? null, tag(), tag()],
  );
}
