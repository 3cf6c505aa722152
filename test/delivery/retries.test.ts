// Retries (acceptance list, item 6), end to end with a real receiver: failures then success, an
// endpoint that always fails, 410 Gone, and Retry-After — on a short schedule (0, 100, 100, 100 ms).
import { Webhook } from 'standardwebhooks';
import {  expect, it } from 'vitest';
import { createEndpoint, deliveriesOfEvent, deliveryRig, publishOne, settledDelivery, sleep } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

const schedule = [0, 100, 100, 100];

describeEachHerald('retries', (h) => {
  const rig = deliveryRig(h, ['order.created']);

  it('fails twice, then succeeds: delivered with 3 attempts, the same webhook-id and a valid signature each time', async () => {
    const tenant = await h().createTenant();
    const path = `/flaky/${tenant}`;
    const url = rig.routes.on(path, (_, n) => (n < 2 ? { status: 500, body: 'boom' } : { status: 200 }));
    const ep = await createEndpoint(h(), tenant, { url, eventTypes: ['order.created'] });
    const event = await publishOne(h(), tenant, 'order.created', { n: 1 });

    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 3, endpointId: ep.id, eventType: 'order.created' });
    expect(delivery.attempts.map((a) => [a.attemptNumber, a.outcome, a.statusCode])).toEqual([
      [1, 'http_5xx', 500],
      [2, 'http_5xx', 500],
      [3, 'success', 200],
    ]);
    expect(delivery.attempts[0]!.responseBody).toBe('boom');
    const requests = rig.routes.requests(path);
    expect(requests).toHaveLength(3);
    const wh = new Webhook(ep.secret);
    for (const r of requests) {
      expect(r.headers['webhook-id']).toBe(event.id);
      expect(wh.verify(r.body, r.headers as Record<string, string>)).toMatchObject({ id: event.id, data: { n: 1 } });
    }
    // The schedule's 100 ms (±20 % jitter) separate the attempts' starts.
    const starts = delivery.attempts.map((a) => new Date(a.createdAt).getTime());
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(79);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(79);
  });

  it('always failing: failed after the last attempt of the schedule, and no more requests', async () => {
    const tenant = await h().createTenant();
    const path = `/down/${tenant}`;
    const url = rig.routes.on(path, () => ({ status: 503 }));
    await createEndpoint(h(), tenant, { url, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');

    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: schedule.length, nextAttemptAt: null, lastOutcome: 'http_5xx' });
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(schedule.map(() => 'http_5xx'));
    await sleep(400);
    expect(rig.routes.requests(path)).toHaveLength(schedule.length);
  });

  it('410 Gone disables the endpoint and fails the delivery at once, with no more attempts', async () => {
    const tenant = await h().createTenant();
    const path = `/gone/${tenant}`;
    const url = rig.routes.on(path, () => ({ status: 410, body: 'gone for good' }));
    const ep = await createEndpoint(h(), tenant, { url, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');

    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null, lastOutcome: 'http_4xx' });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 410, responseBody: 'gone for good' });
    const endpoint = (await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${ep.id}` })).json();
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabledReason).toMatch(/410/);
    await sleep(300);
    expect(rig.routes.requests(path)).toHaveLength(1);
    // A disabled endpoint gets no deliveries for new events.
    expect((await publishOne(h(), tenant, 'order.created')).deliveries).toBe(0);
  });

  it('honours Retry-After (seconds) over the shorter schedule', async () => {
    const tenant = await h().createTenant();
    const path = `/busy/${tenant}`;
    const url = rig.routes.on(path, (_, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await createEndpoint(h(), tenant, { url, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');

    const next = await nextAttemptAfterFirst(event.id, tenant);
    const delivery = await settledDelivery(h(), tenant, event.id, 5_000);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([429, 200]);
    expect(delivery.attempts[0]!.responseHeaders!['retry-after']).toBe('1');
    // Scheduled a second after the first attempt (not the schedule's 100 ms), and sent then.
    expect(new Date(next).getTime() - new Date(delivery.attempts[0]!.createdAt).getTime()).toBeGreaterThanOrEqual(1_000);
    const [first, second] = delivery.attempts.map((a) => new Date(a.createdAt).getTime());
    expect(second! - first!).toBeGreaterThanOrEqual(1_000);
    expect(rig.routes.requests(path)).toHaveLength(2);
  });

  it('clamps a Retry-After beyond maxRetryAfterMs (an HTTP date a day away) to that maximum', async () => {
    const tenant = await h().createTenant();
    const path = `/later/${tenant}`;
    const tomorrow = new Date(Date.now() + 86_400_000).toUTCString();
    const url = rig.routes.on(path, (_, n) => (n === 0 ? { status: 503, headers: { 'retry-after': tomorrow } } : { status: 204 }));
    await createEndpoint(h(), tenant, { url, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');
    const delivery = await settledDelivery(h(), tenant, event.id, 5_000);
    expect(delivery.status).toBe('succeeded');
    // Retried after maxRetryAfterMs (1.5 s), not a day later.
    const [first, second] = delivery.attempts.map((a) => new Date(a.createdAt).getTime());
    expect(second! - first!).toBeGreaterThanOrEqual(1_500);
    expect(second! - first!).toBeLessThan(3_000);
    expect(rig.routes.requests(path)).toHaveLength(2);
  });

  /** Waits until the first attempt is recorded and returns the delivery's next attempt time. */
  async function nextAttemptAfterFirst(eventId: string, tenant: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const [d] = await deliveriesOfEvent(h(), tenant, eventId);
      if (d && d.attemptCount === 1) {
        const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries/${d.id}` });
        return res.json().nextAttemptAt as string;
      }
      await sleep(10);
    }
    throw new Error('the first attempt was not recorded');
  }
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: schedule, maxRetryAfterMs: 1_500 } });
