// Retention: purgeExpired removes attempts, finished deliveries, events, expired idempotency keys
// and finished jobs older than retentionDays, in batches, and keeps everything recent and every
// delivery still pending (with its event).
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { Background } from '../../src/jobs/background.ts';
import { purgeExpired } from '../../src/services/maintenance.ts';
import { waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { daysAgo, idAt, seedAttempt, seedDelivery, seedEvent } from '../support/seed.ts';

describeEachHerald('retention', (h) => {
  const count = async (table: string, tenantId: string, ids?: string[]) =>
    (await h().ctx.db.query<{ n: number }>(
      `select count(*)::int as n from ${table} where tenant_id = $1 ${ids ? 'and id = any($2::uuid[])' : ''}`,
      ids ? [tenantId, ids] : [tenantId],
    ))[0]!.n;

  /** An event with deliveries in the given states, each with `attempts` attempts, all at `at`. */
  async function history(tenantId: string, at: number, states: ('succeeded' | 'failed' | 'pending')[], attempts = 1) {
    const db = h().ctx.db;
    const endpointId = newId();
    const event = await seedEvent(db, { tenantId, type: 'old.news', at });
    const deliveries: string[] = [];
    const attemptIds: string[] = [];
    for (const status of states) {
      const delivery = await seedDelivery(db, { tenantId, eventId: event, endpointId, at, status, attemptCount: status === 'pending' ? 0 : attempts });
      deliveries.push(delivery);
      for (let n = 1; status !== 'pending' && n <= attempts; n++) {
        attemptIds.push(await seedAttempt(db, { deliveryId: delivery, tenantId, endpointId, at: at + n, attemptNumber: n }));
      }
    }
    return { event, deliveries, attempts: attemptIds };
  }

  async function idempotencyKey(tenantId: string, expiresAt: number): Promise<string> {
    const key = randomUUID();
    await h().ctx.db.query(
      `insert into idempotency_keys (tenant_id, scope, key, request_hash, response_status, response_body, created_at, expires_at)
       values ($1, 'retry', $2, 'hash', 202, '{}', $3, $3)`,
      [tenantId, key, new Date(expiresAt).toISOString()],
    );
    return key;
  }

  async function job(tenantId: string, finishedAt: number | null): Promise<string> {
    const id = idAt(finishedAt ?? Date.now());
    await h().ctx.db.query(
      `insert into jobs (id, tenant_id, kind, params, status, created_at, finished_at) values ($1, $2, 'replay', '{}', $3, $4, $4)`,
      [id, tenantId, finishedAt === null ? 'running' : 'succeeded', finishedAt === null ? new Date().toISOString() : new Date(finishedAt).toISOString()],
    );
    return id;
  }

  it('purges what is older than retentionDays in small batches, and keeps recent rows and pending deliveries', async () => {
    const tenant = await h().createTenant();
    const gone = [
      ...(await Promise.all([10, 10.5, 11, 12, 30].map((d) => history(tenant, daysAgo(d), ['succeeded'], 2)))),
      await history(tenant, daysAgo(9), ['failed']),
      await history(tenant, daysAgo(8), ['succeeded', 'failed']),
      await history(tenant, daysAgo(8), []), // matched no endpoint
      await history(tenant, daysAgo(7.1), ['succeeded']),
    ];
    const pending = await history(tenant, daysAgo(20), ['pending']);
    const kept = [await history(tenant, daysAgo(6.9), ['failed'], 3), await history(tenant, daysAgo(1), ['succeeded']), await history(tenant, daysAgo(0), [])];
    const expiredKeys = [await idempotencyKey(tenant, daysAgo(2)), await idempotencyKey(tenant, daysAgo(1)), await idempotencyKey(tenant, Date.now() - 1_000)];
    const liveKey = await idempotencyKey(tenant, Date.now() + 3_600_000);
    const oldJob = await job(tenant, daysAgo(8));
    const recentJob = await job(tenant, daysAgo(1));
    const runningJob = await job(tenant, null);

    const purged = await purgeExpired(h().ctx, new Date(), 2);
    expect(purged).toEqual({
      attempts: gone.reduce((n, g) => n + g.attempts.length, 0),
      deliveries: gone.reduce((n, g) => n + g.deliveries.length, 0),
      events: gone.length,
      idempotencyKeys: expiredKeys.length,
      jobs: 1,
    });
    expect(purged).toMatchObject({ attempts: 14, deliveries: 9, events: 9 });

    expect(await count('attempts', tenant, gone.flatMap((g) => g.attempts))).toBe(0);
    expect(await count('deliveries', tenant, gone.flatMap((g) => g.deliveries))).toBe(0);
    expect(await count('events', tenant, gone.map((g) => g.event))).toBe(0);
    // What is left: the pending delivery and its event, and everything recent.
    expect(await count('deliveries', tenant, pending.deliveries)).toBe(1);
    expect(await count('events', tenant, [pending.event])).toBe(1);
    expect(await count('events', tenant)).toBe(1 + kept.length);
    expect(await count('deliveries', tenant)).toBe(1 + kept.reduce((n, k) => n + k.deliveries.length, 0));
    expect(await count('attempts', tenant)).toBe(kept.reduce((n, k) => n + k.attempts.length, 0));
    const keys = await h().ctx.db.query<{ key: string }>('select key from idempotency_keys where tenant_id = $1', [tenant]);
    expect(keys.map((k) => k.key)).toEqual([liveKey]);
    const jobs = await h().ctx.db.query<{ id: string }>('select id from jobs where tenant_id = $1 order by id', [tenant]);
    expect(jobs.map((j) => j.id).sort()).toEqual([recentJob, runningJob].sort());
    expect(jobs.map((j) => j.id)).not.toContain(oldJob);

    // The API no longer finds what was purged, and still finds the rest.
    const gets = async (path: string) => (await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/${path}` })).statusCode;
    expect(await gets(`deliveries/${gone[0]!.deliveries[0]}`)).toBe(404);
    expect(await gets(`events/${gone[0]!.event}`)).toBe(404);
    expect(await gets(`deliveries/${pending.deliveries[0]}`)).toBe(200);
    expect(await gets(`deliveries/${kept[0]!.deliveries[0]}`)).toBe(200);

    expect(await purgeExpired(h().ctx, new Date(), 2)).toEqual({ attempts: 0, deliveries: 0, events: 0, idempotencyKeys: 0, jobs: 0 });
  });

  it('the cutoff moves with now and retentionDays: a later now purges what was recent', async () => {
    const tenant = await h().createTenant();
    const recent = await history(tenant, daysAgo(3), ['succeeded']);
    await purgeExpired(h().ctx, new Date(), 2);
    expect(await count('events', tenant, [recent.event])).toBe(1);
    // Five days from now, the three-day-old rows are eight days old (other tests' rows go too).
    const later = await purgeExpired(h().ctx, new Date(Date.now() + 5 * 86_400_000), 2);
    expect(later.attempts).toBeGreaterThanOrEqual(1);
    expect(await count('events', tenant, [recent.event])).toBe(0);
    expect(await count('deliveries', tenant)).toBe(0);
    expect(await count('attempts', tenant)).toBe(0);
  });

  it('the background maintenance loop purges on its own', async () => {
    const tenant = await h().createTenant();
    const old = await history(tenant, daysAgo(15), ['failed'], 2);
    const background = new Background(h().ctx);
    background.start();
    try {
      await waitFor('the purge', async () => ((await count('events', tenant, [old.event])) === 0 ? true : undefined));
    } finally {
      await background.stop();
    }
    expect(await count('attempts', tenant)).toBe(0);
  });
}, { config: { retentionDays: 7, maintenanceIntervalMs: 100 } });
