// Claiming due deliveries. Due rows are claimed in batches with FOR UPDATE SKIP LOCKED; claiming
// sets `locked_until` (the lease) and nothing else, so with the room fillfactor leaves on each page
// the claim is a HOT update that writes no index entry. A claimed row keeps its place in the
// partial indexes over pending rows; a claim skips rows whose lease has not run out.
//
// A claim reads a bounded number of index entries, however deep the queue. It first walks the
// queue in due order (deliveries_due); when that walk is blocked by endpoints at their cap — an
// endpoint with an older backlog than it can take — it goes round the endpoints with pending rows
// instead (deliveries_due_by_endpoint), a bounded stretch of them per claim.
import type { Db, Queryable } from './db.ts';
import type { ClaimedDelivery } from './deliveries.ts';
import type { Environment } from '../domain/types.ts';

export interface ClaimOptions {
  limit: number;
  /**
   * Fewer than this from the walk in due order, and the claim goes round the endpoints for the
   * rest; the default is `limit`. A worker claiming ahead of its free slots asks for its free
   * slots here: going round for deliveries that would only wait for a slot is not worth it.
   */
  roundBelow?: number;
  leaseMs: number;
  /** Most deliveries one endpoint may have in flight in this worker. */
  endpointCap: number;
  /** Deliveries this worker already has in flight, per endpoint. */
  inFlight: ReadonlyMap<string, number>;
  /** How many index entries each step of a claim may read: due rows, then endpoints. */
  scanLimit: number;
  /** Where the last claim's round of the endpoints stopped (see `Claim.endpointCursor`). */
  endpointCursor?: string | null;
}

export interface Claim {
  claimed: ClaimedDelivery[];
  /** More deliveries may be due that this worker could take now: claim again while there is room. */
  moreDue: boolean;
  /** Where the next claim's round of the endpoints starts; null to start from the first. */
  endpointCursor: string | null;
}

/** How every claim runs. */
export const claimSettings = {
  // With statistics that say the queue is nearly empty (a queue table is often analysed while it
  // is), the planner reads every due row into a bitmap and sorts them all to keep the first few
  // hundred, instead of walking an index in order and stopping there.
  enable_bitmapscan: 'off',
  // Nor may it scan the whole table: with statistics that call it a page or two, a sequential scan
  // looks cheaper than finding each chosen row by its key.
  enable_seqscan: 'off',
  // A claim need not wait for its commit to reach the disk: if the server crashed before it did,
  // the claim was never made and the deliveries are simply due again — the at-least-once promise
  // holds, and the claim no longer queues behind every other commit's fsync.
  synchronous_commit: 'off',
  // Plan each claim statement once per connection, not at every claim: the plans for the values
  // are the same as the generic ones (the shape is fixed by the statement and the settings above),
  // but making them took 0.8–1 ms of PostgreSQL's CPU per claim, a third of a claim of 32
  // (57–59 against 38–40 µs per claimed row, scratch claim lab, 200,000 queued).
  plan_cache_mode: 'force_generic_plan',
};

/**
 * Claims up to `limit` due deliveries, taking at most `endpointCap - inFlight` per endpoint, so a
 * slow endpoint with a deep backlog cannot fill the batch and starve the others.
 *
 * The first step walks the due rows in due order, skipping endpoints already at their cap, and
 * considers the first `scanLimit` rows it keeps, reading `readsPerScanned` times as many at
 * most. If that walk was cut short before it found `limit` rows this worker may take (the head of
 * the queue belongs to endpoints at their cap), the second step goes round the endpoints that have
 * pending rows, from where the last round stopped, `scanLimit` endpoints at most, and takes each
 * one's oldest due rows up to its room. Without it a claim would have to read a capped endpoint's
 * whole backlog to reach anyone else's.
 */
export async function claimDueDeliveries(db: Db, o: ClaimOptions): Promise<Claim> {
  const q = db.withSettings(claimSettings);
  const first = await claimInDueOrder(q, { ...o, scanLimit: dueOrderScanLimit(o) });
  const claimed = toClaimed(first.rows);
  if (claimed.length === o.limit) return { claimed, moreDue: true, endpointCursor: o.endpointCursor ?? null };
  // The walk saw every due row: what it left is for endpoints at their cap.
  if (!first.cut) return { claimed, moreDue: false, endpointCursor: o.endpointCursor ?? null };
  // Enough without the round. More may be due if this claim found any (one that found none, with
  // no free slot to fill, must not be made again at once: the worker would claim in a loop).
  if (claimed.length >= (o.roundBelow ?? o.limit)) return { claimed, moreDue: claimed.length > 0, endpointCursor: o.endpointCursor ?? null };

  const inFlight = new Map(o.inFlight);
  for (const d of claimed) inFlight.set(d.endpointId, (inFlight.get(d.endpointId) ?? 0) + 1);
  const round = await claimRoundEndpoints(q, { ...o, limit: o.limit - claimed.length, inFlight });
  claimed.push(...toClaimed(round.rows));
  const full = claimed.length === o.limit;
  const cut = round.walked >= o.scanLimit;
  // A full claim resumes after the last endpoint it took from; one cut short by the scan limit,
  // after the last endpoint it looked at; one that went all the way round, anywhere.
  const next = full ? round.lastTaken : cut ? round.lastWalked : null;
  // Go on at once while the round finds rows. A stretch that found none ends the run of claims
  // (else a capped backlog would keep the worker claiming in a loop); the next wake-up or poll
  // goes on from the cursor.
  return { claimed, moreDue: full || (cut && round.rows.length > 0), endpointCursor: next };
}

/**
 * How many due rows the walk in due order considers. It reads past rows only for endpoints that
 * reach their cap within the claim; when every endpoint has room for the whole claim, the first
 * `limit` due rows are what it takes, and considering `scanLimit` of them only costs: 18.4 against
 * 14.8 µs of PostgreSQL's CPU per claimed row, in a lab draining 60,000 deliveries at fan-out 10
 * with claims of 58 and a scanLimit of four times that.
 */
function dueOrderScanLimit(o: ClaimOptions): number {
  let busiest = 0;
  for (const n of o.inFlight.values()) busiest = Math.max(busiest, n);
  return busiest + o.limit <= o.endpointCap ? Math.min(o.limit, o.scanLimit) : o.scanLimit;
}

interface ClaimedRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  attempt_count: number;
  type: string;
  payload: string;
  account_id: string | null;
  environment: Environment;
  event_created_at: Date;
  url: string | null;
  enabled: boolean | null;
  headers: Record<string, string> | null;
  secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

/** Due and not leased (or its lease ran out). */
const dueAndFree = (d: string) => `${d}.next_attempt_at <= now() and (${d}.locked_until is null or ${d}.locked_until <= now())`;
const unleased = (d: string) => `${d}.status = 'pending' and ${dueAndFree(d)}`;

/** In-flight counts as a relation: busy(endpoint_id, in_flight). */
const busy = `busy as (select * from unnest($1::uuid[], $2::int[]) as b(endpoint_id, in_flight))`;

function busyParams(inFlight: ReadonlyMap<string, number>): [string[], number[]] {
  const entries = [...inFlight].filter(([, n]) => n > 0);
  return [entries.map(([id]) => id), entries.map(([, n]) => n)];
}

/**
 * Locks the chosen rows (`candidates`: id and next_attempt_at), oldest first, skipping any another
 * claim holds, until `limit`, and leases them: `leased` holds each with its event and endpoint.
 *
 * Each chosen row is looked up by its key, one after the other; locking stops at `limit`. The
 * chosen ids are an array, not a join: with a join, stale statistics let the planner loop over
 * every due row and recompute the choice for each one. And "still pending" is written
 * `status not in ('succeeded', 'failed')` so that no partial index over pending rows can serve the
 * lookup: walking deliveries_due in order and testing each row against the array read the whole
 * head of the queue again, leased rows included.
 */
const leaseCandidates = (limit: string, leaseMs: string) => `due as (
       select d.* from unnest(array(select id from candidates order by next_attempt_at, id)) as c(id)
       cross join lateral (
         select d.id, d.event_id, d.endpoint_id from deliveries d
         where d.id = c.id and d.status not in ('succeeded', 'failed') and ${dueAndFree('d')}
         for update of d skip locked
       ) d
       limit ${limit}
     ), leased as (
       update deliveries d set locked_until = now() + make_interval(secs => ${leaseMs} / 1000.0)
       from due join events e on e.id = due.event_id left join endpoints ep on ep.id = due.endpoint_id
       where d.id = due.id
       returning d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempt_count, e.type, e.payload, e.account_id, e.environment,
         e.created_at as event_created_at, ep.url, ep.enabled, ep.headers, ep.secret_sealed, ep.previous_secret_sealed,
         ep.previous_secret_expires_at
     )`;

/**
 * Runs a claim statement whose last line is `select … from (<one row of figures>) s left join
 * leased l on true`: one row even when nothing was claimed, with the figures on every row.
 */
async function runClaim<S>(q: Queryable, sql: string, params: unknown[], name: string): Promise<{ rows: ClaimedRow[]; figures: S }> {
  const rows = await q.query<Partial<ClaimedRow> & S>(sql, params, name);
  return { rows: rows.filter((r): r is ClaimedRow & S => r.id != null), figures: rows[0]! };
}

/** How many due rows the first step may read for each one it considers (see claimDueDeliveries). */
const readsPerScanned = 4;

/**
 * The first step: the first `scanLimit` due rows of endpoints not at their cap, in due order, each
 * endpoint's up to its room. Endpoints at their cap are a filter, not an index condition: their
 * rows are read and passed over, `readsPerScanned × scanLimit` rows in all at most.
 */
async function claimInDueOrder(q: Queryable, o: ClaimOptions): Promise<{ rows: ClaimedRow[]; cut: boolean }> {
  const saturated = [...o.inFlight].filter(([, n]) => n >= o.endpointCap).map(([id]) => id);
  const { rows, figures } = await runClaim<{ scanned: number; read: number | null }>(
    q,
    `with ${busy}, head as (
       select id, endpoint_id, next_attempt_at from deliveries d where ${unleased('d')} order by next_attempt_at limit $4 * ${readsPerScanned}
     ), scan as (
       select * from head where not (endpoint_id = any($3::uuid[])) limit $4
     ), candidates as (
       select id, next_attempt_at from (
         select s.id, s.next_attempt_at, row_number() over (partition by s.endpoint_id order by s.next_attempt_at, s.id) + coalesce(b.in_flight, 0) as slot
         from scan s left join busy b on b.endpoint_id = s.endpoint_id
       ) ranked where slot <= $5
     ), ${leaseCandidates('$6', '$7')}
     select l.*, s.scanned, s.read from (
       -- How far the walk read, only when it kept fewer than scanLimit rows (and so read all it could).
       select count(*)::int as scanned, case when count(*) < $4 then (select count(*)::int from head) end as read from scan
     ) s left join leased l on true`,
    [...busyParams(o.inFlight), saturated, o.scanLimit, o.endpointCap, o.limit, o.leaseMs],
    'claim_in_due_order',
  );
  const cut = figures.scanned >= o.scanLimit || (figures.read ?? 0) >= o.scanLimit * readsPerScanned;
  return { rows, cut };
}

/**
 * The second step: a round of the endpoints that have pending rows, in id order from the one after
 * `endpointCursor`, past the last on to the first, and no further than the cursor again: a skip
 * scan, one index descent per endpoint, `scanLimit` endpoints at most. It takes each endpoint's
 * oldest due rows up to its room, endpoint after endpoint, until `limit`.
 */
async function claimRoundEndpoints(q: Queryable, o: ClaimOptions): Promise<{ rows: ClaimedRow[]; walked: number; lastWalked: string | null; lastTaken: string | null }> {
  const pending = (after: string) =>
    `(select d.endpoint_id from deliveries d where d.status = 'pending' and d.endpoint_id > ${after} order by d.endpoint_id limit 1)`;
  const { rows, figures } = await runClaim<{ walked: number; last_walked: string | null; last_taken: string | null }>(
    q,
    `with recursive walk (endpoint_id, n, wrapped) as (
       select $3::uuid, 0, false
       union all
       select s.endpoint_id, w.n + 1, s.wrapped
       from walk w,
         lateral (select ${pending('w.endpoint_id')} as id) after,
         lateral (select coalesce(after.id, case when not w.wrapped then ${pending(`'${noEndpoint}'::uuid`)} end) as endpoint_id,
           w.wrapped or after.id is null as wrapped) s
       where w.n < $4 and s.endpoint_id is not null and not (s.wrapped and s.endpoint_id > $3::uuid)
     ), ${busy}, candidates as (
       select t.id, t.next_attempt_at from walk w left join busy b on b.endpoint_id = w.endpoint_id
       cross join lateral (
         select d.id, d.next_attempt_at from deliveries d where d.endpoint_id = w.endpoint_id and ${unleased('d')}
         order by d.next_attempt_at limit least(greatest($5 - coalesce(b.in_flight, 0), 0), $6)
       ) t
       where w.n > 0
       limit $6
     ), ${leaseCandidates('$6', '$7')}
     select l.*, s.* from (
       select (select count(*)::int from walk where n > 0) as walked,
         (select endpoint_id from walk where n > 0 order by n desc limit 1) as last_walked,
         (select endpoint_id from walk where n > 0 and endpoint_id in (select endpoint_id from leased) order by n desc limit 1) as last_taken
     ) s left join leased l on true`,
    [...busyParams(o.inFlight), o.endpointCursor ?? noEndpoint, o.scanLimit, o.endpointCap, o.limit, o.leaseMs],
    'claim_round_endpoints',
  );
  return { rows, walked: figures.walked, lastWalked: figures.last_walked, lastTaken: figures.last_taken };
}

/** Below every endpoint id: a round from here starts at the first endpoint. */
const noEndpoint = '00000000-0000-0000-0000-000000000000';

/**
 * The claimed deliveries, the deliveries of one event sharing one event object and those of one
 * endpoint one endpoint object, as a publish's handoff does: what sending derives from them (the
 * envelope's text, the masked headers) is then worked out once per event and endpoint (dispatch.ts).
 */
function toClaimed(rows: ClaimedRow[]): ClaimedDelivery[] {
  const events = new Map<string, ClaimedDelivery['event']>();
  const endpoints = new Map<string, ClaimedDelivery['endpoint']>();
  return rows.map((r) => {
    let event = events.get(r.event_id);
    if (!event) {
      event = { type: r.type, payload: r.payload, accountId: r.account_id, environment: r.environment, createdAt: r.event_created_at };
      events.set(r.event_id, event);
    }
    let endpoint = endpoints.get(r.endpoint_id);
    if (endpoint === undefined) {
      endpoint = r.url === null ? null : {
        url: r.url,
        enabled: r.enabled!,
        headers: r.headers ?? {},
        secretSealed: r.secret_sealed!,
        previousSecretSealed: r.previous_secret_sealed,
        previousSecretExpiresAt: r.previous_secret_expires_at,
      };
      endpoints.set(r.endpoint_id, endpoint);
    }
    return { id: r.id, tenantId: r.tenant_id, eventId: r.event_id, endpointId: r.endpoint_id, attemptCount: r.attempt_count, event, endpoint };
  });
}
