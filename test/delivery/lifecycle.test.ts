// Lifecycle (acceptance list, item 9): a worker stopping while deliveries hang returns at about
// its deadline and gives every delivery back (due at once, no lease left); a real `herald start`
// process exits 0 promptly on SIGTERM, releasing what it held; and pinging an endpoint answers
// its outcome and is logged as a delivery with one attempt.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorker } from '../../src/herald.ts';
import type { Db } from '../../src/store/db.ts';
import { openPglite } from '../../src/store/pgliteDb.ts';
import { createEndpoint, defineEventType, getDelivery, publish, routeByPath, sleep, waitFor } from '../support/delivery.ts';
import { freshDb } from '../support/databases.ts';
import { adminToken, describeEachHerald } from '../support/herald.ts';
import { killAll, startHeraldProcess } from '../support/process.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

/** Deliveries of a tenant still held by someone: pending but not due yet, or carrying a lease. */
async function heldDeliveries(db: Db, tenantId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from deliveries
     where tenant_id = $1 and status = 'pending' and (next_attempt_at > now() or locked_until is not null)`,
    [tenantId],
  );
  return row!.n;
}

/** Waits until `n` deliveries of the tenant have succeeded. */
async function waitForSucceeded(db: Db, tenantId: string, n: number, timeoutMs: number): Promise<void> {
  await waitFor(`${n} deliveries to succeed`, async () => {
    const [row] = await db.query<{ n: number }>(`select count(*)::int as n from deliveries where tenant_id = $1 and status = 'succeeded'`, [tenantId]);
    return row!.n === n ? true : undefined;
  }, timeoutMs);
}

describeEachHerald('lifecycle', (h, driver) => {
  let receiver: Receiver;
  let routes: ReturnType<typeof routeByPath>;
  const dirs: string[] = [];
  beforeAll(async () => {
    receiver = await createReceiver();
    routes = routeByPath(receiver);
    await defineEventType(h(), 'order.created');
  });
  afterAll(async () => {
    await killAll();
    await receiver.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('worker.stop(deadline) returns at about the deadline while deliveries hang, and releases them for the next worker', async () => {
    const tenant = await h().createTenant();
    const path = `/stuck/${tenant}`;
    let hang = true;
    await createEndpoint(h(), tenant, { url: routes.on(path, () => (hang ? { hang: true } : { status: 200 })), eventTypes: ['*'] });
    const worker = startWorker(h().ctx, { pollIntervalMs: 20 });
    const events = Array.from({ length: 5 }, (_, i) => ({ type: 'order.created', data: { i } }));
    expect((await publish(h(), tenant, { events }, { batch: true })).statusCode).toBe(202);
    await waitFor('5 hanging requests', async () => (routes.requests(path).length >= 5 ? true : undefined));
    expect(worker.activeCount).toBe(5);

    const started = performance.now();
    await worker.stop(300);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1_500);
    expect(worker.activeCount).toBe(0);

    // Nothing is held: every delivery is pending, due now, without a lease, and was not counted
    // as an attempt (it was cut short by us, not by the receiver).
    expect(await heldDeliveries(h().ctx.db, tenant)).toBe(0);
    const rows = await h().ctx.db.query<{ status: string; attempt_count: number }>('select status, attempt_count from deliveries where tenant_id = $1', [tenant]);
    expect(rows).toEqual(events.map(() => ({ status: 'pending', attempt_count: 0 })));

    // So the next worker sends them at once, not after the 60 s lease.
    hang = false;
    const next = startWorker(h().ctx, { pollIntervalMs: 20 });
    try {
      await waitForSucceeded(h().ctx.db, tenant, 5, 5_000);
    } finally {
      await next.stop(1_000);
    }
    expect(routes.requests(path)).toHaveLength(10);
  });

  it('worker.stop() also gives back the deliveries claimed ahead of a free slot', async () => {
    const tenant = await h().createTenant();
    const path = `/ahead/${tenant}`;
    await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ hang: true })), eventTypes: ['*'] });
    const events = Array.from({ length: 8 }, (_, i) => ({ type: 'order.created', data: { i } }));
    expect((await publish(h(), tenant, { events }, { batch: true })).statusCode).toBe(202);
    // Four slots, and two more claimed ahead (half of what a claim may take, four).
    const worker = startWorker(h().ctx, { concurrency: 4, pollIntervalMs: 20 });
    await waitFor('four sent and two more claimed', async () =>
      (routes.requests(path).length === 4 && (await heldDeliveries(h().ctx.db, tenant)) === 6 ? true : undefined));
    await worker.stop(100);
    expect(await heldDeliveries(h().ctx.db, tenant)).toBe(0);
    // Out of the way of the next tests' workers.
    await h().ctx.db.query(`update deliveries set status = 'failed' where tenant_id = $1`, [tenant]);
  });

  it('a delivery claimed ahead that waited half its lease for a slot is given back and claimed again, not sent on a lease about to run out', async () => {
    const tenant = await h().createTenant();
    const path = `/slow/${tenant}`;
    // Every answer takes some 750 ms, three quarters of the lease.
    await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ trickle: { chunk: 'x', everyMs: 250, count: 3 } })), eventTypes: ['*'] });
    const events = Array.from({ length: 2 }, (_, i) => ({ type: 'order.created', data: { i } }));
    expect((await publish(h(), tenant, { events }, { batch: true })).statusCode).toBe(202);
    const worker = startWorker(h().ctx, { concurrency: 1, claimBatchSize: 2, leaseMs: 1_000, pollIntervalMs: 20 });
    try {
      await waitForSucceeded(h().ctx.db, tenant, 2, 10_000);
    } finally {
      await worker.stop(1_000);
    }
    // Sent on the lease it waited out, the second would have been claimed again during its attempt and sent twice.
    const ids = routes.requests(path).map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('worker.stop() with nothing in flight returns at once', async () => {
    const worker = startWorker(h().ctx, { pollIntervalMs: 1_000 });
    await sleep(50);
    const started = performance.now();
    await worker.stop(5_000);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('ping: a healthy receiver answers success with its status; the ping is a delivery with one attempt', async () => {
    const tenant = await h().createTenant();
    const path = `/ping-ok/${tenant}`;
    const ep = await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ status: 200, body: 'pong' })), eventTypes: ['order.created'] });
    const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${ep.id}/ping` });
    expect(res.statusCode, res.body).toBe(200);
    const ping = res.json();
    expect(ping).toMatchObject({ success: true, attempt: { outcome: 'success', statusCode: 200, responseBody: 'pong', attemptNumber: 1 } });

    const [request] = routes.requests(path);
    expect(new Webhook(ep.secret).verify(request!.body, request!.headers as Record<string, string>)).toMatchObject({
      id: ping.eventId,
      type: 'webhook.ping',
      webhookId: ep.id,
    });
    const delivery = await getDelivery(h(), tenant, ping.deliveryId);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1, eventType: 'webhook.ping', endpointId: ep.id });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]!.id).toBe(ping.attempt.id);
  });

  it('ping: a failing receiver answers the failure outcome; the ping is not retried', async () => {
    const tenant = await h().createTenant();
    const path = `/ping-500/${tenant}`;
    const ep = await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ status: 500, body: 'broken' })), eventTypes: ['*'] });
    const worker = startWorker(h().ctx, { pollIntervalMs: 20 });
    try {
      const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${ep.id}/ping` });
      expect(res.statusCode, res.body).toBe(200);
      const ping = res.json();
      expect(ping).toMatchObject({ success: false, attempt: { outcome: 'http_5xx', statusCode: 500, responseBody: 'broken', error: expect.stringMatching(/500/) } });
      const delivery = await getDelivery(h(), tenant, ping.deliveryId);
      expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null });
      await sleep(300);
      expect(routes.requests(path)).toHaveLength(1);
      // A failed ping says nothing about the endpoint's health: it stays enabled.
      const endpoint = (await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${ep.id}` })).json();
      expect(endpoint.enabled).toBe(true);
    } finally {
      await worker.stop(1_000);
    }
  });

  it('ping: a disabled endpoint can be pinged (to check it before enabling it again)', async () => {
    const tenant = await h().createTenant();
    const path = `/ping-disabled/${tenant}`;
    const ep = await createEndpoint(h(), tenant, { url: routes.on(path, () => ({ status: 204 })), eventTypes: ['*'], enabled: false });
    const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${ep.id}/ping` });
    expect(res.json()).toMatchObject({ success: true, attempt: { statusCode: 204 } });
    expect(routes.requests(path)).toHaveLength(1);
  });

  it('a `herald start` process exits 0 promptly on SIGTERM, giving back the delivery it was sending', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-lifecycle-'));
    dirs.push(dataDir);
    const db = driver === 'postgres' ? await freshDb('postgres') : undefined;
    try {
      const herald = startHeraldProcess({
        HERALD_PORT: '0',
        HERALD_DATA_DIR: dataDir,
        HERALD_ADMIN_TOKEN: adminToken,
        HERALD_ALLOW_HTTP: 'true',
        HERALD_ALLOWED_CIDRS: '127.0.0.0/8',
        HERALD_SHUTDOWN_TIMEOUT: '500ms',
        HERALD_POLL_INTERVAL: '50ms',
        HERALD_LOG_LEVEL: 'info',
        ...(db ? { HERALD_DATABASE_URL: db.url! } : {}),
      });
      const api = await herald.listening(60_000);
      const call = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(`${api}${url}`, {
          method,
          headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect((await call('PUT', '/v1/event-types/order.created', {})).status).toBe(201);
      const tenant = (await call('POST', '/v1/tenants', { id: 'sigterm', name: 'sigterm' })).body.id as string;
      const hangPath = `/sigterm-${driver}`;
      const created = await call('POST', `/v1/tenants/${tenant}/endpoints`, { url: routes.on(hangPath, () => ({ hang: true })), eventTypes: ['*'] });
      expect(created.status).toBe(201);
      expect((await call('POST', `/v1/tenants/${tenant}/events`, { type: 'order.created', data: {} })).status).toBe(202);
      await waitFor('the process to be mid-delivery', async () => (routes.requests(hangPath).length === 1 ? true : undefined), 10_000);

      const started = performance.now();
      herald.child.kill('SIGTERM');
      expect(await herald.exited(10_000), herald.output()).toBe(0);
      const took = performance.now() - started;
      expect(took).toBeLessThan(5_000);

      // The delivery it held is due again at once, for whoever runs next.
      const check = db?.db ?? (await openPglite(path.join(dataDir, 'pglite')));
      try {
        expect(await heldDeliveries(check, tenant)).toBe(0);
        const rows = await check.query<{ status: string; attempt_count: number }>('select status, attempt_count from deliveries where tenant_id = $1', [tenant]);
        expect(rows).toEqual([{ status: 'pending', attempt_count: 0 }]);
      } finally {
        if (!db) await check.close();
      }
    } finally {
      await killAll();
      await db?.drop();
    }
  }, 90_000);
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], deliveryTimeoutMs: 10_000 } });
