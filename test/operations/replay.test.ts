// Replay (POST …/endpoints/{id}/replay → a job to poll), end to end with a worker, the background
// job runner and a receiver: what the endpoint missed in the window is sent again — failed
// deliveries as clones, events it never got unless failedOnly, past events for a new endpoint
// (backfill) — and nothing else.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { Background } from '../../src/jobs/background.ts';
import { newId } from '../../src/domain/ids.ts';
import { expectFieldErrors, expectProblem } from '../support/api.ts';
import { createEndpoint, defineEventType, publishOne, routeByPath, sleep, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';
import { minutesAgo, seedDelivery, seedEvent, seedMany } from '../support/seed.ts';

interface JobView {
  id: string;
  tenantId: string;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number | null;
  processed: number;
  createdCount: number;
  error: string | null;
  params: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
}

describeEachHerald('replay', (h) => {
  let receiver: Receiver;
  let routes: ReturnType<typeof routeByPath>;
  let worker: DeliveryWorker;
  let background: Background;
  beforeAll(async () => {
    receiver = await createReceiver();
    routes = routeByPath(receiver);
    worker = startWorker(h().ctx, { pollIntervalMs: 20 });
    background = new Background(h().ctx);
    background.start();
    for (const type of ['order.created', 'order.paid', 'user.signup']) await defineEventType(h(), type);
  });
  afterAll(async () => {
    await background.stop();
    await worker.stop(1_000);
    await receiver.close();
  });

  const replay = (tenant: string, endpointId: string, body: Record<string, unknown>) =>
    h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${endpointId}/replay`, payload: body });

  async function finished(tenant: string, jobId: string): Promise<JobView> {
    return waitFor(`job ${jobId} to finish`, async () => {
      const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/jobs/${jobId}` });
      expect(res.statusCode, res.body).toBe(200);
      const job = res.json() as JobView;
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    }, 10_000);
  }

  async function startReplay(tenant: string, endpointId: string, body: Record<string, unknown>): Promise<JobView> {
    const res = await replay(tenant, endpointId, body);
    expect(res.statusCode, res.body).toBe(202);
    const job = res.json() as JobView;
    expect(job).toMatchObject({ tenantId: tenant, kind: 'replay', status: 'queued', total: null, processed: 0, createdCount: 0 });
    expect(res.headers.location).toBe(`/v1/tenants/${tenant}/jobs/${job.id}`);
    return job;
  }

  /**
   * A tenant whose endpoint E (order.*, account acc_1) has a history in and around the window
   * [since, until) = [120, 30) minutes ago: one event of each case the replay must tell apart.
   */
  async function history() {
    const tenant = await h().createTenant();
    const path = `/replay/${tenant}`;
    const url = routes.on(path, () => ({ status: 200 }));
    const endpoint = await createEndpoint(h(), tenant, { url, eventTypes: ['order'], accountIds: ['acc_1'] });
    const elsewhere = newId(); // another endpoint of the tenant
    const db = h().ctx.db;
    const event = (min: number, type = 'order.created', extra: { accountId?: string; environment?: 'test' } = {}) =>
      seedEvent(db, { tenantId: tenant, type, at: minutesAgo(min), accountId: extra.accountId ?? 'acc_1', environment: extra.environment, payload: `{"min":${min}}` });
    const delivery = (eventId: string, min: number, status: 'failed' | 'succeeded' | 'pending', endpointId = endpoint.id) =>
      seedDelivery(db, { tenantId: tenant, eventId, endpointId, at: minutesAgo(min), status });

    await event(180); //                                              before the window
    const failed = await event(100);
    const failedDelivery = await delivery(failed, 100, 'failed'); //  failed: cloned
    await delivery(await event(95, 'order.paid'), 95, 'succeeded'); //   received: skipped
    const missed = await event(90); //                                 never sent to E: sent
    await event(85, 'user.signup'); //                                 another type: skipped
    await event(80, 'order.created', { accountId: 'acc_2' }); //       another account: skipped
    const missedHere = await event(75);
    await delivery(missedHere, 75, 'failed', elsewhere); //            failed elsewhere only: sent, not a clone
    const retried = await event(70);
    await delivery(retried, 70, 'failed');
    await delivery(retried, 69, 'succeeded'); //                        failed, then received: skipped
    await event(65, 'order.created', { environment: 'test' }); //      another environment: skipped
    const twice = await event(60);
    await delivery(twice, 60, 'failed');
    const lastFailure = await delivery(twice, 59, 'failed'); //         failed twice: cloned from the newest
    await delivery(await event(55), 55, 'pending'); //                  still on its way: skipped
    await delivery(await event(10), 10, 'failed'); //                   after the window: skipped
    return {
      tenant,
      path,
      endpoint,
      window: { since: new Date(minutesAgo(120)).toISOString(), until: new Date(minutesAgo(30)).toISOString() },
      expected: { failed, failedDelivery, missed, missedHere, twice, lastFailure },
    };
  }

  it('re-sends the window\'s failed deliveries as clones and the events the endpoint never got, and nothing else', async () => {
    const { tenant, path, endpoint, window, expected } = await history();
    const job = await startReplay(tenant, endpoint.id, window);
    const done = await finished(tenant, job.id);
    expect(done).toMatchObject({ status: 'succeeded', total: 9, processed: 9, createdCount: 4, error: null });
    expect(done.params).toEqual({ endpointId: endpoint.id, since: window.since, until: window.until, failedOnly: false });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));

    const requests = await waitFor('4 requests', async () => (routes.requests(path).length >= 4 ? routes.requests(path) : undefined));
    await sleep(200);
    expect(routes.requests(path)).toHaveLength(4);
    expect(requests.map((r) => r.headers['webhook-id']).sort()).toEqual([expected.failed, expected.missed, expected.missedHere, expected.twice].sort());
    const wh = new Webhook(endpoint.secret);
    for (const r of requests) expect(wh.verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'order.created', accountId: 'acc_1', webhookId: endpoint.id });

    const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries?endpointId=${endpoint.id}&since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}` });
    const created = res.json().data as { eventId: string; clonedFrom: string | null; status: string }[];
    expect(created.map((d) => [d.eventId, d.clonedFrom]).sort()).toEqual([
      [expected.failed, expected.failedDelivery],
      [expected.missed, null],
      [expected.missedHere, null],
      [expected.twice, expected.lastFailure],
    ].sort());
    await waitFor('the replayed deliveries to succeed', async () => {
      const page = (await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries?endpointId=${endpoint.id}&status=pending` })).json();
      return page.data.length === 1 ? true : undefined; // only the seeded one due next year
    });

    // Everything missed has now been received: replaying the window again sends nothing.
    const again = await finished(tenant, (await startReplay(tenant, endpoint.id, window)).id);
    expect(again).toMatchObject({ status: 'succeeded', total: 9, processed: 9, createdCount: 0 });
    await sleep(200);
    expect(routes.requests(path)).toHaveLength(4);
  });

  it('failedOnly: only the failed deliveries are sent again', async () => {
    const { tenant, path, endpoint, window, expected } = await history();
    const done = await finished(tenant, (await startReplay(tenant, endpoint.id, { ...window, failedOnly: true })).id);
    expect(done).toMatchObject({ status: 'succeeded', total: 9, processed: 9, createdCount: 2 });
    const requests = await waitFor('2 requests', async () => (routes.requests(path).length >= 2 ? routes.requests(path) : undefined));
    await sleep(200);
    expect(routes.requests(path)).toHaveLength(2);
    expect(requests.map((r) => r.headers['webhook-id']).sort()).toEqual([expected.failed, expected.twice].sort());
  });

  it('backfill: a new endpoint receives the past events it would have matched', async () => {
    const tenant = await h().createTenant();
    const published = [
      await publishOne(h(), tenant, 'order.created', { n: 1 }),
      await publishOne(h(), tenant, 'order.paid', { n: 2 }),
      await publishOne(h(), tenant, 'user.signup', { n: 3 }),
      await publishOne(h(), tenant, 'order.created', { n: 4 }),
    ];
    expect(published.map((p) => p.deliveries)).toEqual([0, 0, 0, 0]);
    const path = `/new/${tenant}`;
    const endpoint = await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ status: 204 })), eventTypes: ['order.created'] });
    const done = await finished(tenant, (await startReplay(tenant, endpoint.id, { since: new Date(minutesAgo(60)).toISOString() })).id);
    expect(done).toMatchObject({ status: 'succeeded', total: 4, processed: 4, createdCount: 2 });
    const requests = await waitFor('2 requests', async () => (routes.requests(path).length >= 2 ? routes.requests(path) : undefined));
    expect(requests.map((r) => r.headers['webhook-id']).sort()).toEqual([published[0]!.id, published[3]!.id].sort());
    expect(requests.map((r) => JSON.parse(r.body).data.n).sort()).toEqual([1, 4]);
  });

  it('runs chunk by chunk through a long window and records its progress', async () => {
    const tenant = await h().createTenant();
    const path = `/long/${tenant}`;
    const endpoint = await createEndpoint(h(), tenant, { url: routes.on(path, () => ({})), eventTypes: ['order.paid'] });
    const from = minutesAgo(50);
    await seedMany(h().ctx.db, { tenantId: tenant, type: 'user.signup', from, count: 1_200, stepMs: 1_000 });
    const wanted = [await seedEvent(h().ctx.db, { tenantId: tenant, type: 'order.paid', at: from + 10 }), await seedEvent(h().ctx.db, { tenantId: tenant, type: 'order.paid', at: minutesAgo(1) })];
    const done = await finished(tenant, (await startReplay(tenant, endpoint.id, { since: new Date(minutesAgo(55)).toISOString() })).id);
    expect(done).toMatchObject({ status: 'succeeded', total: 1_202, processed: 1_202, createdCount: 2 });
    const requests = await waitFor('2 requests', async () => (routes.requests(path).length >= 2 ? routes.requests(path) : undefined));
    expect(requests.map((r) => r.headers['webhook-id']).sort()).toEqual(wanted.sort());
  });

  it('refuses a disabled endpoint (409), a bad window (422), and unknown endpoints and jobs (404)', async () => {
    const tenant = await h().createTenant();
    const endpoint = await createEndpoint(h(), tenant, { url: routes.on(`/off/${tenant}`, () => ({})), eventTypes: ['*'], enabled: false });
    const since = new Date(minutesAgo(60)).toISOString();
    expect(expectProblem(await replay(tenant, endpoint.id, { since }), 409, 'conflict').detail).toMatch(/disabled/);
    const live = await createEndpoint(h(), tenant, { url: routes.on(`/on/${tenant}`, () => ({})), eventTypes: ['*'] });
    expectFieldErrors(await replay(tenant, live.id, { since, until: since }), ['until']);
    expectFieldErrors(await replay(tenant, live.id, { since: new Date().toISOString(), until: since }), ['until']);
    expectFieldErrors(await replay(tenant, live.id, { since: 'yesterday' }), ['since']);
    expectFieldErrors(await replay(tenant, live.id, {}), ['since']);
    expectFieldErrors(await replay(tenant, live.id, { since, failedOnly: 'yes' }), ['failedOnly']);
    expectProblem(await replay(tenant, newId(), { since }), 404, 'not_found');
    expectProblem(await replay(await h().createTenant(), live.id, { since }), 404, 'not_found');
    const job = await startReplay(tenant, live.id, { since });
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${await h().createTenant()}/jobs/${job.id}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/jobs/not-a-job` }), 404, 'not_found');
    await finished(tenant, job.id);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0], pollIntervalMs: 50 } });
