import type { Queryable } from './db.ts';

export interface DisabledEndpoint {
  id: string;
  tenantId: string;
  url: string;
  reason: string;
  disabledAt: Date;
}

/**
 * Disables every endpoint that has failed `minFailures` deliveries in a row and has not succeeded
 * (or, if it never did, not existed) for `quietMs`. Returns what it disabled.
 */
export async function disableFailingEndpoints(q: Queryable, minFailures: number, quietMs: number): Promise<DisabledEndpoint[]> {
  const rows = await q.query<{ id: string; tenant_id: string; url: string; disabled_reason: string; disabled_at: Date }>(
    `update endpoints set enabled = false, disabled_at = now(), updated_at = now(),
       disabled_reason = 'no successful delivery for ' || $3 || ' and ' || consecutive_failures || ' failed deliveries in a row'
     where enabled and consecutive_failures >= $1
       and coalesce(last_success_at, created_at) < now() - make_interval(secs => $2 / 1000.0)
     returning id, tenant_id, url, disabled_reason, disabled_at`,
    [minFailures, quietMs, describeDuration(quietMs)],
  );
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, url: r.url, reason: r.disabled_reason, disabledAt: r.disabled_at }));
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** Who needs to hear that an endpoint was disabled: its tenant and URL. */
export async function describeEndpoint(q: Queryable, id: string): Promise<{ tenantId: string; url: string } | null> {
  const rows = await q.query<{ tenant_id: string; url: string }>('select tenant_id, url from endpoints where id = $1', [id]);
  return rows[0] ? { tenantId: rows[0].tenant_id, url: rows[0].url } : null;
}
