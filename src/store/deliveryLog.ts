// Reading deliveries and their attempts: the log customers inspect.
import { isUuid } from '../domain/ids.ts';
import type { Environment } from '../domain/types.ts';
import type { Queryable } from './db.ts';

export interface Delivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  environment: Environment;
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
  nextAttemptAt: Date | null;
  lockedUntil: Date | null;
  lastAttemptAt: Date | null;
  lastOutcome: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  succeededAt: Date | null;
  clonedFrom: string | null;
  createdAt: Date;
}

export interface Attempt {
  id: string;
  deliveryId: string;
  attemptNumber: number;
  url: string;
  requestHeaders: Record<string, string>;
  outcome: string;
  statusCode: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  responseTruncated: boolean;
  error: string | null;
  durationMs: number;
  createdAt: Date;
}

interface DeliveryRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  type: string;
  environment: Environment;
  status: Delivery['status'];
  attempt_count: number;
  next_attempt_at: Date | null;
  locked_until: Date | null;
  last_attempt_at: Date | null;
  last_outcome: string | null;
  last_status_code: number | null;
  last_error: string | null;
  succeeded_at: Date | null;
  cloned_from: string | null;
  created_at: Date;
}

export const deliveryColumns = `d.id, d.tenant_id, d.event_id, d.endpoint_id, e.type, e.environment, d.status, d.attempt_count,
  d.next_attempt_at, d.locked_until, d.last_attempt_at, d.last_outcome, d.last_status_code, d.last_error, d.succeeded_at,
  d.cloned_from, d.created_at`;

export const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  eventType: r.type,
  environment: r.environment,
  status: r.status,
  attemptCount: r.attempt_count,
  // Only a pending delivery has a next attempt; a finished one keeps the column as it was.
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  lockedUntil: r.locked_until,
  lastAttemptAt: r.last_attempt_at,
  lastOutcome: r.last_outcome,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  succeededAt: r.succeeded_at,
  clonedFrom: r.cloned_from,
  createdAt: r.created_at,
});

export interface DeliveryScope {
  tenantId: string;
  environment?: Environment | undefined;
}

export async function getDelivery(q: Queryable, scope: DeliveryScope, id: string): Promise<Delivery | null> {
  if (!isUuid(id)) return null;
  const rows = await q.query<DeliveryRow>(
    `select ${deliveryColumns} from deliveries d join events e on e.id = d.event_id
     where d.tenant_id = $1 and d.id = $2 and ($3::text is null or e.environment = $3)`,
    [scope.tenantId, id, scope.environment ?? null],
  );
  return rows[0] ? toDelivery(rows[0]) : null;
}

interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt_number: number;
  url: string;
  request_headers: Record<string, string>;
  outcome: string;
  status_code: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  response_truncated: boolean;
  error: string | null;
  duration_ms: number;
  created_at: Date;
}

const toAttempt = (r: AttemptRow): Attempt => ({
  id: r.id,
  deliveryId: r.delivery_id,
  attemptNumber: r.attempt_number,
  url: r.url,
  requestHeaders: r.request_headers,
  outcome: r.outcome,
  statusCode: r.status_code,
  responseHeaders: r.response_headers,
  responseBody: r.response_body,
  responseTruncated: r.response_truncated,
  error: r.error,
  durationMs: r.duration_ms,
  createdAt: r.created_at,
});

/** The attempts of some deliveries, oldest first. */
export async function listAttempts(q: Queryable, deliveryIds: string[]): Promise<Attempt[]> {
  const rows = await q.query<AttemptRow>('select * from attempts where delivery_id = any($1::uuid[]) order by id', [deliveryIds]);
  return rows.map(toAttempt);
}
