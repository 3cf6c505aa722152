// Sending a delivery again by hand, end to end with a worker and a receiver: retry (another attempt
// of the same delivery) and redeliver (a new delivery cloned from it), both with Idempotency-Key,
// and a retry refused while the delivery is being sent.
import {  expect, it } from 'vitest';
import { expectProblem } from '../support/api.ts';
import { createEndpoint, deliveriesOfEvent, deliveryRig, getDelivery, publishOne, settledDelivery, sleep, type DeliveryView, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('retry and redeliver', (h) => {
  const rig = deliveryRig(h, ['parcel.shipped']);

  /** A tenant whose one endpoint answers as `status()` says, and one delivery of it that failed. */
  async function failedDelivery(status: { code: number }) {
    const tenant = await h().createTenant();
    const path = `/r/${tenant}`;
    const url = rig.routes.on(path, () => ({ status: status.code }));
    const endpoint = await createEndpoint(h(), tenant, { url, eventTypes: ['parcel'] });
    const event = await publishOne(h(), tenant, 'parcel.shipped', { parcel: 1 });
    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1 });
    return { tenant, path, endpoint, eventId: event.id, delivery };
  }

  const post = (tenant: string, deliveryId: string, action: 'retry' | 'redeliver', key?: string) =>
    h().request({ method: 'POST', url: `/v1/tenants/${tenant}/deliveries/${deliveryId}/${action}`, ...(key ? { headers: { 'idempotency-key': key } } : {}) });

  const settled = (tenant: string, id: string, attempts: number) =>
    waitFor(`delivery ${id} to settle after ${attempts} attempts`, async () => {
      const d = await getDelivery(h(), tenant, id);
      return d.status !== 'pending' && d.attemptCount === attempts ? d : undefined;
    });

  it('retry: 202, and the next attempt counts on the same delivery', async () => {
    const status = { code: 500 };
    const { tenant, path, eventId, delivery } = await failedDelivery(status);
    status.code = 200;
    const res = await post(tenant, delivery.id, 'retry');
    expect(res.statusCode, res.body).toBe(202);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.json()).toMatchObject({ id: delivery.id, status: 'pending', attemptCount: 1, eventId });

    const after = await settled(tenant, delivery.id, 2);
    expect(after.status).toBe('succeeded');
    expect(after.attempts.map((a) => [a.attemptNumber, a.outcome, a.statusCode])).toEqual([[1, 'http_5xx', 500], [2, 'success', 200]]);
    expect(rig.routes.requests(path).map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
    expect(await deliveriesOfEvent(h(), tenant, eventId)).toHaveLength(1);

    // A delivered one can be sent once more too.
    expect((await post(tenant, delivery.id, 'retry')).statusCode).toBe(202);
    expect((await settled(tenant, delivery.id, 3)).attempts).toHaveLength(3);
  });

  it('retry with an Idempotency-Key: the same key answers the first answer again and retries no more', async () => {
    const { tenant, path, delivery } = await failedDelivery({ code: 500 });
    const first = await post(tenant, delivery.id, 'retry', 'retry-key-1');
    expect(first.statusCode, first.body).toBe(202);
    await settled(tenant, delivery.id, 2);

    const again = await post(tenant, delivery.id, 'retry', 'retry-key-1');
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    await sleep(300);
    expect((await getDelivery(h(), tenant, delivery.id)).attemptCount).toBe(2);
    expect(rig.routes.requests(path)).toHaveLength(2);

    const other = await failedDelivery({ code: 500 });
    const reused = await post(other.tenant, other.delivery.id, 'retry', 'retry-key-1');
    expect(reused.statusCode, reused.body).toBe(202); // keys are per tenant
    const mismatch = await post(tenant, (await anotherDelivery(tenant, path)).id, 'retry', 'retry-key-1');
    expect(expectProblem(mismatch, 422, 'idempotency_mismatch').detail).toMatch(/retry-key-1.*different request/);
    expectProblem(await post(tenant, delivery.id, 'retry', 'bad key with spaces'), 400, 'malformed_request');
  });

  /** A second failed delivery on the tenant's endpoint. */
  async function anotherDelivery(tenant: string, path: string): Promise<DeliveryView> {
    const before = rig.routes.requests(path).length;
    const event = await publishOne(h(), tenant, 'parcel.shipped', { parcel: 2 });
    await waitFor('the second delivery', async () => (rig.routes.requests(path).length > before ? true : undefined));
    return settledDelivery(h(), tenant, event.id);
  }

  it('redeliver: 202 with a new delivery cloned from the original, which is then delivered', async () => {
    const status = { code: 500 };
    const { tenant, path, eventId, endpoint, delivery } = await failedDelivery(status);
    status.code = 204;
    const res = await post(tenant, delivery.id, 'redeliver');
    expect(res.statusCode, res.body).toBe(202);
    const clone = res.json() as DeliveryView & { clonedFrom: string };
    expect(clone).toMatchObject({ eventId, endpointId: endpoint.id, clonedFrom: delivery.id, status: 'pending', attemptCount: 0, eventType: 'parcel.shipped' });
    expect(clone.id).not.toBe(delivery.id);

    const sent = await settled(tenant, clone.id, 1);
    expect(sent).toMatchObject({ status: 'succeeded', clonedFrom: delivery.id });
    expect(sent.attempts.map((a) => a.statusCode)).toEqual([204]);
    expect(await getDelivery(h(), tenant, delivery.id)).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(rig.routes.requests(path).map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
    const search = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries?eventId=${eventId}` });
    expect(search.json().data.map((d: { id: string; clonedFrom: string | null }) => [d.id, d.clonedFrom])).toEqual([[clone.id, delivery.id], [delivery.id, null]]);
  });

  it('redeliver with an Idempotency-Key: one clone however often it is sent; another delivery with the key is 422', async () => {
    const { tenant, path, eventId, delivery } = await failedDelivery({ code: 500 });
    const first = await post(tenant, delivery.id, 'redeliver', 'clone-1');
    expect(first.statusCode, first.body).toBe(202);
    const again = await post(tenant, delivery.id, 'redeliver', 'clone-1');
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    await settled(tenant, first.json().id, 1);
    expect(await deliveriesOfEvent(h(), tenant, eventId)).toHaveLength(2);

    const second = await anotherDelivery(tenant, path);
    expectProblem(await post(tenant, second.id, 'redeliver', 'clone-1'), 422, 'idempotency_mismatch');
    // Retry and redeliver keep their keys apart: the key is free for a retry.
    expect((await post(tenant, delivery.id, 'retry', 'clone-1')).statusCode).toBe(202);
    expect(await deliveriesOfEvent(h(), tenant, eventId)).toHaveLength(2);
  });

  it('retry while the delivery is being sent: 409, and the key stays usable once the attempt ends', async () => {
    const tenant = await h().createTenant();
    const path = `/slow/${tenant}`;
    let hang = true;
    const url = rig.routes.on(path, () => (hang ? { hang: true } : { status: 200 }));
    await createEndpoint(h(), tenant, { url, eventTypes: ['parcel'] });
    const event = await publishOne(h(), tenant, 'parcel.shipped');
    await waitFor('the request to arrive', async () => (rig.routes.requests(path).length === 1 ? true : undefined));
    const [delivery] = await deliveriesOfEvent(h(), tenant, event.id);

    const busy = await post(tenant, delivery!.id, 'retry');
    expect(expectProblem(busy, 409, 'conflict').detail).toMatch(/being sent right now/);
    expectProblem(await post(tenant, delivery!.id, 'retry', 'while-busy'), 409, 'conflict');

    hang = false;
    const failed = await settledDelivery(h(), tenant, event.id, 5_000); // the attempt times out
    expect(failed).toMatchObject({ status: 'failed', attemptCount: 1, lastOutcome: 'timeout' });
    const retried = await post(tenant, delivery!.id, 'retry', 'while-busy');
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await settled(tenant, delivery!.id, 2)).status).toBe('succeeded');
  });

  it('404 for a delivery that is not there, 403 for a key without webhooks:write', async () => {
    const { tenant, delivery } = await failedDelivery({ code: 500 });
    expectProblem(await post(tenant, '0190a4c2-0000-7000-8000-000000000000', 'retry'), 404, 'not_found');
    expectProblem(await post(tenant, 'nope', 'redeliver'), 404, 'not_found');
    expectProblem(await post(await h().createTenant(), delivery.id, 'retry'), 404, 'not_found');
    const reader = await h().createKey(tenant, { permissions: ['webhooks:read'] });
    for (const action of ['retry', 'redeliver']) {
      const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/deliveries/${delivery.id}/${action}`, as: reader });
      expectProblem(res, 403, 'forbidden');
    }
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0], deliveryTimeoutMs: 1_000 } });
