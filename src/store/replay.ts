import type { Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';

export interface ReplayCandidate {
  eventId: string;
  type: string;
  accountId: string | null;
  /** Whether the endpoint already has a delivery of the event in each state. */
  succeeded: boolean;
  pending: boolean;
  failed: boolean;
  /** The newest failed delivery of the event to the endpoint, if any. */
  lastFailedId: string | null;
}

export interface ReplayWindow {
  tenantId: string;
  environment: Environment;
  endpointId: string;
  /** Event-id bounds (ids sort like creation times): fromId ≤ id < toId. */
  fromId: string;
  toId: string;
}

/** A tenant's events in the window after `afterId`, with what the endpoint already has of each. */
export async function replayCandidates(q: Queryable, w: ReplayWindow, afterId: string | null, limit: number): Promise<ReplayCandidate[]> {
  const rows = await q.query<{
    id: string;
    type: string;
    account_id: string | null;
    succeeded: boolean;
    pending: boolean;
    failed: boolean;
    last_failed: string | null;
  }>(
    `select e.id, e.type, e.account_id,
       coalesce(bool_or(d.status = 'succeeded'), false) as succeeded,
       coalesce(bool_or(d.status = 'pending'), false) as pending,
       coalesce(bool_or(d.status = 'failed'), false) as failed,
       (array_agg(d.id order by d.id desc) filter (where d.status = 'failed'))[1] as last_failed
     from events e
     left join deliveries d on d.event_id = e.id and d.endpoint_id = $3
     where e.tenant_id = $1 and e.environment = $2 and e.id >= $4 and e.id < $5 and ($6::uuid is null or e.id > $6)
       and e.type <> 'webhook.ping'
     group by e.id order by e.id limit $7`,
    [w.tenantId, w.environment, w.endpointId, w.fromId, w.toId, afterId, limit],
  );
  return rows.map((r) => ({
    eventId: r.id,
    type: r.type,
    accountId: r.account_id,
    succeeded: r.succeeded,
    pending: r.pending,
    failed: r.failed,
    lastFailedId: r.last_failed,
  }));
}

export async function countReplayWindow(q: Queryable, w: ReplayWindow): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `select count(*)::int as n from events where tenant_id = $1 and environment = $2 and id >= $3 and id < $4 and type <> 'webhook.ping'`,
    [w.tenantId, w.environment, w.fromId, w.toId],
  );
  return rows[0]!.n;
}
