// Reading the log: one delivery with every attempt (request and response as recorded), the list of
// events (type and time filters, paging) and one event with its deliveries — data byte for byte.
import {  expect, it } from 'vitest';
import { expectProblem, walkPages } from '../support/api.ts';
import { createEndpoint, deliveriesOfEvent, deliveryRig, publish, settledDelivery } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { type Behaviour } from '../support/receiver.ts';
import { hoursAgo, seedEvent } from '../support/seed.ts';

// Duplicate keys, a big integer and a number beyond double range: any re-serialising would change them.
const rawData = '{"b":1,"a":2,"a":3,"big":12345678901234567890123,"huge":1e400,"s":"\\u00e9\\n"}';

describeEachHerald('delivery and event log', (h) => {
  const rig = deliveryRig(h, ['invoice.paid', 'invoice.voided']);

  it('GET a delivery: every attempt with the request sent and the response received', async () => {
    const tenant = await h().createTenant();
    const path = `/log/${tenant}`;
    const url = rig.routes.on(path, (_, n): Behaviour =>
      n === 0 ? { status: 500, body: 'nope', headers: { 'x-reason': 'busy' } } : { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } },
    );
    const ep = await createEndpoint(h(), tenant, { url, eventTypes: ['invoice'], headers: { 'x-custom': 'hello' } });
    const res = await publish(h(), tenant, `{"type":"invoice.paid","data":${rawData}}`);
    expect(res.statusCode, res.body).toBe(202);
    const eventId = res.json().id as string;

    const delivery = await settledDelivery(h(), tenant, eventId);
    expect(delivery).toMatchObject({ eventId, endpointId: ep.id, eventType: 'invoice.paid', status: 'succeeded', attemptCount: 2 });
    const received = rig.routes.requests(path);
    expect(received).toHaveLength(2);
    expect(delivery.attempts).toHaveLength(2);
    for (const [i, attempt] of delivery.attempts.entries()) {
      const request = received[i]!;
      expect(attempt.attemptNumber).toBe(i + 1);
      expect(attempt.url).toBe(url);
      // The request headers as sent: the same values the rig.receiver got.
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent', 'x-custom']) {
        expect(attempt.requestHeaders[name], name).toBe(request.headers[name]);
      }
      expect(attempt.requestHeaders['webhook-id']).toBe(eventId);
      expect(request.body).toContain(`"data":${rawData}`);
      expect(request.body).toContain(`"attemptId":"${attempt.id}"`);
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(attempt.createdAt)).toBeGreaterThan(0);
    }
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'http_5xx', statusCode: 500, responseBody: 'nope', responseTruncated: false });
    expect(delivery.attempts[0]!.responseHeaders).toMatchObject({ 'x-reason': 'busy' });
    expect(delivery.attempts[1]).toMatchObject({ outcome: 'success', statusCode: 200, responseBody: '{"ok":true}', error: null });
    expect(delivery.attempts[1]!.responseHeaders).toMatchObject({ 'content-type': 'application/json' });
  });

  it('GET a delivery that does not exist, or of another tenant, is 404', async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    await createEndpoint(h(), tenant, { url: rig.routes.on(`/x/${tenant}`, () => ({})), eventTypes: ['*'] });
    const res = await publish(h(), tenant, { type: 'invoice.paid', data: {} });
    const [delivery] = await deliveriesOfEvent(h(), tenant, res.json().id);
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${other}/deliveries/${delivery!.id}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries/0190a4c2-0000-7000-8000-000000000000` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries/not-an-id` }), 404, 'not_found');
  });

  it('GET an event: data byte for byte, with its deliveries to every endpoint', async () => {
    const tenant = await h().createTenant();
    const a = await createEndpoint(h(), tenant, { url: rig.routes.on(`/a/${tenant}`, () => ({})), eventTypes: ['invoice'] });
    const b = await createEndpoint(h(), tenant, { url: rig.routes.on(`/b/${tenant}`, () => ({ status: 400 })), eventTypes: ['invoice.paid'] });
    await createEndpoint(h(), tenant, { url: rig.routes.on(`/c/${tenant}`, () => ({})), eventTypes: ['invoice.voided'] });
    const res = await publish(h(), tenant, `{"type":"invoice.paid","accountId":"acc_9","relatedEntity":{"id":"inv_1","type":"invoice"},"data":${rawData}}`);
    expect(res.statusCode, res.body).toBe(202);
    const eventId = res.json().id as string;
    const detail = await waitForSettled(eventId, tenant);
    expect(detail.body).toContain(`"data":${rawData}}`);
    const event = JSON.parse(detail.body.replace(rawData, '{}')) as Record<string, unknown> & { deliveries: { endpointId: string; status: string; attemptCount: number }[] };
    expect(event).toMatchObject({ id: eventId, tenantId: tenant, type: 'invoice.paid', environment: 'live', accountId: 'acc_9', relatedEntity: { id: 'inv_1', type: 'invoice' } });
    expect(event.deliveries.map((d) => [d.endpointId, d.status, d.attemptCount]).sort()).toEqual(
      [[a.id, 'succeeded', 1], [b.id, 'failed', 2]].sort(),
    );
    expect(event.deliveries[0]).not.toHaveProperty('lockedUntil');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/events/0190a4c2-0000-7000-8000-000000000000` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${await h().createTenant()}/events/${eventId}` }), 404, 'not_found');
  });

  async function waitForSettled(eventId: string, tenant: string) {
    for (let i = 0; i < 200; i++) {
      const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/events/${eventId}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      if (!res.body.includes('"status":"pending"')) return res;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('deliveries did not settle');
  }

  it('lists events newest first, by type and time window, page by page, data byte for byte', async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    const db = h().ctx.db;
    const seeded: { id: string; type: string; at: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const at = hoursAgo(40 - i * 2);
      const type = i % 3 === 0 ? 'invoice.voided' : 'invoice.paid';
      seeded.push({ id: await seedEvent(db, { tenantId: tenant, type, at, payload: `{"n":${i},"big":${10n ** 25n + BigInt(i)}}` }), type, at });
    }
    await seedEvent(db, { tenantId: other, type: 'invoice.paid', at: hoursAgo(10) });
    const published = await publish(h(), tenant, `{"type":"invoice.paid","data":${rawData}}`);
    const all = [...seeded.map((e) => e.id), published.json().id as string].reverse();

    const list = async (query: string, limit = 250) => (await walkPages(h(), `/v1/tenants/${tenant}/events${query}`, { limit })).ids;
    expect(await list('')).toEqual(all);
    expect(await list('', 3)).toEqual(all);
    expect(await list('?type=invoice.voided', 2)).toEqual(seeded.filter((e) => e.type === 'invoice.voided').map((e) => e.id).reverse());
    const since = seeded[5]!.at;
    const until = seeded[15]!.at;
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    expect(await list(`?since=${iso(since)}`, 4)).toEqual(all.filter((id) => !seeded.some((e) => e.id === id && e.at < since)));
    expect(await list(`?since=${iso(since)}&until=${iso(until)}`, 4)).toEqual(seeded.filter((e) => e.at >= since && e.at < until).map((e) => e.id).reverse());
    expect(await list(`?type=invoice.paid&until=${iso(until)}`, 4)).toEqual(seeded.filter((e) => e.at < until && e.type === 'invoice.paid').map((e) => e.id).reverse());

    const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/events?limit=2` });
    expect(res.body).toContain(`"data":${rawData}}`);
    expect(res.body).toContain(`"data":{"n":19,"big":${10n ** 25n + 19n}}`);
    expect(res.json().data[1]).toMatchObject({ id: seeded[19]!.id, type: 'invoice.paid', createdAt: new Date(seeded[19]!.at).toISOString(), accountId: null, relatedEntity: null });
  });

  it('answers 400 for a bad event list query', async () => {
    const tenant = await h().createTenant();
    const bad = async (query: string, detail: RegExp) => {
      const res = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/events?${query}` });
      expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(detail);
    };
    await bad('since=yesterday', /since.*date-time/);
    await bad('until=2025-02-30T00:00:00Z', /until.*date-time/);
    await bad('cursor=garbage', /cursor is not valid/);
    await bad(`cursor=${Buffer.from('["nope"]').toString('base64url')}`, /cursor is not valid/);
    await bad('colour=red', /colour is not a known field/);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0, 50] } });
