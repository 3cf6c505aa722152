// Endpoint statistics (GET …/endpoints/{id}/stats): per hour, day and week, deliveries by status,
// the success rate, attempts by outcome and latency percentiles — checked against seeded rows.
import { beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { expectProblem } from '../support/api.ts';
import { createEndpoint } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { daysAgo, hoursAgo, minutesAgo, seedAttempt, seedDelivery, seedEvent } from '../support/seed.ts';

type Status = 'succeeded' | 'failed' | 'pending';
interface SeededAttempt { at: number; outcome: string; durationMs: number }
interface SeededDelivery { at: number; status: Status; attempts: SeededAttempt[] }

const windows = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return Math.round(sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low));
}

function expectedStats(deliveries: SeededDelivery[], now: number) {
  return Object.fromEntries(Object.entries(windows).map(([name, ms]) => {
    const from = now - ms;
    const inWindow = deliveries.filter((d) => d.at >= from);
    const by = (s: Status) => inWindow.filter((d) => d.status === s).length;
    const attempts = deliveries.flatMap((d) => d.attempts).filter((a) => a.at >= from);
    const byOutcome: Record<string, number> = {};
    for (const a of attempts) byOutcome[a.outcome] = (byOutcome[a.outcome] ?? 0) + 1;
    const timed = attempts.filter((a) => a.outcome !== 'endpoint_disabled' && a.outcome !== 'endpoint_deleted').map((a) => a.durationMs);
    const finished = by('succeeded') + by('failed');
    return [name, {
      deliveries: { total: inWindow.length, succeeded: by('succeeded'), failed: by('failed'), pending: by('pending') },
      successRate: finished === 0 ? null : by('succeeded') / finished,
      attempts: { total: attempts.length, byOutcome, latencyMs: { p50: percentile(timed, 0.5), p90: percentile(timed, 0.9), p99: percentile(timed, 0.99) } },
    }];
  }));
}

describeEachHerald('endpoint stats', (h) => {
  let tenant: string;
  let endpoint: string;
  const seeded: SeededDelivery[] = [];

  async function seed(endpointId: string, rows: SeededDelivery[]) {
    const db = h().ctx.db;
    for (const row of rows) {
      const eventId = await seedEvent(db, { tenantId: tenant, type: 'stats.tick', at: row.at });
      const deliveryId = await seedDelivery(db, { tenantId: tenant, eventId, endpointId, at: row.at, status: row.status, attemptCount: row.attempts.length });
      for (const [i, a] of row.attempts.entries()) {
        await seedAttempt(db, { deliveryId, tenantId: tenant, endpointId, at: a.at, attemptNumber: i + 1, outcome: a.outcome, durationMs: a.durationMs });
      }
    }
  }

  beforeAll(async () => {
    tenant = await h().createTenant();
    endpoint = (await createEndpoint(h(), tenant, { url: 'https://hooks.example.com/stats', eventTypes: ['*'] })).id;
    const ok = (at: number, durationMs: number): SeededAttempt => ({ at, outcome: 'success', durationMs });
    const err = (at: number, durationMs: number, outcome = 'http_5xx'): SeededAttempt => ({ at, outcome, durationMs });
    let n = 0;
    const vary = () => [12, 250, 40, 3_000, 75, 90, 15_000, 5, 600, 130, 41, 9_999][n++ % 12]!;
    // Within the hour: 3 succeeded (one after two failures), 1 failed, 1 pending.
    for (const m of [5, 15, 25]) seeded.push({ at: minutesAgo(m), status: 'succeeded', attempts: [ok(minutesAgo(m) + 100, vary())] });
    seeded.push({ at: minutesAgo(40), status: 'succeeded', attempts: [err(minutesAgo(40), vary()), err(minutesAgo(39), vary(), 'timeout'), ok(minutesAgo(38), vary())] });
    seeded.push({ at: minutesAgo(50), status: 'failed', attempts: [err(minutesAgo(50), vary(), 'connect'), err(minutesAgo(45), vary())] });
    seeded.push({ at: minutesAgo(55), status: 'pending', attempts: [] });
    // Within the day: a failure whose attempts continue into the last hour, and more.
    seeded.push({ at: hoursAgo(3), status: 'failed', attempts: [err(hoursAgo(3), vary()), err(minutesAgo(20), vary(), 'http_4xx')] });
    for (const hr of [5, 8, 13, 21]) seeded.push({ at: hoursAgo(hr), status: hr % 2 ? 'succeeded' : 'failed', attempts: [hr % 2 ? ok(hoursAgo(hr), vary()) : err(hoursAgo(hr), vary())] });
    seeded.push({ at: hoursAgo(22), status: 'failed', attempts: [{ at: hoursAgo(22), outcome: 'endpoint_disabled', durationMs: 0 }] });
    // Within the week.
    for (const d of [2, 3.5, 5, 6.5]) seeded.push({ at: daysAgo(d), status: d === 5 ? 'failed' : 'succeeded', attempts: [d === 5 ? err(daysAgo(d), vary(), 'dns') : ok(daysAgo(d), vary())] });
    // Older: counted nowhere.
    for (const d of [8, 12]) seeded.push({ at: daysAgo(d), status: 'succeeded', attempts: [ok(daysAgo(d), 99_999)] });
    await seed(endpoint, seeded);
    // Another endpoint of the same tenant: never counted.
    await seed(newId(), [{ at: minutesAgo(10), status: 'failed', attempts: [err(minutesAgo(10), 77_777)] }]);
  });

  const stats = (tenantId: string, endpointId: string, as?: string) =>
    h().request({ method: 'GET', url: `/v1/tenants/${tenantId}/endpoints/${endpointId}/stats`, ...(as ? { as } : {}) });

  it('counts deliveries by status, the success rate, attempts by outcome and latency percentiles per window', async () => {
    const now = Date.now();
    const res = await stats(tenant, endpoint);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toEqual(expectedStats(seeded, now));
    // The numbers, spelled out for the hour.
    expect(body.hour.deliveries).toEqual({ total: 6, succeeded: 4, failed: 1, pending: 1 });
    expect(body.hour.successRate).toBe(0.8);
    expect(body.hour.attempts.byOutcome).toEqual({ success: 4, http_5xx: 2, timeout: 1, connect: 1, http_4xx: 1 });
    expect(body.day.deliveries).toEqual({ total: 12, succeeded: 7, failed: 4, pending: 1 });
    expect(body.week.deliveries.total).toBe(16);
    expect(body.week.attempts.byOutcome.endpoint_disabled).toBe(1);
    expect(body.week.attempts.latencyMs.p99).toBeLessThan(99_999);
  });

  it('an endpoint without deliveries has zeros and no rates', async () => {
    const quiet = (await createEndpoint(h(), tenant, { url: 'https://hooks.example.com/quiet', eventTypes: ['*'] })).id;
    const res = await stats(tenant, quiet);
    expect(res.statusCode).toBe(200);
    const empty = { deliveries: { total: 0, succeeded: 0, failed: 0, pending: 0 }, successRate: null, attempts: { total: 0, byOutcome: {}, latencyMs: { p50: null, p90: null, p99: null } } };
    expect(res.json()).toEqual({ hour: empty, day: empty, week: empty });
  });

  it('404 for an endpoint that is not there, of another tenant, or of another environment', async () => {
    expectProblem(await stats(tenant, newId()), 404, 'not_found');
    expectProblem(await stats(tenant, 'nope'), 404, 'not_found');
    expectProblem(await stats(await h().createTenant(), endpoint), 404, 'not_found');
    const testKey = await h().createKey(tenant, { environment: 'test' });
    expectProblem(await stats(tenant, endpoint, testKey), 404, 'not_found');
    const liveKey = await h().createKey(tenant, { environment: 'live' });
    expect((await stats(tenant, endpoint, liveKey)).statusCode).toBe(200);
  });
});
