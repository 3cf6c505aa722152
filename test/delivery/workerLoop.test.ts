import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { describeEachHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

/** How late a 10 ms timer fires: a blocked event loop makes it late. */
async function timerLagMs(): Promise<number> {
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10));
  return performance.now() - start - 10;
}

describeEachHerald('worker loop', (h) => {
  let receiver: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await createReceiver();
    receiver.respond(() => ({ hang: true }));
    worker = startWorker(h().ctx, { concurrency: 2, pollIntervalMs: 50 });
    await h().request({ method: 'PUT', url: '/v1/event-types/loop.test', payload: {} });
  });
  afterAll(async () => {
    await worker.stop(100);
    await receiver.close();
  });

  it('keeps yielding to the event loop while every slot is busy and wake-ups keep coming', async () => {
    const tenant = await h().createTenant();
    await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: `${receiver.url}/x`, eventTypes: ['loop.test'] } });
    for (let i = 0; i < 5; i++) {
      const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/events`, payload: { type: 'loop.test', data: { i } } });
      expect(res.statusCode).toBe(202);
    }
    await receiver.waitForRequests(2, 5000);
    expect(worker.activeCount).toBe(2); // full: both slots hang
    // More publishes wake the full worker; the event loop must stay responsive.
    for (let i = 0; i < 3; i++) {
      await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/events`, payload: { type: 'loop.test', data: { i } } });
      expect(await timerLagMs()).toBeLessThan(200);
    }
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], deliveryTimeoutMs: 30_000 } });
