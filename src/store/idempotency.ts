import type { Queryable } from './db.ts';

export interface IdempotencyRecord {
  requestHash: string;
  lockedUntil: Date | null;
  responseStatus: number | null;
  responseBody: unknown;
  expiresAt: Date;
}

export interface IdempotencyKey {
  tenantId: string;
  scope: string;
  key: string;
}

/** Takes the key for a new request; false when it is already held or answered. */
export async function claimIdempotencyKey(q: Queryable, k: IdempotencyKey, requestHash: string, lockMs: number, ttlMs: number): Promise<boolean> {
  const rows = await q.query(
    `insert into idempotency_keys (tenant_id, scope, key, request_hash, locked_until, expires_at)
     values ($1, $2, $3, $4, now() + make_interval(secs => $5 / 1000.0), now() + make_interval(secs => $6 / 1000.0))
     on conflict (tenant_id, scope, key) do nothing returning key`,
    [k.tenantId, k.scope, k.key, requestHash, lockMs, ttlMs],
  );
  return rows.length === 1;
}

export async function getIdempotencyRecord(q: Queryable, k: IdempotencyKey): Promise<IdempotencyRecord | null> {
  const rows = await q.query<{ request_hash: string; locked_until: Date | null; response_status: number | null; response_body: unknown; expires_at: Date }>(
    'select request_hash, locked_until, response_status, response_body, expires_at from idempotency_keys where tenant_id = $1 and scope = $2 and key = $3',
    [k.tenantId, k.scope, k.key],
  );
  const r = rows[0];
  return r ? { requestHash: r.request_hash, lockedUntil: r.locked_until, responseStatus: r.response_status, responseBody: r.response_body, expiresAt: r.expires_at } : null;
}

/**
 * Takes over a key whose holder gave up (lock expired without an answer) or whose record expired.
 * The condition is checked again under the row lock, so of several requests taking over at once
 * only the first wins: the others see the new lock. (Comparing with the timestamps read earlier
 * would not do: JavaScript dates keep milliseconds, PostgreSQL microseconds, so they never match.)
 */
export async function takeOverIdempotencyKey(q: Queryable, k: IdempotencyKey, requestHash: string, lockMs: number, ttlMs: number): Promise<boolean> {
  const rows = await q.query(
    `update idempotency_keys set request_hash = $4, response_status = null, response_body = null,
       locked_until = now() + make_interval(secs => $5 / 1000.0), expires_at = now() + make_interval(secs => $6 / 1000.0), created_at = now()
     where tenant_id = $1 and scope = $2 and key = $3
       and (expires_at <= now() or (response_status is null and locked_until <= now()))
     returning key`,
    [k.tenantId, k.scope, k.key, requestHash, lockMs, ttlMs],
  );
  return rows.length === 1;
}

export async function saveIdempotentResponse(q: Queryable, k: IdempotencyKey, status: number, body: unknown): Promise<void> {
  await q.query(
    'update idempotency_keys set response_status = $4, response_body = $5, locked_until = null where tenant_id = $1 and scope = $2 and key = $3',
    [k.tenantId, k.scope, k.key, status, JSON.stringify(body)],
  );
}

export async function releaseIdempotencyKey(q: Queryable, k: IdempotencyKey): Promise<void> {
  await q.query('delete from idempotency_keys where tenant_id = $1 and scope = $2 and key = $3 and response_status is null', [k.tenantId, k.scope, k.key]);
}
