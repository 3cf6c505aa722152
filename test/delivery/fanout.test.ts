// Fan-out (acceptance list, item 2): an event gets one delivery per enabled endpoint of its tenant
// and environment whose subscription covers its type and whose account filter (if any) holds its
// account — and none for any other endpoint.
import { beforeAll, expect, it } from 'vitest';
import { createEndpoint, defineEventType, deliveriesOfEvent, publish } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('fan-out', (h) => {
  let tenant: string;
  let other: string;
  const ep: Record<string, string> = {};
  beforeAll(async () => {
    for (const type of ['payment.sent', 'payment.refund.issued', 'order.created']) await defineEventType(h(), type);
    tenant = await h().createTenant();
    other = await h().createTenant();
    // Nothing sends in this file (no worker): the URLs only have to be valid.
    const make = async (name: string, body: Record<string, unknown>, tenantId = tenant) => {
      ep[name] = (await createEndpoint(h(), tenantId, { url: `http://127.0.0.1:9/${name}`, ...body })).id;
    };
    await make('prefix', { eventTypes: ['payment'] });
    await make('exact', { eventTypes: ['payment.sent'] });
    await make('wildcardPrefix', { eventTypes: ['payment.*'] });
    await make('all', { eventTypes: ['*'] });
    await make('account1', { eventTypes: ['*'], accountIds: ['acc_1', 'acc_9'] });
    await make('account2', { eventTypes: ['payment'], accountIds: ['acc_2'] });
    await make('orders', { eventTypes: ['order.created', 'payment.refund'] });
    await make('disabled', { eventTypes: ['*'], enabled: false });
    await make('testEnv', { eventTypes: ['*'], environment: 'test' });
    await make('otherTenant', { eventTypes: ['*'] }, other);
  });

  async function targetsOf(eventId: string, tenantId = tenant): Promise<string[]> {
    const names = Object.fromEntries(Object.entries(ep).map(([name, id]) => [id, name]));
    return (await deliveriesOfEvent(h(), tenantId, eventId)).map((d) => names[d.endpointId]!).sort();
  }

  it('delivers to every matching endpoint once, and answers the count', async () => {
    const res = await publish(h(), tenant, { type: 'payment.sent', data: {}, accountId: 'acc_1' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().deliveries).toBe(5);
    expect(await targetsOf(res.json().id)).toEqual(['account1', 'all', 'exact', 'prefix', 'wildcardPrefix']);
  });

  it('an event without an account skips the endpoints that filter on accounts', async () => {
    const res = await publish(h(), tenant, { type: 'payment.sent', data: {} });
    expect(res.json().deliveries).toBe(4);
    expect(await targetsOf(res.json().id)).toEqual(['all', 'exact', 'prefix', 'wildcardPrefix']);
  });

  it('an event of another account reaches only the endpoints filtering on that account, plus the unfiltered ones', async () => {
    const res = await publish(h(), tenant, { type: 'payment.refund.issued', data: {}, accountId: 'acc_2' });
    expect(res.json().deliveries).toBe(5);
    expect(await targetsOf(res.json().id)).toEqual(['account2', 'all', 'orders', 'prefix', 'wildcardPrefix']);
  });

  it('a test event reaches only test endpoints; another tenant\'s event only that tenant\'s endpoints', async () => {
    const test = await publish(h(), tenant, { type: 'order.created', data: {}, environment: 'test' });
    expect(test.json()).toMatchObject({ environment: 'test', deliveries: 1 });
    expect(await targetsOf(test.json().id)).toEqual(['testEnv']);

    const elsewhere = await publish(h(), other, { type: 'order.created', data: {} });
    expect(elsewhere.json().deliveries).toBe(1);
    expect(await targetsOf(elsewhere.json().id, other)).toEqual(['otherTenant']);
  });

  it('a batch fans each event out on its own, and a type nobody subscribes to makes no delivery', async () => {
    await defineEventType(h(), 'nobody.cares');
    const res = await publish(h(), tenant, {
      events: [
        { type: 'order.created', data: {} },
        { type: 'nobody.cares', data: {}, environment: 'test' },
        { type: 'payment.sent', data: {}, accountId: 'acc_9' },
      ],
    }, { batch: true });
    expect(res.statusCode, res.body).toBe(202);
    const published = res.json().data as { id: string; deliveries: number }[];
    expect(published.map((e) => e.deliveries)).toEqual([2, 1, 5]);
    expect(await targetsOf(published[0]!.id)).toEqual(['all', 'orders']);
    expect(await targetsOf(published[1]!.id)).toEqual(['testEnv']);

    const none = await publish(h(), other, { type: 'nobody.cares', data: {}, environment: 'test' });
    expect(none.json().deliveries).toBe(0);
    expect(await targetsOf(none.json().id, other)).toEqual([]);
  });

  it('an endpoint disabled or re-enabled changes fan-out from the next event on', async () => {
    const patch = (enabled: boolean) => h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}/endpoints/${ep.exact}`, payload: { enabled } });
    expect((await patch(false)).statusCode).toBe(200);
    const off = await publish(h(), tenant, { type: 'payment.sent', data: {} });
    expect(await targetsOf(off.json().id)).toEqual(['all', 'prefix', 'wildcardPrefix']);
    expect((await patch(true)).statusCode).toBe(200);
    const on = await publish(h(), tenant, { type: 'payment.sent', data: {} });
    expect(await targetsOf(on.json().id)).toEqual(['all', 'exact', 'prefix', 'wildcardPrefix']);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'] } });
