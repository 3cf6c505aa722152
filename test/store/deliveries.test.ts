// The delivery queue on both drivers (acceptance list, item 3): claims take due rows only, never
// the same row twice at once, hold it for a lease, give it back on release, and respect the
// per-endpoint cap.
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import type { Db, Queryable } from '../../src/store/db.ts';
import { claimDueDeliveries, claimSettings, type ClaimOptions } from '../../src/store/claim.ts';
import { recordAttempts, recordSettings, releaseDeliveries, type Completion } from '../../src/store/deliveries.ts';
import { insertEndpoint } from '../../src/store/endpoints.ts';
import { insertEventsWithDeliveries } from '../../src/store/events.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { describeEachDriver, freshDb } from '../support/databases.ts';

const tenantId = 'queue';

async function addEndpoint(q: Queryable): Promise<string> {
  const id = newId();
  await insertEndpoint(q, {
    id,
    tenantId,
    secretSealed: 'v1.sealed',
    url: `https://example.com/${id}`,
    description: '',
    eventTypes: ['*'],
    accountIds: null,
    environment: 'live',
    enabled: true,
    headers: { 'X-Team': 'a' },
    metadata: {},
  });
  return id;
}

/** Publishes `count` events with one delivery each to `endpointId`, due at `dueAt` (default now). */
async function addDeliveries(q: Queryable, endpointId: string, count: number, dueAt?: Date): Promise<string[]> {
  const createdAt = new Date();
  const events = Array.from({ length: count }, (_, i) => ({
    id: newId(), tenantId, type: 'order.created', environment: 'live' as const, accountId: null,
    relatedEntityId: null, relatedEntityType: null, payload: `{"i":${i}}`, createdAt,
  }));
  const deliveries = events.map((e) => ({ id: newId(), tenantId, eventId: e.id, endpointId, createdAt, ...(dueAt ? { dueAt } : {}) }));
  await insertEventsWithDeliveries(q, events, deliveries);
  return deliveries.map((d) => d.id);
}

const claim = async (q: Db, over: Partial<ClaimOptions> = {}) =>
  (await claimDueDeliveries(q, { limit: 100, leaseMs: 60_000, endpointCap: 1_000, inFlight: new Map(), scanLimit: 1_000, ...over })).claimed;

const sorted = (ids: string[]) => [...ids].sort();

/** A successful first attempt for each delivery. */
const succeeded = (endpointId: string, ids: string[]): Completion[] =>
  ids.map((deliveryId) => ({
    deliveryId, tenantId, endpointId, status: 'succeeded', nextAttemptAt: null, countsAsFailure: false,
    attempt: {
      id: newId(), attemptNumber: 1, url: 'https://example.com', requestHeaders: {}, outcome: 'success', statusCode: 200,
      responseHeaders: {}, responseBody: '', responseTruncated: false, error: null, durationMs: 3, createdAt: new Date(),
    },
  }));

/**
 * A row of the statistics, read again until `done` says it shows what a test did. PGlite is one
 * session, whose statistics are flushed on demand; a PostgreSQL session that goes idle flushes its
 * own within about ten seconds.
 */
async function statsOnce<R>(q: Db, driver: string, sql: string, done: (row: R) => boolean): Promise<R> {
  for (const deadline = Date.now() + 20_000; ; await new Promise((resolve) => setTimeout(resolve, 250))) {
    if (driver === 'pglite') await q.query('select pg_stat_force_next_flush()');
    const [row] = await q.query<R>(`select pg_stat_clear_snapshot(), ${sql}`);
    if (done(row!) || Date.now() > deadline) return row!;
  }
}

/** How the deliveries table was read once `updates` rows were updated: sequential scans, and rows fetched through an index. */
async function readsAfterUpdates(q: Db, driver: string, updates: number): Promise<{ seqScans: number; indexFetches: number }> {
  const row = await statsOnce<{ seq_scan: number; idx_tup_fetch: number; n_tup_upd: number }>(q, driver,
    `seq_scan::int, idx_tup_fetch::int, n_tup_upd::int from pg_stat_user_tables where relname = 'deliveries'`, (r) => r.n_tup_upd >= updates);
  return { seqScans: row.seq_scan, indexFetches: row.idx_tup_fetch };
}

/** Index entries read from deliveries_due, once the statistics show any. */
async function dueIndexReads(q: Db, driver: string): Promise<number> {
  return (await statsOnce<{ n: number }>(q, driver, `idx_tup_read::int as n from pg_stat_user_indexes where indexrelname = 'deliveries_due'`, (r) => r.n > 0)).n;
}

describeEachDriver('store: the delivery queue', (db, driver) => {
  beforeAll(async () => {
    await insertTenant(db(), { id: tenantId, name: tenantId, parentId: null, metadata: {} });
  });
  beforeEach(async () => {
    // Each test starts with an empty queue (claims look at the whole table).
    await db().query('delete from deliveries');
  });

  it('claims due rows only, with the event and endpoint needed to send them', async () => {
    const ep = await addEndpoint(db());
    const due = await addDeliveries(db(), ep, 3);
    await addDeliveries(db(), ep, 2, new Date(Date.now() + 3_600_000)); // not yet due
    const [done] = await addDeliveries(db(), ep, 1);
    await db().query(`update deliveries set status = 'succeeded' where id = $1`, [done]);

    const claimed = await claim(db());
    expect(sorted(claimed.map((d) => d.id))).toEqual(sorted(due));
    expect(claimed[0]).toMatchObject({
      tenantId,
      endpointId: ep,
      attemptCount: 0,
      event: { type: 'order.created', payload: expect.stringMatching(/^\{"i":\d\}$/), accountId: null, environment: 'live' },
      endpoint: { url: `https://example.com/${ep}`, enabled: true, headers: { 'X-Team': 'a' }, secretSealed: 'v1.sealed', previousSecretSealed: null },
    });
    expect(await claim(db())).toEqual([]);
  });

  it('two concurrent claims never return the same delivery', async () => {
    const endpoints = [await addEndpoint(db()), await addEndpoint(db()), await addEndpoint(db())];
    const all: string[] = [];
    for (const ep of endpoints) all.push(...(await addDeliveries(db(), ep, 100)));
    const seen: string[] = [];
    for (let round = 0; round < 20 && seen.length < all.length; round++) {
      const batches = await Promise.all(Array.from({ length: 6 }, () => claim(db(), { limit: 20 })));
      for (const batch of batches) seen.push(...batch.map((d) => d.id));
    }
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(all.length);
    expect(sorted(seen)).toEqual(sorted(all));
  });

  it('concurrent claims going round the endpoints never return the same delivery either', async () => {
    const slow = await addEndpoint(db());
    await addDeliveries(db(), slow, 100); // older and at its cap: every claim goes round the endpoints
    const all: string[] = [];
    for (let i = 0; i < 6; i++) all.push(...(await addDeliveries(db(), await addEndpoint(db()), 20)));
    const seen: string[] = [];
    for (let round = 0; round < 20 && seen.length < all.length; round++) {
      const batches = await Promise.all(Array.from({ length: 6 }, () => claim(db(), { limit: 20, scanLimit: 10, inFlight: new Map([[slow, 1_000]]) })));
      for (const batch of batches) seen.push(...batch.map((d) => d.id));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(sorted(seen)).toEqual(sorted(all));
  });

  it('holds a claimed delivery for its lease: not claimable again until the lease expires, claimable after', async () => {
    const ep = await addEndpoint(db());
    const ids = await addDeliveries(db(), ep, 2);
    const first = await claim(db(), { leaseMs: 200 });
    expect(sorted(first.map((d) => d.id))).toEqual(sorted(ids));
    const [row] = await db().query<{ locked: boolean; lease_ms: number }>(
      `select locked_until is not null as locked, extract(epoch from locked_until - now()) * 1000 as lease_ms from deliveries where id = $1`,
      [ids[0]],
    );
    expect(row!.locked).toBe(true);
    expect(Number(row!.lease_ms)).toBeGreaterThan(0);
    expect(Number(row!.lease_ms)).toBeLessThanOrEqual(200);

    expect(await claim(db(), { leaseMs: 200 })).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const again = await claim(db(), { leaseMs: 200 });
    expect(sorted(again.map((d) => d.id))).toEqual(sorted(ids));
    // The crashed holder never recorded an attempt: this is still the first one.
    expect(again.map((d) => d.attemptCount)).toEqual([0, 0]);
  });

  it('a claim only sets the lease: the schedule (next_attempt_at) stays as it was', async () => {
    const ep = await addEndpoint(db());
    const [id] = await addDeliveries(db(), ep, 1);
    const select = 'select next_attempt_at, locked_until from deliveries where id = $1';
    const [before] = await db().query<{ next_attempt_at: Date; locked_until: Date | null }>(select, [id]);
    expect(await claim(db(), { leaseMs: 60_000 })).toHaveLength(1);
    const [after] = await db().query<{ next_attempt_at: Date; locked_until: Date | null }>(select, [id]);
    expect(after!.next_attempt_at).toEqual(before!.next_attempt_at);
    expect(after!.locked_until!.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('a claim leaves each row on its page (a HOT update, no index entry written), even for a whole publish of rows', async () => {
    const ep = await addEndpoint(db());
    await addDeliveries(db(), ep, 300);
    // The page of each row's visible version: a claim whose new version did not fit there moved it
    // to another page, with a new entry in every index of the table.
    const pages = async () => new Map((await db().query<{ id: string; page: string }>(`select id, (ctid::text::point)[0]::text as page from deliveries`)).map((r) => [r.id, r.page]));
    const before = await pages();
    for (let claimed = 0; claimed < 300; ) claimed += (await claim(db(), { limit: 50 })).length;
    const after = await pages();
    expect([...before].filter(([id, page]) => after.get(id) !== page)).toEqual([]);
  });

  it('releaseDeliveries makes claimed rows due at once, for any worker', async () => {
    const ep = await addEndpoint(db());
    const ids = await addDeliveries(db(), ep, 3);
    const claimed = await claim(db(), { leaseMs: 60_000 });
    expect(claimed).toHaveLength(3);
    expect(await claim(db())).toEqual([]);
    await releaseDeliveries(db(), ids.slice(0, 2));
    const [row] = await db().query<{ locked_until: Date | null; due: boolean }>(
      'select locked_until, next_attempt_at <= now() as due from deliveries where id = $1',
      [ids[0]],
    );
    expect(row).toEqual({ locked_until: null, due: true });
    expect(sorted((await claim(db())).map((d) => d.id))).toEqual(sorted(ids.slice(0, 2)));
  });

  it('releasing a delivery that already finished leaves it finished', async () => {
    const ep = await addEndpoint(db());
    const [id] = await addDeliveries(db(), ep, 1);
    const [claimed] = await claim(db());
    expect(claimed!.attemptCount).toBe(0);
    await recordAttempts(db(), succeeded(ep, [id!]));
    await releaseDeliveries(db(), [id!]);
    const [row] = await db().query<{ status: string; attempt_count: number; locked_until: Date | null }>(
      'select status, attempt_count, locked_until from deliveries where id = $1',
      [id],
    );
    expect(row).toEqual({ status: 'succeeded', attempt_count: 1, locked_until: null });
    expect(await claim(db())).toEqual([]);
  });

  it('a claim smaller than what is due takes the oldest due rows, whichever endpoint they belong to', async () => {
    const [a, b] = [await addEndpoint(db()), await addEndpoint(db())];
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    // Due times interleave across the endpoints: the oldest three are a's 10, b's 9 and a's 8.
    const oldest = [
      ...(await addDeliveries(db(), a, 1, minutesAgo(10))),
      ...(await addDeliveries(db(), b, 1, minutesAgo(9))),
      ...(await addDeliveries(db(), a, 1, minutesAgo(8))),
    ];
    await addDeliveries(db(), b, 1, minutesAgo(7));
    await addDeliveries(db(), a, 1, minutesAgo(6));
    await addDeliveries(db(), b, 1, minutesAgo(5));
    const claimed = await claim(db(), { limit: 3, scanLimit: 12 });
    expect(sorted(claimed.map((d) => d.id))).toEqual(sorted(oldest));
  });

  it('takes at most endpointCap − inFlight per endpoint, and skips endpoints at their cap', async () => {
    const [a, b, c] = [await addEndpoint(db()), await addEndpoint(db()), await addEndpoint(db())];
    await addDeliveries(db(), a, 10);
    await addDeliveries(db(), b, 10);
    await addDeliveries(db(), c, 2);
    const count = (claimed: { endpointId: string }[], ep: string) => claimed.filter((d) => d.endpointId === ep).length;

    const first = await claim(db(), { endpointCap: 3 });
    expect([count(first, a), count(first, b), count(first, c)]).toEqual([3, 3, 2]);

    const second = await claim(db(), { endpointCap: 3, inFlight: new Map([[a, 3], [b, 1]]) });
    expect([count(second, a), count(second, b), count(second, c)]).toEqual([0, 2, 0]);

    const third = await claim(db(), { endpointCap: 5, inFlight: new Map([[a, 3], [b, 5]]) });
    expect([count(third, a), count(third, b)]).toEqual([2, 0]);
  });

  it('a deep backlog of one endpoint at its cap does not hide the due rows of another', async () => {
    const [slow, healthy] = [await addEndpoint(db()), await addEndpoint(db())];
    await addDeliveries(db(), slow, 200); // older: first in due order
    const fresh = await addDeliveries(db(), healthy, 5);
    const claimed = await claim(db(), { limit: 10, scanLimit: 40, endpointCap: 5, inFlight: new Map([[slow, 5]]) });
    expect(sorted(claimed.map((d) => d.id))).toEqual(sorted(fresh));
  });

  it('goes round the endpoints only for fewer than roundBelow: deliveries claimed ahead of free slots are not worth a round', async () => {
    const [busy, other] = [await addEndpoint(db()), await addEndpoint(db())];
    const head = await addDeliveries(db(), busy, 40); // older: first in due order
    await addDeliveries(db(), other, 5);
    // The walk in due order finds 5 of the busy endpoint's within its cap, then is cut short.
    const options = { limit: 10, scanLimit: 8, endpointCap: 10, inFlight: new Map([[busy, 5]]) };
    const ahead = await claimDueDeliveries(db(), { ...options, leaseMs: 60_000, roundBelow: 5 });
    expect(sorted(ahead.claimed.map((d) => d.id))).toEqual(sorted(head.slice(0, 5)));
    expect(ahead.moreDue).toBe(true);
    await releaseDeliveries(db(), ahead.claimed.map((d) => d.id));
    // Claiming only ahead (no free slot) past endpoints all at their cap finds nothing, and says
    // nothing more is due: claimed again at once, it would find nothing again.
    const none = await claimDueDeliveries(db(), { ...options, inFlight: new Map([[busy, 10], [other, 10]]), leaseMs: 60_000, roundBelow: 0 });
    expect(none).toMatchObject({ claimed: [], moreDue: false });
    // Without it the claim goes round for the rest, to the other endpoint.
    const full = await claim(db(), options);
    expect(full.filter((d) => d.endpointId === other)).toHaveLength(5);
  });

  it('says whether more may be due: a full claim says so; a claim that saw every due row does not', async () => {
    const [slow, healthy] = [await addEndpoint(db()), await addEndpoint(db())];
    await addDeliveries(db(), slow, 100);
    await addDeliveries(db(), healthy, 5);
    const options = { leaseMs: 60_000, endpointCap: 5, scanLimit: 40 };
    // Full: as many as asked.
    const full = await claimDueDeliveries(db(), { ...options, limit: 3, inFlight: new Map([[slow, 5]]) });
    expect(full.claimed).toHaveLength(3);
    expect(full.moreDue).toBe(true);
    // The slow endpoint has room for one; its older rows fill the whole scan in due order, so the
    // claim goes round the endpoints and finds the healthy one's other two. Nothing more is due
    // for this worker.
    const rest = await claimDueDeliveries(db(), { ...options, limit: 10, inFlight: new Map([[slow, 4], [healthy, 3]]) });
    expect(rest.claimed.map((d) => d.endpointId).sort()).toEqual([slow, healthy, healthy].sort());
    expect(rest.moreDue).toBe(false);
    // No due row left that the worker may take; the scan ended before its limit.
    const none = await claimDueDeliveries(db(), { ...options, scanLimit: 1_000, limit: 10, inFlight: new Map([[slow, 5]]) });
    expect(none).toEqual({ claimed: [], moreDue: false, endpointCursor: null });
  });

  it('reaches every endpoint behind a capped backlog, a bounded stretch of endpoints per claim', async () => {
    const slow = await addEndpoint(db());
    await addDeliveries(db(), slow, 50); // older than everything else: it fills every scan in due order
    const others: string[] = [];
    for (let i = 0; i < 10; i++) others.push(await addEndpoint(db()));
    for (const ep of others) await addDeliveries(db(), ep, 1);
    const options = { limit: 100, leaseMs: 60_000, endpointCap: 5, inFlight: new Map([[slow, 5]]), scanLimit: 4 };
    const reached: string[] = [];
    let endpointCursor: string | null = null;
    let claims = 0;
    for (let moreDue = true; moreDue && claims < 20; claims++) {
      const next = await claimDueDeliveries(db(), { ...options, endpointCursor });
      expect(next.claimed.length).toBeLessThanOrEqual(4); // one row from each of at most 4 endpoints
      reached.push(...next.claimed.map((d) => d.endpointId));
      ({ moreDue, endpointCursor } = next);
    }
    expect(sorted(reached)).toEqual(sorted(others));
    expect(claims).toBeLessThanOrEqual(5); // 11 endpoints, 4 a claim, and one claim that finds the round over
  });

  it('goes round the endpoints in turn: a full claim resumes after the last endpoint it took from, and past the last, from the first', async () => {
    const slow = await addEndpoint(db());
    await addDeliveries(db(), slow, 50);
    const [a, b, c] = [await addEndpoint(db()), await addEndpoint(db()), await addEndpoint(db())];
    for (const ep of [a, b, c]) await addDeliveries(db(), ep, 10);
    const options = { limit: 5, leaseMs: 60_000, endpointCap: 10, inFlight: new Map([[slow, 10]]), scanLimit: 5 };
    let endpointCursor: string | null = null;
    const turns: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const next = await claimDueDeliveries(db(), { ...options, endpointCursor });
      expect(next.claimed).toHaveLength(5);
      expect(next.moreDue).toBe(true);
      turns.push([...new Set(next.claimed.map((d) => d.endpointId))]);
      endpointCursor = next.endpointCursor;
    }
    // Each claim filled up from one endpoint, and each endpoint had its turn; the fourth claim's
    // round passed the last endpoint and went on from the first (the capped one has no room).
    expect(turns.map((t) => t.length)).toEqual([1, 1, 1, 1]);
    expect(sorted(turns.slice(0, 3).flat())).toEqual(sorted([a, b, c]));
    expect(turns[3]).toEqual(turns[0]);
  });

  it('records what a receiver sent back even with NUL characters, which become U+FFFD', async () => {
    const ep = await addEndpoint(db());
    const [id] = await addDeliveries(db(), ep, 1);
    const [result] = succeeded(ep, [id!]);
    result!.attempt = { ...result!.attempt, responseBody: 'a\0b', responseHeaders: { 'x-odd': 'c\0d' }, error: 'e\0f' };
    await recordAttempts(db(), [result!]);
    const [row] = await db().query<{ response_body: string; response_headers: Record<string, string>; error: string }>(
      'select response_body, response_headers, error from attempts where delivery_id = $1',
      [id],
    );
    expect(row).toEqual({ response_body: 'a\ufffdb', response_headers: { 'x-odd': 'c\ufffdd' }, error: 'e\ufffdf' });
  });

  it('plans claims and records once per connection: only generic plans, none made for the values of a call', async () => {
    // Each custom plan took 0.4–1 ms of the server's CPU per call, for the plan the generic one
    // is. (A database of its own: its connections have prepared nothing yet.)
    const fresh = await freshDb(driver);
    try {
      const q = fresh.db;
      await insertTenant(q, { id: tenantId, name: tenantId, parentId: null, metadata: {} });
      const ep = await addEndpoint(q);
      const ids = await addDeliveries(q, ep, 40);
      for (let i = 0; i < 8; i++) {
        await claim(q, { limit: 5 });
        await recordAttempts(q, succeeded(ep, ids.slice(i * 5, (i + 1) * 5)));
      }
      const plans = async (settings: Record<string, string>, name: string) =>
        (await q.withSettings(settings).query('select generic_plans::int, custom_plans::int from pg_prepared_statements where name = $1', [name]))[0];
      expect(await plans(claimSettings, 'claim_in_due_order')).toEqual({ generic_plans: 8, custom_plans: 0 });
      expect(await plans(recordSettings, 'record_attempts')).toEqual({ generic_plans: 8, custom_plans: 0 });
    } finally {
      await fresh.drop();
    }
  });

  it('reads no more due rows than it claims when every endpoint has room for the whole claim', async () => {
    // A database of its own: no other claim's reads in its statistics.
    const fresh = await freshDb(driver);
    try {
      const q = fresh.db;
      await insertTenant(q, { id: tenantId, name: tenantId, parentId: null, metadata: {} });
      const [a, b] = [await addEndpoint(q), await addEndpoint(q)];
      await addDeliveries(q, a!, 500);
      await addDeliveries(q, b!, 500);
      const claimed = await claim(q, { limit: 50, scanLimit: 200, endpointCap: 100, inFlight: new Map([[a!, 40]]) });
      expect(claimed).toHaveLength(50);
      // The first 50 due rows (with a scan limit of 200 and no regard for room, 200 of them).
      expect(await dueIndexReads(q, driver)).toBeLessThanOrEqual(52);
    } finally {
      await fresh.drop();
    }
  });

  it('records results by key, never reading the whole table, even with statistics taken while it was empty', async () => {
    // As on a new database: the statistics say the table is empty while it fills up. A plan made
    // from them joins a batch of results by reading every delivery. (A database of its own: no
    // other statement's scans of the table.)
    const fresh = await freshDb(driver);
    try {
      const q = fresh.db;
      await insertTenant(q, { id: tenantId, name: tenantId, parentId: null, metadata: {} });
      await q.exec('analyze deliveries');
      const ep = await addEndpoint(q);
      const ids = await addDeliveries(q, ep, 1_000);
      // More batches than a prepared statement's first custom plans.
      for (let i = 0; i < 8; i++) await recordAttempts(q, succeeded(ep, ids.slice(i * 10, (i + 1) * 10)));
      // Each result finds its delivery by key: some 80 rows read in all, not the table per batch.
      const reads = await readsAfterUpdates(q, driver, 80);
      expect(reads.seqScans).toBe(0);
      expect(reads.indexFetches).toBeLessThan(200);
      const [done] = await q.query<{ n: number }>(`select count(*)::int as n from deliveries where status = 'succeeded'`);
      expect(done!.n).toBe(80);
    } finally {
      await fresh.drop();
    }
  });
});
