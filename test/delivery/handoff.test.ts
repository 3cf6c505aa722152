// Handoff: deliveries published in this process go straight to its worker when it has room —
// written already leased to it, sent without a claim — and to the queue when it has not, or when
// older deliveries are queued (fresh ones never overtake them). The worker's limits hold for
// both: at most `concurrency` in flight, at most `endpointConcurrency` per endpoint.
import { afterEach, beforeAll, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { DeliveryWorker, type WorkerOptions } from '../../src/delivery/worker.ts';
import { dispatchDeps } from '../../src/services/dispatchDeps.ts';
import { storeFannedOut } from '../../src/services/publish.ts';
import type { Db } from '../../src/store/db.ts';
import { claimDueDeliveries } from '../../src/store/claim.ts';
import { createEndpoint, defineEventType, publish, sleep, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

describeEachHerald('handoff from publish to the worker', (h) => {
  let receiver: Receiver;
  let worker: DeliveryWorker | undefined;
  const claims = { count: 0 };

  /** The test database, counting the worker's claims. */
  function countingDb(): Db {
    const db = h().ctx.db;
    return {
      ...db,
      withSettings(settings) {
        const tuned = db.withSettings(settings);
        return {
          ...tuned,
          query(sql, params, name) {
            if (name === 'claim_in_due_order') claims.count++;
            return tuned.query(sql, params, name);
          },
        };
      },
    };
  }

  /** A worker on the test context that takes what publishes hand over; it polls rarely, so only handoffs and wake-ups move it. */
  function startWorker(options: Partial<WorkerOptions>): DeliveryWorker {
    const ctx = h().ctx;
    worker = new DeliveryWorker(countingDb(), ctx.signal, dispatchDeps(ctx), {
      concurrency: 8, endpointConcurrency: 8, claimBatchSize: 100, leaseMs: 60_000, pollIntervalMs: 60_000, ...options,
    }, ctx.log);
    worker.start();
    ctx.publisher.handOffTo(worker);
    return worker;
  }

  beforeAll(async () => {
    receiver = await createReceiver();
    await defineEventType(h(), 'handoff.test');
  });
  afterEach(async () => {
    h().ctx.publisher.handOffTo(undefined);
    await worker?.stop(100);
    receiver.respond(() => ({}));
    // Each test starts with an empty queue.
    await h().ctx.db.query(`update deliveries set status = 'failed' where status = 'pending'`);
  });

  const batchOf = (from: number, count: number) => ({ events: Array.from({ length: count }, (_, i) => ({ type: 'handoff.test', data: { n: from + i } })) });
  const requestsTo = (path: string) => receiver.requests.filter((r) => r.url === path);
  const numbers = (path: string) => requestsTo(path).map((r) => (JSON.parse(r.body) as { data: { n: number } }).data.n);
  const waitForRequests = (path: string, n: number) => waitFor(`${n} requests to ${path}`, async () => (requestsTo(path).length >= n ? true : undefined));

  it('sends what a worker with room can take without claiming it, signed, leased at insert and recorded', async () => {
    const tenant = await h().createTenant();
    const endpoint = await createEndpoint(h(), tenant, { url: `${receiver.url}/taken`, eventTypes: ['handoff.test'] });
    startWorker({});
    await sleep(50); // the worker's first claim, at start
    const claimsBefore = claims.count;
    receiver.respond(() => ({ hang: true }));

    const res = await publish(h(), tenant, batchOf(0, 5), { batch: true });
    expect(res.statusCode, res.body).toBe(202);
    await waitForRequests('/taken', 5);
    // Leased for leaseMs from the insert, like a claim: another worker cannot take them.
    const leases = await h().ctx.db.query<{ seconds: number }>(
      `select extract(epoch from locked_until - now())::float8 as seconds from deliveries where endpoint_id = $1`, [endpoint.id]);
    expect(leases).toHaveLength(5);
    for (const { seconds } of leases) expect(seconds).toBeGreaterThan(50);
    const other = await claimDueDeliveries(h().ctx.db, { limit: 100, leaseMs: 1_000, endpointCap: 100, inFlight: new Map(), scanLimit: 400 });
    expect(other.claimed.filter((d) => d.endpointId === endpoint.id)).toEqual([]);
    expect(claims.count).toBe(claimsBefore);

    const wh = new Webhook(endpoint.secret);
    for (const r of requestsTo('/taken')) expect(() => wh.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    expect(numbers('/taken').sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('records the handed-over attempts and moves the deliveries on', async () => {
    const tenant = await h().createTenant();
    const endpoint = await createEndpoint(h(), tenant, { url: `${receiver.url}/recorded`, eventTypes: ['handoff.test'] });
    startWorker({});
    await sleep(50);
    const claimsBefore = claims.count;
    expect((await publish(h(), tenant, batchOf(0, 3), { batch: true })).statusCode).toBe(202);
    const rows = await waitFor('the attempts to be recorded', async () => {
      const r = await h().ctx.db.query<{ status: string; attempt_count: number; locked_until: Date | null; attempts: number }>(
        `select status, attempt_count, locked_until, (select count(*)::int from attempts a where a.delivery_id = d.id) as attempts
         from deliveries d where endpoint_id = $1`, [endpoint.id]);
      return r.length === 3 && r.every((d) => d.status === 'succeeded') ? r : undefined;
    });
    expect(rows.map((r) => [r.attempt_count, r.attempts, r.locked_until])).toEqual([[1, 1, null], [1, 1, null], [1, 1, null]]);
    expect(claims.count).toBe(claimsBefore);
  });

  it('queues what does not fit, keeps the limits, and never lets fresh deliveries overtake queued ones', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/queued`, eventTypes: ['handoff.test'] });
    startWorker({ concurrency: 2 });
    await sleep(50);
    let inFlight = 0;
    let most = 0;
    receiver.respond(() => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => inFlight--, 40);
      return { trickle: { chunk: 'ok', everyMs: 40, count: 1 } };
    });
    // Two fit, four are queued; a publish made while they wait is queued behind them.
    expect((await publish(h(), tenant, batchOf(0, 6), { batch: true })).statusCode).toBe(202);
    await waitForRequests('/queued', 3);
    expect((await publish(h(), tenant, batchOf(6, 1), { batch: true })).statusCode).toBe(202);
    await waitForRequests('/queued', 7);
    const order = numbers('/queued');
    expect(order.slice(0, 2).sort()).toEqual([0, 1]);
    expect(order.slice(2, 6).sort()).toEqual([2, 3, 4, 5]);
    expect(order[6]).toBe(6);
    expect(most).toBeLessThanOrEqual(2);
    expect(claims.count).toBeGreaterThan(0);
  });

  it('takes nothing while older deliveries wait in the queue, and fills a freed slot with one it claimed ahead', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/backlog`, eventTypes: ['handoff.test'] });
    const other = await h().createTenant();
    const fresh = await createEndpoint(h(), other, { url: `${receiver.url}/fresh`, eventTypes: ['handoff.test'] });
    // A backlog written while no worker runs; its first request is answered, the rest hang.
    expect((await publish(h(), tenant, batchOf(0, 20), { batch: true })).statusCode).toBe(202);
    receiver.respond((r) => (r.url === '/backlog' && requestsTo('/backlog').length > 1 ? { hang: true } : {}));
    // Room within the endpoint's cap for deliveries claimed ahead of a free slot.
    startWorker({ concurrency: 8, endpointConcurrency: 16 });
    // The slot the first request frees is filled at once by a delivery claimed ahead of it.
    await waitForRequests('/backlog', 9);
    expect(worker!.activeCount).toBe(8);
    expect(numbers('/backlog').sort((a, b) => a - b)).toEqual(Array.from({ length: 9 }, (_, i) => i));
    // The fresh delivery queues behind the backlog.
    expect((await publish(h(), other, batchOf(100, 1), { batch: true })).statusCode).toBe(202);
    await sleep(300);
    expect(requestsTo('/fresh')).toEqual([]);
    const [queued] = await h().ctx.db.query<{ locked_until: Date | null }>('select locked_until from deliveries where endpoint_id = $1', [fresh.id]);
    expect(queued!.locked_until).toBeNull();
  });

  it('takes no more per endpoint than its cap', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/capped`, eventTypes: ['handoff.test'] });
    const w = startWorker({ endpointConcurrency: 1 });
    await sleep(50);
    receiver.respond(() => ({ hang: true }));
    expect((await publish(h(), tenant, batchOf(0, 3), { batch: true })).statusCode).toBe(202);
    await waitForRequests('/capped', 1);
    await sleep(200);
    expect(requestsTo('/capped')).toHaveLength(1);
    expect(w.activeCount).toBe(1);
  });

  it('gives the room back when the write fails, and stores nothing', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/failed`, eventTypes: ['handoff.test'] });
    const w = startWorker({ concurrency: 1 });
    await sleep(50);
    const failing: Db = {
      ...h().ctx.db,
      query(sql, params, name) {
        if (name === 'insert_events_with_deliveries') return Promise.reject(new Error('the database went away'));
        return h().ctx.db.query(sql, params, name);
      },
    };
    const request = { tenantId: tenant, inputs: [{ type: 'handoff.test', data: {}, payload: '{}' }], keyEnvironment: undefined };
    await expect(storeFannedOut(failing, [request], w)).rejects.toThrow('the database went away');
    // Its one slot is free again: the next publish is taken.
    const stored = await storeFannedOut(h().ctx.db, [request], w);
    expect(stored.queued).toBe(0);
    await waitForRequests('/failed', 1);
    expect((await h().ctx.db.query('select id from events where tenant_id = $1', [tenant])).length).toBe(1);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], deliveryTimeoutMs: 10_000 } });
