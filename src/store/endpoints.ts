import { subscriptionSetKey } from '../domain/eventTypes.ts';
import { conflict } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import type { Endpoint, Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';
import { violatedConstraint } from './errors.ts';

interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  event_types: string[];
  account_ids: string[] | null;
  environment: Environment;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  headers: Record<string, string>;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toEndpoint = (r: EndpointRow): Endpoint => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  description: r.description,
  eventTypes: r.event_types,
  accountIds: r.account_ids,
  environment: r.environment,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  headers: r.headers,
  metadata: r.metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const columns = `id, tenant_id, url, description, event_types, account_ids, environment, enabled,
  disabled_reason, disabled_at, headers, metadata, created_at, updated_at`;

/** The fields a caller sets; the rest (timestamps, disabled state) the store manages. */
export type EndpointFields = Pick<Endpoint, 'url' | 'description' | 'eventTypes' | 'accountIds' | 'environment' | 'enabled' | 'headers' | 'metadata'>;

function duplicateTarget(error: unknown, f: Pick<EndpointFields, 'url' | 'eventTypes'>): unknown {
  if (violatedConstraint(error, '23505') === 'endpoints_same_target') {
    return conflict(`an endpoint for ${f.url} with event types ${JSON.stringify([...f.eventTypes].sort())} already exists`);
  }
  return error;
}

export async function insertEndpoint(
  q: Queryable,
  e: EndpointFields & { id: string; tenantId: string; secretSealed: string },
): Promise<Endpoint> {
  try {
    const rows = await q.query<EndpointRow>(
      `insert into endpoints (id, tenant_id, url, description, event_types, event_types_key, account_ids,
         environment, enabled, headers, metadata, secret_sealed, disabled_reason, disabled_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
         case when $9 then null else 'disabled through the API' end, case when $9 then null else now() end)
       returning ${columns}`,
      [e.id, e.tenantId, e.url, e.description, e.eventTypes, subscriptionSetKey(e.eventTypes), e.accountIds,
        e.environment, e.enabled, JSON.stringify(e.headers), JSON.stringify(e.metadata), e.secretSealed],
    );
    return toEndpoint(rows[0]!);
  } catch (error) {
    throw duplicateTarget(error, e);
  }
}

export interface EndpointScope {
  tenantId: string;
  /** Restrict to one environment (a key sees only its own). */
  environment?: Environment | undefined;
}

export async function getEndpoint(q: Queryable, scope: EndpointScope, id: string): Promise<Endpoint | null> {
  if (!isUuid(id)) return null; // PostgreSQL would refuse to compare it with a uuid column
  const rows = await q.query<EndpointRow>(
    `select ${columns} from endpoints where tenant_id = $1 and id = $2 and ($3::text is null or environment = $3)`,
    [scope.tenantId, id, scope.environment ?? null],
  );
  return rows[0] ? toEndpoint(rows[0]) : null;
}

/** Newest first, `limit + 1` rows. */
export async function listEndpoints(q: Queryable, scope: EndpointScope, beforeId: string | undefined, limit: number): Promise<Endpoint[]> {
  const rows = await q.query<EndpointRow>(
    `select ${columns} from endpoints
     where tenant_id = $1 and ($2::text is null or environment = $2) and ($3::uuid is null or id < $3)
     order by id desc limit $4`,
    [scope.tenantId, scope.environment ?? null, beforeId ?? null, limit + 1],
  );
  return rows.map(toEndpoint);
}

/**
 * Saves every caller-set field. Enabling an endpoint clears why it was disabled and its count of
 * failed deliveries in a row, so the auto-disable sweep does not take it down again for failures
 * from before; disabling by hand records `disabledReason`.
 */
export async function updateEndpoint(
  q: Queryable,
  scope: EndpointScope,
  id: string,
  f: EndpointFields & { disabledReason?: string },
): Promise<Endpoint | null> {
  if (!isUuid(id)) return null;
  try {
    const rows = await q.query<EndpointRow>(
      `update endpoints set url = $3, description = $4, event_types = $5, event_types_key = $6, account_ids = $7,
         environment = $8, headers = $10, metadata = $11, updated_at = now(),
         disabled_reason = case when $9 then null when enabled then $12 else disabled_reason end,
         disabled_at = case when $9 then null when enabled then now() else disabled_at end,
         consecutive_failures = case when $9 and not enabled then 0 else consecutive_failures end,
         enabled = $9
       where tenant_id = $1 and id = $2 and ($13::text is null or environment = $13)
       returning ${columns}`,
      [scope.tenantId, id, f.url, f.description, f.eventTypes, subscriptionSetKey(f.eventTypes), f.accountIds,
        f.environment, f.enabled, JSON.stringify(f.headers), JSON.stringify(f.metadata),
        f.disabledReason ?? 'disabled through the API', scope.environment ?? null],
    );
    return rows[0] ? toEndpoint(rows[0]) : null;
  } catch (error) {
    throw duplicateTarget(error, f);
  }
}

export async function deleteEndpoint(q: Queryable, scope: EndpointScope, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await q.query(
    'delete from endpoints where tenant_id = $1 and id = $2 and ($3::text is null or environment = $3) returning id',
    [scope.tenantId, id, scope.environment ?? null],
  );
  return rows.length === 1;
}

export interface SealedSecrets {
  current: string;
  previous: string | null;
  previousExpiresAt: Date | null;
}

export async function getEndpointSecrets(q: Queryable, scope: EndpointScope, id: string): Promise<SealedSecrets | null> {
  if (!isUuid(id)) return null;
  const rows = await q.query<{ secret_sealed: string; previous_secret_sealed: string | null; previous_secret_expires_at: Date | null }>(
    `select secret_sealed, previous_secret_sealed, previous_secret_expires_at from endpoints
     where tenant_id = $1 and id = $2 and ($3::text is null or environment = $3)`,
    [scope.tenantId, id, scope.environment ?? null],
  );
  const r = rows[0];
  return r ? { current: r.secret_sealed, previous: r.previous_secret_sealed, previousExpiresAt: r.previous_secret_expires_at } : null;
}

/**
 * Replaces the secret. The old one keeps signing until `now + graceMs`; with a grace of 0 it
 * stops at once. Returns false when the endpoint does not exist.
 */
export async function rotateEndpointSecret(q: Queryable, scope: EndpointScope, id: string, newSealed: string, graceMs: number): Promise<boolean> {
  if (!isUuid(id)) return false;
  // $4 is cast to bigint: PostgreSQL would infer integer, and 30 days in milliseconds overflow it.
  const rows = await q.query(
    `update endpoints set
       previous_secret_sealed = case when $4::bigint > 0 then secret_sealed end,
       previous_secret_expires_at = case when $4::bigint > 0 then now() + make_interval(secs => $4::bigint / 1000.0) end,
       secret_sealed = $3, updated_at = now()
     where tenant_id = $1 and id = $2 and ($5::text is null or environment = $5) returning id`,
    [scope.tenantId, id, newSealed, graceMs, scope.environment ?? null],
  );
  return rows.length === 1;
}
