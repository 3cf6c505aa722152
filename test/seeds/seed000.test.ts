// The "Flute" v2 webhooks surface (seed 000): every documented route, its error answers, merchant
// isolation, partner reach and the Webhooks permission, with real deliveries by a worker to a
// loopback receiver.
import type { LightMyRequestResponse } from 'fastify';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import type { Permission } from '../../src/domain/types.ts';
import { anonymous, parseCsv } from '../support/api.ts';
import { deliveryRig, publishOne, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

interface FluteError {
  code: string;
  message: string;
  field?: string;
}

/** Asserts a Flute error answer with this status, each entry with this code, and returns the entries. */
function expectErrors(res: LightMyRequestResponse, status: number, code: string): FluteError[] {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { errors: FluteError[] };
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const e of body.errors) {
    expect(e.code).toBe(code);
    expect(e.message).toEqual(expect.any(String));
  }
  return body.errors;
}

describeEachHerald('Flute v2 (seed 000)', (h) => {
  const rig = deliveryRig(h, ['payment.succeeded', 'payment.failed', 'subscription.renewed'], 50);
  let n = 0;


  const flute = (as: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    h().request({ method: method as 'GET', url: `/v2/webhooks${url}`, as, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** A merchant (tenant) with a key holding the default permissions (webhooks:read and webhooks:write). */
  async function merchant(parentId?: string): Promise<{ id: string; key: string }> {
    const id = await h().createTenant(parentId ? { parentId } : {});
    return { id, key: await h().createKey(id) };
  }

  /** A rig.receiver path answering 200 "ok" (or what `status` says), as a URL. */
  const receiverUrl = (status = 200) => rig.routes.on(`/flute/${++n}`, () => ({ status, body: status < 300 ? 'ok' : 'nope' }));

  async function createWebhook(key: string, body: Record<string, unknown> = {}, query = '') {
    const res = await flute(key, 'POST', `/endpoints${query}`, { endpointUrl: receiverUrl(), eventTypes: ['payment.succeeded'], ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Record<string, any> & { webhookId: string; secret: string; endpointUrl: string };
  }

  /** Waits until the webhook's log holds `count` entries that are no longer pending, and answers the per-webhook log. */
  async function settledLog(key: string, webhookId: string, count = 1, query = '') {
    return waitFor(`${count} settled log entries of ${webhookId}`, async () => {
      const res = await flute(key, 'GET', `/delivery-logs/${webhookId}${query}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { data: Record<string, any>[]; pagination: Record<string, number> };
      const settled = page.data.filter((d) => d.status !== 'pending');
      return settled.length >= count && settled.length === page.data.length ? page : undefined;
    });
  }

  describe('authentication and the Webhooks permission', () => {
    it('answers 401 in the Flute error format, with WWW-Authenticate, without a key or with an unknown one', async () => {
      const res = await anonymous(h(), 'GET', '/v2/webhooks/endpoints');
      expect(expectErrors(res, 401, 'unauthenticated')[0]!.message).toMatch(/X-API-KEY/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expectErrors(await flute('hk_live_unknownunknownunknownunknown0', 'GET', '/event-types'), 401, 'unauthenticated');
    });

    it('accepts the key as X-API-KEY as well as Bearer', async () => {
      const m = await merchant();
      const res = await h().app.inject({ method: 'GET', url: '/v2/webhooks/endpoints', headers: { 'x-api-key': m.key } });
      expect(res.statusCode).toBe(200);
    });

    it('answers 403 on every route to a key without webhooks:read / webhooks:write', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      const publishOnly = await h().createKey(m.id, { permissions: ['events:publish'] });
      const reads = ['/event-types', '/endpoints', `/endpoints/${hook.webhookId}`, '/delivery-logs', `/delivery-logs/${hook.webhookId}`, '/delivery-logs/export?format=json'];
      for (const url of reads) expectErrors(await flute(publishOnly, 'GET', url), 403, 'forbidden');

      const readOnly = await h().createKey(m.id, { permissions: ['webhooks:read'] as Permission[] });
      for (const url of reads) expect((await flute(readOnly, 'GET', url)).statusCode, url).toBe(200);
      expectErrors(await flute(readOnly, 'POST', '/endpoints', { endpointUrl: receiverUrl(), eventTypes: ['*'] }), 403, 'forbidden');
      expectErrors(await flute(readOnly, 'PUT', `/endpoints/${hook.webhookId}`, { eventTypes: ['*'] }), 403, 'forbidden');
      expectErrors(await flute(readOnly, 'DELETE', `/endpoints/${hook.webhookId}`), 403, 'forbidden');
      expectErrors(await flute(readOnly, 'POST', `/endpoints/${hook.webhookId}/ping`), 403, 'forbidden');
      expectErrors(await flute(readOnly, 'POST', `/delivery-logs/${newId()}/retry`), 403, 'forbidden');
      // Nothing was changed.
      expect((await flute(m.key, 'GET', `/endpoints/${hook.webhookId}`)).json().eventTypes).toEqual(['payment.succeeded']);
    });

    it('answers 404 in the Flute format for a path it does not serve', async () => {
      const m = await merchant();
      expectErrors(await flute(m.key, 'GET', '/nothing-here'), 404, 'not_found');
    });
  });

  describe('GET /v2/webhooks/event-types', () => {
    it('lists every valid event type of the catalog', async () => {
      const m = await merchant();
      const res = await flute(m.key, 'GET', '/event-types');
      expect(res.statusCode).toBe(200);
      const { data } = res.json() as { data: { name: string; description: string; schema: unknown; deprecated: boolean }[] };
      const names = data.map((t) => t.name);
      for (const name of ['payment.succeeded', 'payment.failed', 'subscription.renewed']) expect(names).toContain(name);
      expect(data.find((t) => t.name === 'payment.failed')).toEqual({ name: 'payment.failed', description: '', schema: null, deprecated: false });
    });

    it('answers 400 for an unknown query parameter', async () => {
      const m = await merchant();
      expectErrors(await flute(m.key, 'GET', '/event-types?colour=blue'), 400, 'malformed_request');
    });
  });

  describe('POST /v2/webhooks/endpoints', () => {
    it('creates a webhook and answers it with its signing secret (201)', async () => {
      const m = await merchant();
      const endpointUrl = receiverUrl();
      const res = await flute(m.key, 'POST', '/endpoints', { endpointUrl, eventTypes: ['payment.succeeded', 'payment.failed'], description: 'billing' });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        webhookId: expect.stringMatching(/^[0-9a-f-]{36}$/), merchantId: m.id, endpointUrl, eventTypes: ['payment.succeeded', 'payment.failed'],
        description: 'billing', enabled: true, disabledReason: null, environment: 'live',
        createdAt: expect.any(String), updatedAt: expect.any(String), secret: expect.stringMatching(/^whsec_/),
      });
      // The secret is shown only on creation.
      expect((await flute(m.key, 'GET', `/endpoints/${body.webhookId}`)).json()).not.toHaveProperty('secret');
    });

    it('answers 422 naming each invalid field with this surface\'s names', async () => {
      const m = await merchant();
      const fields = (res: LightMyRequestResponse) => expectErrors(res, 422, 'validation_failed').map((e) => e.field).sort();
      expect(fields(await flute(m.key, 'POST', '/endpoints', { eventTypes: ['*'] }))).toEqual(['endpointUrl']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: 'not a url', eventTypes: ['*'] }))).toEqual(['endpointUrl']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: 'https://10.1.2.3/hook', eventTypes: ['*'] }))).toEqual(['endpointUrl']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: receiverUrl(), eventTypes: [] }))).toEqual(['eventTypes']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: receiverUrl(), eventTypes: ['payment.succeeded', 'not valid!'] }))).toEqual(['eventTypes[1]']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: receiverUrl(), eventTypes: ['*'], url: 'https://x.example' }))).toEqual(['url']);
      expect(fields(await flute(m.key, 'POST', '/endpoints', { endpointUrl: 42, eventTypes: 'payment.succeeded' }))).toEqual(['endpointUrl', 'eventTypes']);
      expect((await flute(m.key, 'GET', '/endpoints')).json().data).toEqual([]);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const m = await merchant();
      const res = await flute(m.key, 'POST', '/endpoints', '{"endpointUrl":', { 'content-type': 'application/json' });
      expectErrors(res, 400, 'malformed_request');
    });

    it('answers 409 for a second webhook with the same URL and event types', async () => {
      const m = await merchant();
      const first = await createWebhook(m.key, { eventTypes: ['payment.failed', 'payment.succeeded'] });
      const res = await flute(m.key, 'POST', '/endpoints', { endpointUrl: first.endpointUrl, eventTypes: ['payment.succeeded', 'payment.failed'] });
      expectErrors(res, 409, 'conflict');
    });
  });

  describe('GET, PUT and DELETE /v2/webhooks/endpoints…', () => {
    it('GET lists all webhooks of the merchant, newest first, and only them', async () => {
      const m = await merchant();
      const other = await merchant();
      const hooks = [await createWebhook(m.key), await createWebhook(m.key), await createWebhook(m.key)];
      await createWebhook(other.key);
      const res = await flute(m.key, 'GET', '/endpoints');
      expect(res.statusCode).toBe(200);
      expect(res.json().data.map((w: { webhookId: string }) => w.webhookId)).toEqual(hooks.map((w) => w.webhookId).reverse());
    });

    it('GET one answers the webhook; 404 for an unknown or malformed webhookId', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key, { description: 'one' });
      const res = await flute(m.key, 'GET', `/endpoints/${hook.webhookId}`);
      expect(res.statusCode).toBe(200);
      const { secret: _, ...expected } = hook;
      expect(res.json()).toEqual(expected);
      expectErrors(await flute(m.key, 'GET', `/endpoints/${newId()}`), 404, 'not_found');
      expectErrors(await flute(m.key, 'GET', '/endpoints/not-a-webhook'), 404, 'not_found');
    });

    it('PUT changes the fields sent (e.g. the event types) and keeps the others', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key, { description: 'keep me' });
      const res = await flute(m.key, 'PUT', `/endpoints/${hook.webhookId}`, { eventTypes: ['payment.failed', 'subscription.renewed'] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ webhookId: hook.webhookId, endpointUrl: hook.endpointUrl, description: 'keep me', eventTypes: ['payment.failed', 'subscription.renewed'], enabled: true });

      const url = receiverUrl();
      const moved = await flute(m.key, 'PUT', `/endpoints/${hook.webhookId}`, { endpointUrl: url, enabled: false });
      expect(moved.json()).toMatchObject({ endpointUrl: url, enabled: false, eventTypes: ['payment.failed', 'subscription.renewed'] });
      expect((await flute(m.key, 'GET', `/endpoints/${hook.webhookId}`)).json()).toMatchObject({ endpointUrl: url, enabled: false });
    });

    it('PUT answers 422 for invalid fields, 404 for an unknown webhook', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      const errors = expectErrors(await flute(m.key, 'PUT', `/endpoints/${hook.webhookId}`, { endpointUrl: 'ftp://x.example/', eventTypes: [] }), 422, 'validation_failed');
      expect(errors.map((e) => e.field).sort()).toEqual(['endpointUrl', 'eventTypes']);
      expectErrors(await flute(m.key, 'PUT', `/endpoints/${hook.webhookId}`, { secret: 'x' }), 422, 'validation_failed');
      expectErrors(await flute(m.key, 'PUT', `/endpoints/${newId()}`, { eventTypes: ['*'] }), 404, 'not_found');
    });

    it('DELETE removes the webhook for good (204, then 404)', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      const res = await flute(m.key, 'DELETE', `/endpoints/${hook.webhookId}`);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectErrors(await flute(m.key, 'GET', `/endpoints/${hook.webhookId}`), 404, 'not_found');
      expectErrors(await flute(m.key, 'DELETE', `/endpoints/${hook.webhookId}`), 404, 'not_found');
      expect((await flute(m.key, 'GET', '/endpoints')).json().data).toEqual([]);
    });
  });

  describe('POST /v2/webhooks/endpoints/{webhookId}/ping', () => {
    it('sends a signed webhook.ping to the endpoint and answers with the outcome', async () => {
      const m = await merchant();
      const path = `/ping-ok/${m.id}`;
      const endpointUrl = rig.routes.on(path, () => ({ status: 200, body: 'pong', headers: { 'x-receiver': 'yes' } }));
      const hook = await createWebhook(m.key, { endpointUrl });
      const res = await flute(m.key, 'POST', `/endpoints/${hook.webhookId}/ping`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        webhookId: hook.webhookId, success: true,
        attempt: { attemptNumber: 1, success: true, outcome: 'success', error: null, response: { statusCode: 200, body: 'pong', truncated: false } },
      });
      expect(body.attempt.response.headers['x-receiver']).toBe('yes');

      const [request] = rig.routes.requests(path);
      const verified = new StandardWebhook(hook.secret).verify(request!.body, request!.headers as Record<string, string>) as Record<string, unknown>;
      expect(verified).toMatchObject({ id: body.eventId, type: 'webhook.ping', webhookId: hook.webhookId, brandId: m.id });

      // The ping is in the log like any message.
      const log = (await flute(m.key, 'GET', `/delivery-logs/${hook.webhookId}`)).json();
      expect(log.data).toHaveLength(1);
      expect(log.data[0]).toMatchObject({ id: body.deliveryLogId, eventType: 'webhook.ping', status: 'succeeded' });
    });

    it('answers 200 with success false when the endpoint fails, and 404 for an unknown webhook', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key, { endpointUrl: receiverUrl(503) });
      const res = await flute(m.key, 'POST', `/endpoints/${hook.webhookId}/ping`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ success: false, attempt: { success: false, outcome: 'http_5xx', response: { statusCode: 503, body: 'nope' } } });
      expectErrors(await flute(m.key, 'POST', `/endpoints/${newId()}/ping`), 404, 'not_found');
    });
  });

  describe('delivery logs', () => {
    it('GET /delivery-logs lists the success level of each message, published natively and delivered by the worker', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key, { eventTypes: ['payment.*'] });
      const ok = await publishOne(h(), m.id, 'payment.succeeded', { amount: 100 });
      const other = await publishOne(h(), m.id, 'payment.failed', { amount: 5 });
      await settledLog(m.key, hook.webhookId, 2);

      const res = await flute(m.key, 'GET', '/delivery-logs');
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.pagination).toEqual({ limit: 50, offset: 0, totalCount: 2 });
      expect(page.data.map((d: { eventId: string }) => d.eventId)).toEqual([other.id, ok.id]);
      expect(page.data[1]).toEqual({
        id: expect.any(String), eventId: ok.id, eventType: 'payment.succeeded', webhookId: hook.webhookId, environment: 'live',
        status: 'succeeded', attemptCount: 1, createdAt: expect.any(String), lastAttemptAt: expect.any(String), lastOutcome: 'success',
        lastStatusCode: 200, lastError: null, succeededAt: expect.any(String), nextAttemptAt: null, clonedFrom: null,
      });

      // Filters and offset paging.
      const filtered = (await flute(m.key, 'GET', '/delivery-logs?eventType=payment.failed')).json();
      expect(filtered.data.map((d: { eventId: string }) => d.eventId)).toEqual([other.id]);
      const second = (await flute(m.key, 'GET', '/delivery-logs?limit=1&offset=1')).json();
      expect(second).toMatchObject({ data: [{ eventId: ok.id }], pagination: { limit: 1, offset: 1, totalCount: 2 } });
      expect((await flute(m.key, 'GET', `/delivery-logs?webhookId=${hook.webhookId}&status=failed`)).json().data).toEqual([]);
    });

    it('GET /delivery-logs answers 400 for invalid query parameters', async () => {
      const m = await merchant();
      for (const query of ['status=done', 'limit=0', 'limit=1000', 'offset=-1', 'webhookId=nope', 'since=yesterday', 'sortBy=createdOn']) {
        const errors = expectErrors(await flute(m.key, 'GET', `/delivery-logs?${query}`), 400, 'malformed_request');
        expect(errors[0]!.field, query).toBe(query.split('=')[0]);
      }
    });

    it('GET /delivery-logs/{webhookId} gives every attempt with the full request and response', async () => {
      const m = await merchant();
      const path = `/detail/${m.id}`;
      const endpointUrl = rig.routes.on(path, () => ({ status: 201, body: '{"received":true}', headers: { 'content-type': 'application/json' } }));
      const hook = await createWebhook(m.key, { endpointUrl });
      const event = await publishOne(h(), m.id, 'payment.succeeded', { amount: 250, currency: 'EUR' });
      const page = await settledLog(m.key, hook.webhookId);

      expect(page.pagination).toEqual({ limit: 50, offset: 0, totalCount: 1 });
      const [entry] = page.data;
      expect(entry).toMatchObject({ eventId: event.id, webhookId: hook.webhookId, status: 'succeeded', attemptCount: 1 });
      expect(entry!.attempts).toHaveLength(1);
      const attempt = entry!.attempts[0];
      const [received] = rig.routes.requests(path);
      expect(attempt).toMatchObject({
        attemptNumber: 1, success: true, outcome: 'success', error: null,
        request: { method: 'POST', url: endpointUrl, body: received!.body },
        response: { statusCode: 201, body: '{"received":true}', truncated: false },
      });
      expect(attempt.request.headers).toMatchObject({
        'content-type': 'application/json', 'webhook-id': event.id,
        'webhook-timestamp': received!.headers['webhook-timestamp'], 'webhook-signature': received!.headers['webhook-signature'],
      });
      expect(attempt.response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(attempt.request.body)).toMatchObject({ id: event.id, type: 'payment.succeeded', webhookId: hook.webhookId, attemptId: attempt.id, data: { amount: 250, currency: 'EUR' } });
      // The logged body is the signed one.
      expect(new StandardWebhook(hook.secret).verify(attempt.request.body, attempt.request.headers)).toMatchObject({ id: event.id });
    });

    it('GET /delivery-logs/{webhookId} answers an empty log for a new webhook and 404 for an unknown one', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      expect((await flute(m.key, 'GET', `/delivery-logs/${hook.webhookId}`)).json()).toEqual({ data: [], pagination: { limit: 50, offset: 0, totalCount: 0 } });
      expectErrors(await flute(m.key, 'GET', `/delivery-logs/${newId()}`), 404, 'not_found');
      expectErrors(await flute(m.key, 'GET', '/delivery-logs/not-a-webhook'), 404, 'not_found');
    });

    it('deleting a webhook does not erase its delivery logs', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      const event = await publishOne(h(), m.id, 'payment.succeeded', { n: 1 });
      await settledLog(m.key, hook.webhookId);
      expect((await flute(m.key, 'DELETE', `/endpoints/${hook.webhookId}`)).statusCode).toBe(204);

      const log = await flute(m.key, 'GET', `/delivery-logs/${hook.webhookId}`);
      expect(log.statusCode).toBe(200);
      expect(log.json().data).toMatchObject([{ eventId: event.id, webhookId: hook.webhookId, status: 'succeeded', attempts: [{ success: true }] }]);
      expect((await flute(m.key, 'GET', '/delivery-logs')).json().data).toMatchObject([{ eventId: event.id, webhookId: hook.webhookId }]);
      const csv = parseCsv((await flute(m.key, 'GET', '/delivery-logs/export?format=csv')).body);
      expect(csv).toHaveLength(2);
    });
  });

  describe('GET /v2/webhooks/delivery-logs/export', () => {
    let m: { id: string; key: string };
    let hook: { webhookId: string };
    let eventIds: string[];
    beforeAll(async () => {
      m = await merchant();
      hook = await createWebhook(m.key, { eventTypes: ['*'] });
      eventIds = [];
      for (const type of ['payment.succeeded', 'payment.failed', 'subscription.renewed']) eventIds.push((await publishOne(h(), m.id, type, { type })).id);
      await settledLog(m.key, hook.webhookId, 3);
    });

    it('exports CSV (the default), streamed, with a header row and one row per entry', async () => {
      const res = await flute(m.key, 'GET', '/delivery-logs/export');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe('attachment; filename="delivery-logs.csv"');
      const [header, ...rows] = parseCsv(res.body);
      expect(header).toEqual([
        'id', 'eventId', 'eventType', 'webhookId', 'environment', 'status', 'attemptCount', 'createdAt', 'lastAttemptAt',
        'lastOutcome', 'lastStatusCode', 'lastError', 'succeededAt', 'nextAttemptAt', 'clonedFrom',
      ]);
      const records = rows.map((r) => Object.fromEntries(header!.map((name, i) => [name, r[i]])));
      expect(records.map((r) => r.eventId).sort()).toEqual([...eventIds].sort());
      for (const r of records) expect(r).toMatchObject({ webhookId: hook.webhookId, status: 'succeeded', attemptCount: '1', lastStatusCode: '200' });
    });

    it('exports JSON with the fields of the list, filtered like the list', async () => {
      const res = await flute(m.key, 'GET', '/delivery-logs/export?format=json');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const rows = res.json() as Record<string, unknown>[];
      expect(rows.map((r) => r.eventId).sort()).toEqual([...eventIds].sort());
      const listed = (await flute(m.key, 'GET', '/delivery-logs')).json().data;
      expect(rows).toEqual(listed);

      const filtered = (await flute(m.key, 'GET', `/delivery-logs/export?format=json&eventType=payment.failed&webhookId=${hook.webhookId}`)).json();
      expect(filtered.map((r: { eventId: string }) => r.eventId)).toEqual([eventIds[1]]);
    });

    it('answers 400 for another format or a bad filter, and exports nothing of other merchants', async () => {
      expectErrors(await flute(m.key, 'GET', '/delivery-logs/export?format=xml'), 400, 'malformed_request');
      expectErrors(await flute(m.key, 'GET', '/delivery-logs/export?format=ndjson'), 400, 'malformed_request');
      expectErrors(await flute(m.key, 'GET', '/delivery-logs/export?status=nope'), 400, 'malformed_request');
      const other = await merchant();
      expect((await flute(other.key, 'GET', '/delivery-logs/export?format=json')).json()).toEqual([]);
      expectErrors(await flute(other.key, 'GET', `/delivery-logs/export?merchantId=${m.id}`), 404, 'not_found');
    });
  });

  describe('POST /v2/webhooks/delivery-logs/{id}/retry', () => {
    it('retries a failed delivery: a new attempt of the same message', async () => {
      const m = await merchant();
      const path = `/retry/${m.id}`;
      let up = false;
      const endpointUrl = rig.routes.on(path, () => (up ? { status: 200 } : { status: 500, body: 'down' }));
      const hook = await createWebhook(m.key, { endpointUrl });
      const event = await publishOne(h(), m.id, 'payment.succeeded', { n: 1 });
      const failed = (await settledLog(m.key, hook.webhookId)).data[0]!;
      expect(failed).toMatchObject({ eventId: event.id, status: 'failed', attemptCount: 1, lastStatusCode: 500 });

      up = true;
      const res = await flute(m.key, 'POST', `/delivery-logs/${failed.id}/retry`);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ id: failed.id, eventId: event.id, webhookId: hook.webhookId, status: 'pending', attemptCount: 1 });

      const after = await waitFor('the retried delivery to succeed', async () => {
        const entry = (await settledLog(m.key, hook.webhookId)).data[0]!;
        return entry.status === 'succeeded' ? entry : undefined;
      });
      expect(after).toMatchObject({ id: failed.id, attemptCount: 2, lastStatusCode: 200 });
      expect(after.attempts.map((a: { attemptNumber: number; success: boolean; response: { statusCode: number } }) => [a.attemptNumber, a.success, a.response.statusCode]))
        .toEqual([[1, false, 500], [2, true, 200]]);
      // Both attempts carried the same message id (webhook-id).
      expect(rig.routes.requests(path).map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
    });

    it('answers the same 202 for a repeated Idempotency-Key, and 404 for an unknown or malformed id', async () => {
      const m = await merchant();
      const hook = await createWebhook(m.key);
      await publishOne(h(), m.id, 'payment.succeeded');
      const entry = (await settledLog(m.key, hook.webhookId)).data[0]!;
      const headers = { 'idempotency-key': `retry-${entry.id}` };
      const first = await flute(m.key, 'POST', `/delivery-logs/${entry.id}/retry`, undefined, headers);
      expect(first.statusCode).toBe(202);
      const again = await flute(m.key, 'POST', `/delivery-logs/${entry.id}/retry`, undefined, headers);
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expectErrors(await flute(m.key, 'POST', `/delivery-logs/${newId()}/retry`), 404, 'not_found');
      expectErrors(await flute(m.key, 'POST', '/delivery-logs/nope/retry'), 404, 'not_found');
    });
  });

  describe('merchant isolation', () => {
    it("merchant A cannot see or affect merchant B's webhooks or logs: 404 everywhere", async () => {
      const a = await merchant();
      const b = await merchant();
      const hook = await createWebhook(b.key);
      await publishOne(h(), b.id, 'payment.succeeded');
      const entry = (await settledLog(b.key, hook.webhookId)).data[0]!;

      expectErrors(await flute(a.key, 'GET', `/endpoints/${hook.webhookId}`), 404, 'not_found');
      expectErrors(await flute(a.key, 'PUT', `/endpoints/${hook.webhookId}`, { eventTypes: ['*'] }), 404, 'not_found');
      expectErrors(await flute(a.key, 'DELETE', `/endpoints/${hook.webhookId}`), 404, 'not_found');
      expectErrors(await flute(a.key, 'POST', `/endpoints/${hook.webhookId}/ping`), 404, 'not_found');
      expectErrors(await flute(a.key, 'GET', `/delivery-logs/${hook.webhookId}`), 404, 'not_found');
      expectErrors(await flute(a.key, 'POST', `/delivery-logs/${entry.id}/retry`), 404, 'not_found');
      expect((await flute(a.key, 'GET', '/endpoints')).json().data).toEqual([]);
      expect((await flute(a.key, 'GET', '/delivery-logs')).json().data).toEqual([]);
      expect((await flute(a.key, 'GET', `/delivery-logs?webhookId=${hook.webhookId}`)).json().data).toEqual([]);
      // Naming B as the merchant does not help: A is not B's partner.
      for (const [method, url] of [['GET', '/endpoints'], ['GET', '/delivery-logs'], ['GET', `/endpoints/${hook.webhookId}`], ['POST', '/endpoints']] as const) {
        const body = method === 'POST' ? { endpointUrl: receiverUrl(), eventTypes: ['*'] } : undefined;
        expectErrors(await flute(a.key, method, `${url}?merchantId=${b.id}`, body), 404, 'not_found');
      }
      // B's webhook is untouched.
      expect((await flute(b.key, 'GET', `/endpoints/${hook.webhookId}`)).json().eventTypes).toEqual(['payment.succeeded']);
    });
  });

  describe('partner reach', () => {
    let partner: { id: string; key: string };
    let child: { id: string; key: string };
    let otherPartner: { id: string; key: string };
    let otherChild: { id: string; key: string };
    beforeAll(async () => {
      partner = await merchant();
      child = await merchant(partner.id);
      otherPartner = await merchant();
      otherChild = await merchant(otherPartner.id);
    });

    it("a partner manages its merchants' webhooks by naming them with merchantId", async () => {
      const q = `?merchantId=${child.id}`;
      const created = await createWebhook(partner.key, { description: 'by partner' }, q);
      expect(created.merchantId).toBe(child.id);
      // The merchant sees it as its own; the partner's own list does not hold it.
      expect((await flute(child.key, 'GET', `/endpoints/${created.webhookId}`)).json()).toMatchObject({ description: 'by partner' });
      expect((await flute(partner.key, 'GET', '/endpoints')).json().data).toEqual([]);
      expect((await flute(partner.key, 'GET', `/endpoints${q}`)).json().data.map((w: { webhookId: string }) => w.webhookId)).toEqual([created.webhookId]);
      expect((await flute(partner.key, 'GET', `/endpoints/${created.webhookId}`)).statusCode).toBe(404);

      const put = await flute(partner.key, 'PUT', `/endpoints/${created.webhookId}${q}`, { eventTypes: ['payment.failed'] });
      expect(put.json()).toMatchObject({ eventTypes: ['payment.failed'] });
      expect((await flute(partner.key, 'POST', `/endpoints/${created.webhookId}/ping${q}`)).json()).toMatchObject({ success: true });

      await publishOne(h(), child.id, 'payment.failed', { n: 1 });
      const log = await settledLog(partner.key, created.webhookId, 2, q);
      expect(log.data.map((d) => d.eventType).sort()).toEqual(['payment.failed', 'webhook.ping']);
      const failedEntry = log.data.find((d) => d.eventType === 'payment.failed')!;
      expect((await flute(partner.key, 'GET', `/delivery-logs${q}`)).json().pagination.totalCount).toBe(2);
      expect(JSON.parse((await flute(partner.key, 'GET', `/delivery-logs/export${q}&format=json`)).body)).toHaveLength(2);
      expect((await flute(partner.key, 'POST', `/delivery-logs/${failedEntry.id}/retry${q}`)).statusCode).toBe(202);

      expect((await flute(partner.key, 'DELETE', `/endpoints/${created.webhookId}${q}`)).statusCode).toBe(204);
      expectErrors(await flute(child.key, 'GET', `/endpoints/${created.webhookId}`), 404, 'not_found');
    });

    it("a partner cannot reach another partner's merchants, and a merchant cannot reach its partner", async () => {
      const theirs = await createWebhook(otherChild.key);
      const q = `?merchantId=${otherChild.id}`;
      expectErrors(await flute(partner.key, 'GET', `/endpoints${q}`), 404, 'not_found');
      expectErrors(await flute(partner.key, 'GET', `/endpoints/${theirs.webhookId}${q}`), 404, 'not_found');
      expectErrors(await flute(partner.key, 'PUT', `/endpoints/${theirs.webhookId}${q}`, { eventTypes: ['*'] }), 404, 'not_found');
      expectErrors(await flute(partner.key, 'DELETE', `/endpoints/${theirs.webhookId}${q}`), 404, 'not_found');
      expectErrors(await flute(partner.key, 'GET', `/delivery-logs/${theirs.webhookId}${q}`), 404, 'not_found');
      expectErrors(await flute(partner.key, 'GET', `/delivery-logs${q}`), 404, 'not_found');
      expectErrors(await flute(partner.key, 'POST', `/endpoints${q}`, { endpointUrl: receiverUrl(), eventTypes: ['*'] }), 404, 'not_found');
      expectErrors(await flute(otherPartner.key, 'GET', `/endpoints?merchantId=${child.id}`), 404, 'not_found');
      expectErrors(await flute(child.key, 'GET', `/endpoints?merchantId=${partner.id}`), 404, 'not_found');
      expectErrors(await flute(child.key, 'GET', `/endpoints?merchantId=${child.id}-nope`), 404, 'not_found');
      // Naming itself is allowed.
      expect((await flute(child.key, 'GET', `/endpoints?merchantId=${child.id}`)).statusCode).toBe(200);
    });

    it('a partner key without the Webhooks permission gets 403 for its merchants, 404 for others', async () => {
      const publishOnly = await h().createKey(partner.id, { permissions: ['events:publish'] });
      expectErrors(await flute(publishOnly, 'GET', `/endpoints?merchantId=${child.id}`), 403, 'forbidden');
      expectErrors(await flute(publishOnly, 'GET', `/endpoints?merchantId=${otherChild.id}`), 404, 'not_found');
    });

    it('the operator token names the merchant with merchantId (or X-Herald-Tenant), and must name one', async () => {
      const hook = await createWebhook(child.key);
      const res = await h().request({ method: 'GET', url: `/v2/webhooks/endpoints/${hook.webhookId}?merchantId=${child.id}` });
      expect(res.statusCode).toBe(200);
      const viaHeader = await h().request({ method: 'GET', url: `/v2/webhooks/endpoints/${hook.webhookId}`, headers: { 'x-herald-tenant': child.id } });
      expect(viaHeader.statusCode).toBe(200);
      expectErrors(await h().request({ method: 'GET', url: '/v2/webhooks/endpoints' }), 400, 'malformed_request');
    });
  });

  describe('OpenAPI', () => {
    it('documents every Flute v2 route under its tag', async () => {
      const doc = (await h().request({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>> };
      const expected = [
        'get /v2/webhooks/event-types', 'post /v2/webhooks/endpoints', 'get /v2/webhooks/endpoints', 'get /v2/webhooks/endpoints/{webhookId}',
        'put /v2/webhooks/endpoints/{webhookId}', 'delete /v2/webhooks/endpoints/{webhookId}', 'post /v2/webhooks/endpoints/{webhookId}/ping',
        'get /v2/webhooks/delivery-logs', 'get /v2/webhooks/delivery-logs/{webhookId}', 'get /v2/webhooks/delivery-logs/export',
        'post /v2/webhooks/delivery-logs/{id}/retry',
      ];
      const documented = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/v2/webhooks'))
        .flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m} ${path}`));
      expect(documented.sort()).toEqual([...expected].sort());
      for (const route of expected) {
        const [method, path] = route.split(' ');
        const operation = doc.paths[path!]![method!]!;
        expect(operation.tags, route).toEqual(['Flute v2 (seed 000)']);
        for (const status of ['401', '403', '404', '429']) expect(operation.responses, `${route} ${status}`).toHaveProperty(status);
      }
    });
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0] } });

describeEachHerald('Flute v2 (seed 000): rate limit', (h) => {
  it('answers 429 in the Flute error format with Retry-After once a key exceeds its limit', async () => {
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    const responses = await Promise.all(Array.from({ length: 6 }, () => h().request({ method: 'GET', url: '/v2/webhooks/endpoints', as: key })));
    expect(responses.filter((r) => r.statusCode === 200).length).toBe(3);
    const refused = responses.find((r) => r.statusCode === 429)!;
    expectErrors(refused, 429, 'rate_limited');
    expect(refused.headers).toHaveProperty('retry-after');
    expect(refused.headers['ratelimit-limit']).toBe('3');
  });
}, { config: { rateLimitPerSecond: 3 } });
