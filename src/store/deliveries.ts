// The delivery queue: what a claimed delivery carries (claimed in claim.ts), and the results
// written back in batches.
import type { Environment } from '../domain/types.ts';
import type { Db, Queryable } from './db.ts';
import type { Attempt } from './deliveryLog.ts';

/** A claimed delivery with everything needed to send it. `endpoint` is null if it was deleted. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  /** Attempts already made before this one. */
  attemptCount: number;
  event: { type: string; payload: string; accountId: string | null; environment: Environment; createdAt: Date };
  endpoint: {
    url: string;
    enabled: boolean;
    headers: Record<string, string>;
    secretSealed: string;
    previousSecretSealed: string | null;
    previousSecretExpiresAt: Date | null;
  } | null;
}

/** An attempt as the worker records it (its delivery is the Completion's). */
export type AttemptRecord = Omit<Attempt, 'deliveryId'>;

/** The result of one attempt and the delivery's state after it. */
export interface Completion {
  deliveryId: string;
  tenantId: string;
  endpointId: string;
  attempt: AttemptRecord;
  status: 'pending' | 'succeeded' | 'failed';
  /** When pending: the next attempt. */
  nextAttemptAt: Date | null;
  /** A final failure that counts toward auto-disabling the endpoint (not throttling). */
  countsAsFailure: boolean;
}

/**
 * How results are written.
 * - No sequential scans, and no hash or merge joins: each result finds its delivery by key. While
 *   the queue table is young, its statistics call it small, and a plan made then joins each batch
 *   of results by reading every delivery in the table (in a benchmark on a new database, one batch
 *   took 24 ms instead of 1–3 ms before the statistics caught up); with sequential scans off, by
 *   walking its whole primary key instead (14 ms a batch at fan-out 1).
 * - No waiting for the disk. If the server crashed before a result reached it, the delivery is
 *   still pending and is sent again once its lease runs out, so at least once still holds. A
 *   result no longer queues behind every other commit's fsync.
 * - Planned once per connection. The plan for a batch's values is the generic plan (the settings
 *   fix its joins); making it took 0.4 ms for a batch of 50, reusing it 0.15 ms (EXPLAIN).
 */
export const recordSettings = {
  enable_seqscan: 'off',
  enable_hashjoin: 'off',
  enable_mergejoin: 'off',
  synchronous_commit: 'off',
  plan_cache_mode: 'force_generic_plan',
};

/**
 * What a receiver sent back, made storable: PostgreSQL's text and jsonb cannot hold NUL, and one
 * such character would fail its whole batch of results again and again, holding up every other
 * tenant's. It becomes U+FFFD, as invalid UTF-8 does.
 */
const storable = (text: string | null) => (text?.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text);
const storableHeaders = (headers: Record<string, string> | null) =>
  headers && Object.values(headers).some((value) => value.includes('\0'))
    ? Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, storable(value)]))
    : headers;

/**
 * A result as one element of the JSON array recordAttempts passes: an array whose positions are
 * the columns of `results` below. Positions rather than keys: PostgreSQL sorts the keys of every
 * jsonb object it builds, and JSON.stringify writes every key (lab, batches of 50 results: 29 against
 * 32.5 µs of PostgreSQL's CPU per recorded result).
 */
const resultRow = (c: Completion) => [
  c.attempt.id,
  c.deliveryId,
  c.tenantId,
  c.endpointId,
  c.attempt.attemptNumber,
  c.attempt.url,
  c.attempt.requestHeaders,
  c.attempt.outcome,
  c.attempt.statusCode,
  storableHeaders(c.attempt.responseHeaders),
  storable(c.attempt.responseBody),
  c.attempt.responseTruncated,
  storable(c.attempt.error),
  c.attempt.durationMs,
  c.attempt.createdAt,
  c.status,
  c.nextAttemptAt,
  c.countsAsFailure,
];

/**
 * Records a batch of attempts and moves their deliveries on, in one statement: attempts are
 * inserted, deliveries updated (only while still pending: a delivery finished by another worker
 * after a lease ran out keeps its final state), and each endpoint's health counters kept — a
 * success resets `consecutive_failures`, a final failure adds one. Healthy endpoints are written
 * at most once a minute.
 *
 * The results are one JSON array of rows (see resultRow), not an array per column: one
 * JSON.stringify instead of quoting every element of 18 arrays, and the headers are not JSON inside
 * text (in a lab batch of 64: 13 against 16–18 µs of Node's CPU per result, and 6 against 7 µs of
 * PostgreSQL's).
 *
 * "Still pending" is written `status not in ('succeeded', 'failed')`: with `status = 'pending'`
 * the planner may join through the partial index deliveries_due, which holds every pending row —
 * with statistics that call the queue small it does, and each batch then reads the whole backlog.
 */
export async function recordAttempts(db: Db, completions: Completion[]): Promise<void> {
  if (completions.length === 0) return;
  await db.withSettings(recordSettings).query(
    `with results as (
       select (r->>0)::uuid as id, (r->>1)::uuid as delivery_id, r->>2 as tenant_id, (r->>3)::uuid as endpoint_id,
         (r->>4)::int as attempt_number, r->>5 as url, r->6 as request_headers, r->>7 as outcome, (r->>8)::int as status_code,
         nullif(r->9, 'null') as response_headers, r->>10 as response_body, (r->>11)::bool as response_truncated, r->>12 as error,
         (r->>13)::int as duration_ms, (r->>14)::timestamptz as created_at, r->>15 as status, (r->>16)::timestamptz as next_attempt_at,
         (r->>17)::bool as counts_as_failure
       from jsonb_array_elements($1::jsonb) as r
     ), new_attempts as (
       insert into attempts (id, delivery_id, tenant_id, endpoint_id, attempt_number, url, request_headers, outcome, status_code,
         response_headers, response_body, response_truncated, error, duration_ms, created_at)
       select id, delivery_id, tenant_id, endpoint_id, attempt_number, url, request_headers, outcome, status_code,
         response_headers, response_body, response_truncated, error, duration_ms, created_at
       from results
     ), moved as (
       update deliveries d set status = r.status, attempt_count = d.attempt_count + 1, next_attempt_at = r.next_attempt_at,
         locked_until = null, last_attempt_at = r.created_at, last_outcome = r.outcome, last_status_code = r.status_code, last_error = r.error,
         succeeded_at = case when r.status = 'succeeded' then r.created_at else d.succeeded_at end
       from results r where d.id = r.delivery_id and d.status not in ('succeeded', 'failed')
     ), health as (
       select endpoint_id, max(created_at) filter (where status = 'succeeded') as last_success,
         count(*) filter (where counts_as_failure)::int as failures
       from results group by endpoint_id
     )
     update endpoints e set
       consecutive_failures = case when h.last_success is not null then 0 else e.consecutive_failures + h.failures end,
       last_success_at = coalesce(h.last_success, e.last_success_at)
     from health h
     where e.id = h.endpoint_id and (h.failures > 0 or (h.last_success is not null and (e.consecutive_failures > 0
       or e.last_success_at is null or e.last_success_at < h.last_success - interval '1 minute')))`,
    [JSON.stringify(completions.map(resultRow))],
    'record_attempts',
  );
}

/** Gives claimed deliveries back (a worker stopping): due again at once, for any worker. */
export async function releaseDeliveries(q: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(
    `update deliveries set locked_until = null where id = any($1::uuid[]) and status = 'pending'`,
    [ids],
  );
}

/** Disables an endpoint and says why (410 Gone, or auto-disable after repeated failures). */
export async function disableEndpoint(q: Queryable, endpointId: string, reason: string): Promise<boolean> {
  const rows = await q.query(
    `update endpoints set enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
     where id = $1 and enabled returning id`,
    [endpointId, reason],
  );
  return rows.length === 1;
}

/**
 * Makes a delivery due again now (a manual retry): the next attempt counts as another attempt of
 * the same delivery. Refused (null) while a worker is sending it.
 */
export async function requeueDelivery(q: Queryable, tenantId: string, id: string): Promise<string | null> {
  const rows = await q.query<{ id: string }>(
    `update deliveries set status = 'pending', next_attempt_at = now(), locked_until = null
     where tenant_id = $1 and id = $2 and (locked_until is null or locked_until < now()) returning id`,
    [tenantId, id],
  );
  return rows[0]?.id ?? null;
}
