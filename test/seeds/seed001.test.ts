// The Flowbrite surface (seed 001): every documented request replayed as its curl example sends
// it, answers checked field by field against the document's examples, the query language, sorting
// and offset paging with meta, redelivery with its idempotency key, typed ids and errors.
import type { LightMyRequestResponse } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { encodeTypedId } from '../../src/domain/typedIds.ts';
import { createEndpoint, deliveryRig, getDelivery, publish, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

/** The documented example notification, in search answers. */
const documentedNotification = {
  id: 'whn_X01JTK7NABCDEF1234567890',
  subscription: { id: 'whs_X01JTK7HABCDEF1234567890' },
  eventType: 'payment.sent',
  payload: { id: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8', status: 'SENT' },
  targetUrl: 'https://example.com/webhooks/flowbrite',
  createdOn: '2025-06-01T09:05:00',
  sentOn: '2025-06-01T09:05:01',
  attemptCount: 1,
  lastError: null,
  lockedUntil: null,
  relatedEntityId: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8',
  relatedEntityType: 'Payment',
  clonedFromNotificationId: null,
};
const documentedMeta = {
  query: 'eventType=="payment.sent"',
  sortBy: ['createdOn:DESC'],
  offset: 0,
  limit: 10,
  count: 1,
  totalCount: 1,
  timestamp: '2025-06-01T10:00:00Z',
};
const secondsTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const whn = /^whn_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const keysOf = (o: object) => Object.keys(o).sort();

interface Notification {
  id: string;
  subscription: { id: string };
  eventType: string;
  payload: unknown;
  targetUrl: string;
  createdOn: string;
  sentOn: string | null;
  attemptCount: number;
  lastError: string | null;
  lockedUntil: string | null;
  relatedEntityId: string | null;
  relatedEntityType: string | null;
  clonedFromNotificationId: string | null;
}
interface SearchAnswer {
  data: Notification[];
  meta: { query: string | null; sortBy: string[]; offset: number; limit: number; count: number; totalCount: number; timestamp: string };
}

/** Asserts the surface's error body and returns its message. */
function expectError(res: LightMyRequestResponse, status: number, code: string): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  expect(keysOf(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  return body.error.message;
}

describeEachHerald('Flowbrite (seed 001): webhook notifications', (h) => {
  const rig = deliveryRig(h, ['payment.sent', 'order.created'], 50);

  let n = 0;
  /** A tenant, its live API key and one subscription (endpoint) receiving on its own path. */
  async function subscription(options: { status?: number; eventTypes?: string[] } = {}) {
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    const path = `/flowbrite/${++n}`;
    const url = rig.routes.on(path, () => ({ status: options.status ?? 200 }));
    const endpoint = await createEndpoint(h(), tenant, { url, eventTypes: options.eventTypes ?? ['*'] });
    return { tenant, key, path, url, endpoint, whs: encodeTypedId('whs', endpoint.id) };
  }

  /** Publishes natively, as the operator, and returns the event id. */
  async function publishEvent(tenant: string, body: Record<string, unknown>): Promise<string> {
    const res = await publish(h(), tenant, body);
    expect(res.statusCode, res.body).toBe(202);
    return res.json().id as string;
  }

  const paymentSent = {
    type: 'payment.sent',
    data: { id: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8', status: 'SENT' },
    relatedEntity: { id: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8', type: 'Payment' },
  };

  /** GET as a Flowbrite client: X-API-KEY and a raw query string. */
  const search = (key: string, whs: string, query = '') =>
    h().app.inject({ method: 'GET', url: `/v1/webhook-subscriptions/${whs}/notifications${query ? `?${query}` : ''}`, headers: { 'x-api-key': key } });
  const redeliver = (key: string, id: string, idempotencyKey?: string) =>
    h().app.inject({
      method: 'POST',
      url: `/v1/webhook-notifications/${id}/redeliver`,
      headers: { 'x-api-key': key, ...(idempotencyKey === undefined ? {} : { 'x-idempotency-key': idempotencyKey }) },
    });

  /** Waits until every delivery of the tenant has settled (no longer pending). */
  async function settled(tenant: string, count: number): Promise<void> {
    await waitFor(`${count} settled deliveries`, async () => {
      const rows = await h().ctx.db.query<{ n: number }>("select count(*)::int as n from deliveries where tenant_id = $1 and status <> 'pending'", [tenant]);
      return rows[0]!.n >= count ? true : undefined;
    });
  }

  describe('GET /v1/webhook-subscriptions/{id}/notifications', () => {
    it('replays the documented example request and answers in the documented shape, field by field', async () => {
      const s = await subscription();
      const eventId = await publishEvent(s.tenant, paymentSent);
      await publishEvent(s.tenant, { type: 'order.created', data: { id: 'ord_1' } });
      await settled(s.tenant, 2);

      // As curl -G -d sends it: the data joined with & and not URL-encoded.
      const res = await search(s.key, s.whs, 'q=eventType=="payment.sent"&sortBy=createdOn:DESC&offset=0&limit=10');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json() as SearchAnswer;
      expect(keysOf(body)).toEqual(['data', 'meta']);
      expect(keysOf(body.meta)).toEqual(keysOf(documentedMeta));
      expect(body.meta).toEqual({ ...documentedMeta, timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/) });
      expect(Math.abs(Date.parse(body.meta.timestamp) - Date.now())).toBeLessThan(10_000);

      expect(body.data).toHaveLength(1);
      const notification = body.data[0]!;
      expect(keysOf(notification)).toEqual(keysOf(documentedNotification));
      const [row] = await h().ctx.db.query<{ id: string }>('select id from deliveries where event_id = $1', [eventId]);
      const delivery = await getDelivery(h(), s.tenant, row!.id);
      expect(notification).toEqual({
        ...documentedNotification,
        id: encodeTypedId('whn', delivery.id),
        subscription: { id: s.whs },
        targetUrl: s.url,
        createdOn: (delivery as unknown as { createdAt: string }).createdAt.slice(0, 19),
        sentOn: delivery.attempts[0]!.createdAt.slice(0, 19),
      });
      expect(notification.createdOn).toMatch(secondsTime);
      expect(notification.sentOn).toMatch(secondsTime);
      expect(notification.id).toMatch(whn);
      expect(notification.subscription.id).toMatch(/^whs_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    });

    it('shows natively published events as notifications delivered to the subscription, signed', async () => {
      const s = await subscription();
      const eventId = await publishEvent(s.tenant, { ...paymentSent, data: { id: 'pmt_2', amount: 12.5 } });
      const [request] = await rig.receiver.waitForRequests(rig.receiver.requests.length + 1, 5_000).then(() => rig.routes.requests(s.path));
      expect(request!.headers['webhook-id']).toBe(eventId);
      const envelope = new Webhook(s.endpoint.secret).verify(request!.body, request!.headers as Record<string, string>) as Record<string, unknown>;
      expect(envelope).toMatchObject({ id: eventId, type: 'payment.sent', webhookId: s.endpoint.id, data: { id: 'pmt_2', amount: 12.5 } });
      await settled(s.tenant, 1);
      const body = (await search(s.key, s.whs)).json() as SearchAnswer;
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toMatchObject({ eventType: 'payment.sent', payload: { id: 'pmt_2', amount: 12.5 }, attemptCount: 1, lastError: null, lockedUntil: null });
    });

    it('reports a failed notification with its attempts, last error and sentOn as Herald logged them', async () => {
      const s = await subscription({ status: 500 });
      const eventId = await publishEvent(s.tenant, { type: 'payment.sent', data: {} });
      await settled(s.tenant, 1);
      const [row] = await h().ctx.db.query<{ id: string }>('select id from deliveries where event_id = $1', [eventId]);
      const delivery = (await getDelivery(h(), s.tenant, row!.id)) as unknown as { attemptCount: number; lastError: string | null; lastAttemptAt: string };
      const [notification] = ((await search(s.key, s.whs)).json() as SearchAnswer).data;
      expect(notification).toMatchObject({
        attemptCount: delivery.attemptCount,
        lastError: delivery.lastError,
        sentOn: delivery.lastAttemptAt.slice(0, 19),
        relatedEntityId: null,
        relatedEntityType: null,
        payload: {},
      });
      expect(delivery.attemptCount).toBeGreaterThanOrEqual(1);
      expect(notification!.lastError).toMatch(/500/);
    });

    describe('q, sortBy, offset, limit and meta', () => {
      let s: Awaited<ReturnType<typeof subscription>>;
      /** Notification ids, oldest first: 3 payment.sent then 2 order.created, published in order. */
      let ids: string[];
      beforeAll(async () => {
        s = await subscription({ status: 200 });
        const events = [];
        for (const [i, type] of ['payment.sent', 'payment.sent', 'payment.sent', 'order.created', 'order.created'].entries()) {
          events.push(await publishEvent(s.tenant, { type, data: { n: i }, relatedEntity: { id: `ent_${i % 2}`, type: i % 2 ? 'Odd' : 'Even' } }));
        }
        await settled(s.tenant, 5);
        const rows = await h().ctx.db.query<{ id: string }>('select id from deliveries where tenant_id = $1 order by created_at, id', [s.tenant]);
        ids = rows.map((r) => encodeTypedId('whn', r.id));
      });
      const idsOf = (res: LightMyRequestResponse) => {
        expect(res.statusCode, res.body).toBe(200);
        return (res.json() as SearchAnswer).data.map((d) => d.id);
      };

      it('without parameters: every notification, newest first, with the default meta', async () => {
        const res = await search(s.key, s.whs);
        expect(idsOf(res)).toEqual([...ids].reverse());
        expect((res.json() as SearchAnswer).meta).toMatchObject({ query: null, sortBy: ['createdOn:DESC'], offset: 0, limit: 10, count: 5, totalCount: 5 });
      });

      it('q filters and totalCount counts every match, not just the page', async () => {
        const res = await search(s.key, s.whs, `q=${encodeURIComponent('eventType=="payment.sent"')}&limit=2`);
        expect(idsOf(res)).toEqual([ids[2], ids[1]]);
        expect((res.json() as SearchAnswer).meta).toMatchObject({ query: 'eventType=="payment.sent"', limit: 2, count: 2, totalCount: 3 });
        const cases: [string, string[]][] = [
          ['eventType=="order.*"', [ids[4]!, ids[3]!]],
          ['relatedEntityType==Odd;eventType=="payment.sent"', [ids[1]!]],
          ['relatedEntityId=in=(ent_1,ent_9),eventType==order.created', [ids[4]!, ids[3]!, ids[1]!]],
          ['attemptCount=ge=1;status==succeeded', [...ids].reverse()],
          ['attemptCount>1', []],
          [`createdOn=ge=2000-01-01T00:00:00;sentOn=le=${new Date(Date.now() + 60_000).toISOString().slice(0, 19)}`, [...ids].reverse()],
          [`endpointId==${s.endpoint.id}`, [...ids].reverse()],
          [`endpointId==${s.whs}`, [...ids].reverse()],
          [`subscription.id=="${s.whs}";eventType==order.created`, [ids[4]!, ids[3]!]],
          [`endpointId=out=(${s.whs})`, []],
          [`endpointId==${encodeTypedId('whs', newId())}`, []],
        ];
        for (const [q, expected] of cases) {
          const page = await search(s.key, s.whs, `q=${encodeURIComponent(q)}`);
          expect(idsOf(page), q).toEqual(expected);
          expect((page.json() as SearchAnswer).meta, q).toMatchObject({ query: q, count: expected.length, totalCount: expected.length });
        }
      });

      it('sortBy orders by one or several fields, ASC or DESC, and meta echoes it', async () => {
        expect(idsOf(await search(s.key, s.whs, 'sortBy=createdOn:ASC'))).toEqual(ids);
        const res = await search(s.key, s.whs, 'sortBy=eventType:ASC&sortBy=createdOn:DESC');
        expect(idsOf(res)).toEqual([ids[4], ids[3], ids[2], ids[1], ids[0]]);
        expect((res.json() as SearchAnswer).meta.sortBy).toEqual(['eventType:ASC', 'createdOn:DESC']);
        expect(idsOf(await search(s.key, s.whs, 'sortBy=eventType:DESC,createdOn:ASC'))).toEqual([ids[0], ids[1], ids[2], ids[3], ids[4]]);
        expect(idsOf(await search(s.key, s.whs, 'sortBy=attemptCount:DESC&sortBy=createdOn:ASC'))).toEqual(ids);
      });

      it('offset and limit page through the results; count is the page, totalCount all of them', async () => {
        const seen: string[] = [];
        for (let offset = 0; offset < 6; offset += 2) {
          const res = await search(s.key, s.whs, `sortBy=createdOn:ASC&offset=${offset}&limit=2`);
          const page = res.json() as SearchAnswer;
          expect(page.meta).toMatchObject({ offset, limit: 2, count: Math.min(2, 5 - offset), totalCount: 5 });
          seen.push(...idsOf(res));
        }
        expect(seen).toEqual(ids);
        const beyond = (await search(s.key, s.whs, 'offset=50')).json() as SearchAnswer;
        expect(beyond.data).toEqual([]);
        expect(beyond.meta).toMatchObject({ offset: 50, count: 0, totalCount: 5 });
        expect(idsOf(await search(s.key, s.whs, 'limit=100'))).toHaveLength(5);
      });

      it('answers 400 naming the parameter for a bad q, sortBy, offset or limit', async () => {
        const cases: [string, RegExp][] = [
          ['q=eventType==', /q: expected a value/],
          [`q=${encodeURIComponent('colour==red')}`, /unknown field "colour"/],
          [`q=${encodeURIComponent('attemptCount==many')}`, /attemptCount.*not an integer/],
          [`q=${encodeURIComponent('createdOn=gt=yesterday')}`, /createdOn.*date/],
          [`q=${encodeURIComponent('endpointId==whs_nope')}`, /"whs_nope" for endpointId \(at position 0\) is not a webhook subscription id/],
          [`q=${encodeURIComponent('eventType=="a";subscription.id==whs_bad')}`, /"whs_bad" for subscription\.id \(at position 15\)/],
          ['sortBy=colour:DESC', /sortBy/],
          ['sortBy=createdOn:SIDEWAYS', /sortBy/],
          ['offset=-1', /offset/],
          ['offset=two', /offset/],
          ['limit=0', /limit/],
          ['limit=101', /limit/],
          ['limit=ten', /limit/],
          ['page=2', /page/],
        ];
        for (const [query, message] of cases) {
          expect(expectError(await search(s.key, s.whs, query), 400, 'malformed_request'), query).toMatch(message);
        }
      });
    });

    it('answers 401 without a valid key, and 404 for ids that are malformed, unknown, of another kind or of another tenant', async () => {
      const s = await subscription();
      const other = await subscription();
      expectError(await h().app.inject({ method: 'GET', url: `/v1/webhook-subscriptions/${s.whs}/notifications` }), 401, 'unauthenticated');
      expectError(await search('hk_live_not_a_key', s.whs), 401, 'unauthenticated');
      for (const id of [
        encodeTypedId('whs', newId()), // well formed, unknown
        other.whs, // another tenant's
        encodeTypedId('whn', s.endpoint.id), // a notification id
        s.endpoint.id, // Herald's own UUID
        s.whs.toLowerCase(),
        'whs_X01JTK7HABCDEF1234567890', // the document's placeholder
        `${s.whs}0`,
      ]) {
        expect(expectError(await search(s.key, id), 404, 'not_found'), id).toMatch(/webhook subscription/);
      }
      // A test key sees only test subscriptions; the operator names the tenant in X-Herald-Tenant.
      const testKey = await h().createKey(s.tenant, { environment: 'test' });
      expectError(await search(testKey, s.whs), 404, 'not_found');
      const asOperator = await h().request({ method: 'GET', url: `/v1/webhook-subscriptions/${s.whs}/notifications`, headers: { 'x-herald-tenant': s.tenant } });
      expect(asOperator.statusCode, asOperator.body).toBe(200);
    });
  });

  describe('POST /v1/webhook-notifications/{id}/redeliver', () => {
    async function deliveredNotification() {
      const s = await subscription();
      await publishEvent(s.tenant, paymentSent);
      await settled(s.tenant, 1);
      const [original] = ((await search(s.key, s.whs)).json() as SearchAnswer).data;
      return { ...s, original: original! };
    }

    it('replays the documented example: a clone in the documented shape, queued at once', async () => {
      const s = await deliveredNotification();
      const before = rig.routes.requests(s.path).length;
      const res = await redeliver(s.key, s.original.id, 'idem-1');
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as { data: Notification };
      expect(keysOf(body)).toEqual(['data']);
      expect(keysOf(body.data)).toEqual(keysOf(documentedNotification));
      expect(body.data).toEqual({
        id: expect.stringMatching(whn),
        subscription: { id: s.whs },
        eventType: 'payment.sent',
        payload: { id: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8', status: 'SENT' },
        targetUrl: s.url,
        createdOn: expect.stringMatching(secondsTime),
        sentOn: null,
        attemptCount: 0,
        lastError: null,
        lockedUntil: null,
        relatedEntityId: 'pmt_X01JTK7ME0F20ZMPS1MJZ70KYC8',
        relatedEntityType: 'Payment',
        clonedFromNotificationId: s.original.id,
      });
      expect(body.data.id).not.toBe(s.original.id);
      expect(Math.abs(Date.parse(`${body.data.createdOn}Z`) - Date.now())).toBeLessThan(10_000);

      // Queued at once: the rig.receiver gets the same event again.
      await waitFor('the redelivery', async () => (rig.routes.requests(s.path).length > before ? true : undefined));
      const [first, second] = rig.routes.requests(s.path);
      expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      await settled(s.tenant, 2);
      const all = (await search(s.key, s.whs, 'sortBy=createdOn:ASC')).json() as SearchAnswer;
      expect(all.meta.totalCount).toBe(2);
      expect(all.data[1]).toMatchObject({ id: body.data.id, clonedFromNotificationId: s.original.id, attemptCount: 1, sentOn: expect.stringMatching(secondsTime) });
    });

    it('the same X-IDEMPOTENCY-KEY again answers the same clone and makes no second one', async () => {
      const s = await deliveredNotification();
      const first = await redeliver(s.key, s.original.id, 'same-key');
      expect(first.statusCode, first.body).toBe(201);
      await settled(s.tenant, 2);
      const again = await redeliver(s.key, s.original.id, 'same-key');
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json()).toEqual(first.json());
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(((await search(s.key, s.whs)).json() as SearchAnswer).meta.totalCount).toBe(2);

      // Another key makes another clone; the same key for another notification is refused.
      const other = await redeliver(s.key, s.original.id, 'other-key');
      expect(other.statusCode).toBe(201);
      expect(other.json().data.id).not.toBe(first.json().data.id);
      expect(expectError(await redeliver(s.key, first.json().data.id, 'same-key'), 422, 'idempotency_mismatch')).toMatch(/same-key/);
      expect(((await search(s.key, s.whs)).json() as SearchAnswer).meta.totalCount).toBe(3);
    });

    it('answers 400 without X-IDEMPOTENCY-KEY (or with an unusable one), creating nothing', async () => {
      const s = await deliveredNotification();
      expect(expectError(await redeliver(s.key, s.original.id), 400, 'malformed_request')).toMatch(/x-idempotency-key/i);
      expect(expectError(await redeliver(s.key, s.original.id, 'x'.repeat(256)), 400, 'malformed_request')).toMatch(/idempotency key/);
      expect(((await search(s.key, s.whs)).json() as SearchAnswer).meta.totalCount).toBe(1);
    });

    it('answers 401 without a valid key and 404 for malformed, unknown or foreign notification ids', async () => {
      const s = await deliveredNotification();
      const other = await deliveredNotification();
      expectError(await h().app.inject({ method: 'POST', url: `/v1/webhook-notifications/${s.original.id}/redeliver`, headers: { 'x-idempotency-key': 'k' } }), 401, 'unauthenticated');
      for (const id of [encodeTypedId('whn', newId()), other.original.id, s.whs, s.original.id.replace('whn_', 'whs_'), 'whn_X01JTK7NABCDEF1234567890', 'whn_1']) {
        expect(expectError(await redeliver(s.key, id, `k-${id}`), 404, 'not_found'), id).toMatch(/webhook notification/);
      }
      const readOnly = await h().createKey(s.tenant, { permissions: ['webhooks:read'] });
      expectError(await redeliver(readOnly, s.original.id, 'ro'), 403, 'forbidden');
    });
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0] } });

describeEachHerald('Flowbrite (seed 001): rate limit', (h) => {
  it('answers 429 with Retry-After in the surface\'s error format once a key spends its budget', async () => {
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    const url = `/v1/webhook-subscriptions/${encodeTypedId('whs', newId())}/notifications`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await h().app.inject({ method: 'GET', url, headers: { 'x-api-key': key } }));
    expect(answers.slice(0, 2).map((r) => r.statusCode)).toEqual([404, 404]);
    const limited = answers.find((r) => r.statusCode === 429)!;
    expect(limited).toBeDefined();
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/rate limit/) } });
  });
}, { config: { rateLimitPerSecond: 2 } });

