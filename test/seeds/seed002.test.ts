// The flexEngage webhooks API (seed 002) with the envelope of its integration guide (seed 003):
// every documented example request replayed against Herald and the answer checked field by field
// against the document, every documented status code, and events published natively, delivered to
// a loopback receiver and then read, paged and retried through this surface.
import type { LightMyRequestResponse } from 'fastify';
import { Webhook } from 'standardwebhooks';
import {  describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/store/db.ts';
import { deliveryRig, publishOne, waitFor } from '../support/delivery.ts';
import { closedPort } from '../support/receiver.ts';
import { describeEachHerald, type TestHerald } from '../support/herald.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const tag = 'flexEngage (seed 002)';
const smsReceipt = 'NOTIFICATION.SMS.RECEIPT';
/** The document's body parameter of "Create a New Webhook", as published. */
const documentedWebhook = { endpoint: 'https://example.com/my/webhook/endpoint', events: [smsReceipt], enabled: true };

interface WebhookBody {
  id: string;
  created: string;
  updated: string;
  endpoint: string;
  events: string[];
  enabled: boolean;
}

interface EventBody {
  id: string;
  type: string;
  created: string;
  updated: string;
  status: 'PENDING' | 'SUCCESS' | 'FAILED';
}

interface AttemptBody {
  id: string;
  created: string;
  status: 'SUCCESS' | 'FAILED';
  request: { endpoint: string; headers: Record<string, string> };
  response: { statusCode: number; headers: Record<string, string>; body: string; time: number } | null;
}

type EventWithAttempts = EventBody & { attempts: AttemptBody[] };

/** A brand (tenant) and a key of it with the default webhooks:read + webhooks:write permissions. */
async function brand(h: TestHerald): Promise<{ brandId: string; key: string }> {
  const brandId = await h.createTenant();
  return { brandId, key: await h.createKey(brandId) };
}

function expectJson(res: LightMyRequestResponse, status: number): unknown {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json();
}

/** Asserts the document's APIErrorResponse: exactly {message, description, status} (+ validations). */
function expectApiError(res: LightMyRequestResponse, status: number, message: string, description?: string): { validations?: Record<string, string> } {
  const body = expectJson(res, status) as Record<string, unknown>;
  expect(Object.keys(body).filter((k) => k !== 'validations').sort()).toEqual(['description', 'message', 'status']);
  expect(body).toMatchObject({ message, status });
  expect(body.description).toEqual(description ?? expect.any(String));
  return body as { validations?: Record<string, string> };
}

/** Asserts a 422 whose validations name exactly `fields`, each message starting with its field's name. */
function expectValidations(res: LightMyRequestResponse, fields: string[]): Record<string, string> {
  const { validations } = expectApiError(res, 422, 'UNPROCESSABLE ENTITY', 'There are errors in the request');
  expect(Object.keys(validations ?? {}).sort()).toEqual([...fields].sort());
  for (const [field, sentence] of Object.entries(validations!)) expect(sentence.startsWith(`${field} `), sentence).toBe(true);
  return validations!;
}

/** Asserts the document's WebhookResponse: exactly its six fields, with their formats. */
function expectWebhook(body: unknown, expected: Partial<WebhookBody>): WebhookBody {
  const webhook = body as WebhookBody;
  expect(Object.keys(webhook).sort()).toEqual(['created', 'enabled', 'endpoint', 'events', 'id', 'updated']);
  expect(webhook.id).toMatch(uuid);
  expect(webhook.created).toMatch(dateTime);
  expect(webhook.updated).toMatch(dateTime);
  expect(typeof webhook.enabled).toBe('boolean');
  expect(webhook).toMatchObject(expected);
  return webhook;
}

function expectEvent(body: unknown, expected: Partial<EventBody>): EventBody {
  const event = body as EventBody;
  expect(Object.keys(event).sort()).toEqual(['created', 'id', 'status', 'type', 'updated']);
  expect(event.id).toMatch(uuid);
  expect(event.created).toMatch(dateTime);
  expect(event.updated).toMatch(dateTime);
  expect(['PENDING', 'SUCCESS', 'FAILED']).toContain(event.status);
  expect(event).toMatchObject(expected);
  return event;
}

async function createWebhook(h: TestHerald, brandId: string, key: string, body: object = documentedWebhook): Promise<WebhookBody> {
  const res = await h.request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: body, as: key });
  return expectWebhook(expectJson(res, 201), {});
}

describeEachHerald('flexEngage webhooks API (seed 002)', (h) => {
  const rig = deliveryRig(h, [smsReceipt, 'NOTIFICATION.EMAIL.OPENED'], 50);

  /** Waits until the event is no longer PENDING through this surface, and returns it. */
  async function settledEvent(brandId: string, key: string, webhookId: string, eventId: string, attempts = 1): Promise<EventWithAttempts> {
    return waitFor(`event ${eventId} to settle`, async () => {
      const res = await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhookId}/events/${eventId}`, as: key });
      if (res.statusCode !== 200) return undefined;
      const event = res.json() as EventWithAttempts;
      return event.status !== 'PENDING' && event.attempts.length >= attempts ? event : undefined;
    }, 8_000);
  }

  describe('Create a New Webhook — POST /v1/{brandId}/webhooks', () => {
    it('answers the documented example request with 201, a WebhookResponse and a Location header', async () => {
      const { brandId, key } = await brand(h());
      const res = await h().request({
        method: 'POST',
        url: `/v1/${brandId}/webhooks`,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        payload: JSON.stringify(documentedWebhook),
        as: key,
      });
      const webhook = expectWebhook(expectJson(res, 201), documentedWebhook);
      expect(webhook.created).toBe(webhook.updated);
      const location = new URL(res.headers.location as string);
      expect(location.pathname).toBe(`/v1/${brandId}/webhooks/${webhook.id}`);
      const fetched = await h().request({ method: 'GET', url: location.pathname, as: key });
      expect(expectJson(fetched, 200)).toEqual(webhook);
    });

    it('enables a webhook by default, and creates a disabled one on request', async () => {
      const { brandId, key } = await brand(h());
      expect((await createWebhook(h(), brandId, key, { endpoint: 'https://example.com/a', events: [smsReceipt] })).enabled).toBe(true);
      expect((await createWebhook(h(), brandId, key, { endpoint: 'https://example.com/b', events: [smsReceipt], enabled: false })).enabled).toBe(false);
    });

    it('takes a group of event types, as the hierarchy allows', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key, { endpoint: 'https://example.com/all', events: ['NOTIFICATION', 'ORDER_EVENTS.OMS.*'] });
      expect(webhook.events).toEqual(['NOTIFICATION', 'ORDER_EVENTS.OMS.*']);
    });

    it('answers 409 with the documented body for the same endpoint and event types', async () => {
      const { brandId, key } = await brand(h());
      const body = { endpoint: 'https://example.com', events: ['ORDER_EVENTS.OMS.ORDER_CREATED'] };
      await createWebhook(h(), brandId, key, body);
      const res = await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: { ...body, enabled: false }, as: key });
      expectApiError(res, 409, 'CONFLICT', 'A webhook for endpoint: https://example.com and eventTypes: ["ORDER_EVENTS.OMS.ORDER_CREATED"] already exists');
      // Other event types for the same endpoint are another webhook.
      await createWebhook(h(), brandId, key, { endpoint: 'https://example.com', events: ['ORDER_EVENTS.OMS.ORDER_SHIPPED'] });
    });

    it('answers the documented 422 when the endpoint is missing', async () => {
      const { brandId, key } = await brand(h());
      const res = await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: { events: [smsReceipt], enabled: true }, as: key });
      expect(expectJson(res, 422)).toEqual({
        message: 'UNPROCESSABLE ENTITY',
        description: 'There are errors in the request',
        status: 422,
        validations: { endpoint: 'endpoint is required' },
      });
    });

    it('answers 422 with one validation per bad field', async () => {
      const { brandId, key } = await brand(h());
      const post = (payload: unknown) => h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: payload as object, as: key });
      expectValidations(await post({ enabled: 'yes' }), ['endpoint', 'events', 'enabled']);
      expect(expectValidations(await post({ endpoint: 'https://example.com/x' }), ['events']).events).toBe('events is required');
      expectValidations(await post({ endpoint: 'https://example.com/x', events: [] }), ['events']);
      expectValidations(await post({ endpoint: 'not a url', events: [smsReceipt, 'BAD NAME!', 'NOTIFICATION..SMS'] }), ['endpoint', 'events[1]', 'events[2]']);
      expectValidations(await post({ endpoint: 'https://example.com/x', events: [42] }), ['events[0]']);
      expectValidations(await post({ ...documentedWebhook, eventTypes: [smsReceipt] }), ['eventTypes']);
      expectValidations(await post([documentedWebhook]), ['body']);
    });

    it('answers 422 for a body that is not JSON', async () => {
      const { brandId, key } = await brand(h());
      const res = await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, headers: { 'content-type': 'application/json' }, payload: '{"endpoint":', as: key });
      expectApiError(res, 422, 'UNPROCESSABLE ENTITY');
    });
  });

  describe('Get Webhooks — GET /v1/{brandId}/webhooks', () => {
    it('answers 200 with an array of WebhookResponse', async () => {
      const { brandId, key } = await brand(h());
      const first = await createWebhook(h(), brandId, key);
      const second = await createWebhook(h(), brandId, key, { endpoint: 'https://example.com/other', events: ['NOTIFICATION'], enabled: false });
      const res = await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks`, headers: { accept: 'application/json' }, as: key });
      const list = expectJson(res, 200) as WebhookBody[];
      expect(Array.isArray(list)).toBe(true);
      list.forEach((w) => expectWebhook(w, {}));
      expect(list.map((w) => w.id).sort()).toEqual([first.id, second.id].sort());
      expect(list.find((w) => w.id === second.id)).toEqual(second);
    });

    it('answers [] for a brand without webhooks and 404 for a brand that is unknown or not the key’s', async () => {
      const { brandId, key } = await brand(h());
      expect(expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks`, as: key }), 200)).toEqual([]);
      const other = await brand(h());
      await createWebhook(h(), other.brandId, other.key);
      for (const id of ['no-such-brand', other.brandId]) {
        const res = await h().request({ method: 'GET', url: `/v1/${id}/webhooks`, as: key });
        expectApiError(res, 404, 'NOT FOUND', 'No webhooks with that brand ID were found');
      }
    });

    it('lets a partner reach its child brands', async () => {
      const partner = await brand(h());
      const child = await h().createTenant({ parentId: partner.brandId });
      const webhook = await createWebhook(h(), child, partner.key);
      expect(expectJson(await h().request({ method: 'GET', url: `/v1/${child}/webhooks`, as: partner.key }), 200)).toEqual([webhook]);
    });
  });

  describe('Get a webhook by ID — GET /v1/{brandId}/webhooks/{id}', () => {
    it('answers 200 with the WebhookResponse', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key);
      const res = await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}`, headers: { accept: 'application/json' }, as: key });
      expect(expectWebhook(expectJson(res, 200), documentedWebhook)).toEqual(webhook);
    });

    it('answers the documented 404 for an unknown id, a non-UUID id and another brand’s webhook', async () => {
      const { brandId, key } = await brand(h());
      const other = await brand(h());
      const theirs = await createWebhook(h(), other.brandId, other.key);
      const cases = [
        [brandId, '3fa85f64-5717-4562-b3fc-2c963f66afa6'],
        [brandId, '123'],
        [brandId, theirs.id],
        [other.brandId, theirs.id],
      ];
      for (const [b, id] of cases) {
        const res = await h().request({ method: 'GET', url: `/v1/${b}/webhooks/${id}`, as: key });
        expectApiError(res, 404, 'NOT FOUND', `A webhook with ID: ${id} for brandId: ${b} was not found`);
      }
    });
  });

  describe('Toggle a Webhook On or Off — PATCH /v1/{brandId}/webhooks/{id}', () => {
    it('answers 204 without a body and turns the webhook off and on', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key);
      for (const enabled of [false, true]) {
        const res = await h().request({
          method: 'PATCH',
          url: `/v1/${brandId}/webhooks/${webhook.id}`,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          payload: JSON.stringify({ enabled }),
          as: key,
        });
        expect(res.statusCode, res.body).toBe(204);
        expect(res.body).toBe('');
        const after = expectWebhook(expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: key }), 200), { enabled });
        expect(after).toMatchObject({ id: webhook.id, endpoint: webhook.endpoint, events: webhook.events, created: webhook.created });
      }
    });

    it('answers 422 without a boolean `enabled` and 404 for an unknown webhook', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key);
      const patch = (id: string, payload: object) => h().request({ method: 'PATCH', url: `/v1/${brandId}/webhooks/${id}`, payload, as: key });
      expect(expectValidations(await patch(webhook.id, {}), ['enabled']).enabled).toBe('enabled is required');
      expectValidations(await patch(webhook.id, { enabled: 'false' }), ['enabled']);
      expectValidations(await patch(webhook.id, { enabled: true, endpoint: 'https://example.com/new' }), ['endpoint']);
      const unknown = '5d237c8b-b229-4873-82bc-27c473efbd3c';
      expectApiError(await patch(unknown, { enabled: false }), 404, 'NOT FOUND', `A webhook with ID: ${unknown} for brandId: ${brandId} was not found`);
    });
  });

  describe('Delete a Webhook — DELETE /v1/{brandId}/webhooks/{id}', () => {
    it('answers 204, after which the webhook is gone (404)', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key);
      const res = await h().request({ method: 'DELETE', url: `/v1/${brandId}/webhooks/${webhook.id}`, headers: { accept: 'application/json' }, as: key });
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');
      const description = `A webhook with ID: ${webhook.id} for brandId: ${brandId} was not found`;
      expectApiError(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: key }), 404, 'NOT FOUND', description);
      expectApiError(await h().request({ method: 'DELETE', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: key }), 404, 'NOT FOUND', description);
    });

    it('cannot delete another brand’s webhook', async () => {
      const { brandId, key } = await brand(h());
      const other = await brand(h());
      const theirs = await createWebhook(h(), other.brandId, other.key);
      expectApiError(await h().request({ method: 'DELETE', url: `/v1/${other.brandId}/webhooks/${theirs.id}`, as: key }), 404, 'NOT FOUND');
      expectApiError(await h().request({ method: 'DELETE', url: `/v1/${brandId}/webhooks/${theirs.id}`, as: key }), 404, 'NOT FOUND');
      expect((await h().request({ method: 'GET', url: `/v1/${other.brandId}/webhooks/${theirs.id}`, as: other.key })).statusCode).toBe(200);
    });
  });

  describe('authentication and permissions (401, 403)', () => {
    it('answers 401 without a key or with an invalid one, on every route', async () => {
      const { brandId, key } = await brand(h());
      const webhook = await createWebhook(h(), brandId, key);
      const event = '497f6eca-6276-4993-bfeb-53cbbbba6f08';
      const calls: [string, string, object?][] = [
        ['POST', `/v1/${brandId}/webhooks`, documentedWebhook],
        ['GET', `/v1/${brandId}/webhooks`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}`],
        ['PATCH', `/v1/${brandId}/webhooks/${webhook.id}`, { enabled: false }],
        ['DELETE', `/v1/${brandId}/webhooks/${webhook.id}`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}/events`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}/events/${event}`],
        ['POST', `/v1/${brandId}/webhooks/${webhook.id}/events/${event}/retry`],
      ];
      for (const [method, url, payload] of calls) {
        const none = await h().app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
        expectApiError(none, 401, 'UNAUTHORIZED');
        expect(none.headers['www-authenticate']).toBe('Bearer');
        expectApiError(await h().request({ method: method as 'GET', url, ...(payload ? { payload } : {}), as: 'hk_live_not-a-real-key' }), 401, 'UNAUTHORIZED');
      }
      expect(expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: key }), 200)).toEqual(webhook);
    });

    it('accepts the key as X-API-KEY too', async () => {
      const { brandId, key } = await brand(h());
      const res = await h().app.inject({ method: 'GET', url: `/v1/${brandId}/webhooks`, headers: { 'x-api-key': key } });
      expect(expectJson(res, 200)).toEqual([]);
    });

    it('answers 403 to a key of the brand without the webhooks permissions', async () => {
      const brandId = await h().createTenant();
      const publisher = await h().createKey(brandId, { permissions: ['events:publish'] });
      const reader = await h().createKey(brandId, { permissions: ['webhooks:read'] });
      const webhook = await createWebhook(h(), brandId, await h().createKey(brandId));
      const event = '497f6eca-6276-4993-bfeb-53cbbbba6f08';
      for (const [method, url, payload] of [
        ['POST', `/v1/${brandId}/webhooks`, documentedWebhook],
        ['GET', `/v1/${brandId}/webhooks`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}/events`],
        ['GET', `/v1/${brandId}/webhooks/${webhook.id}/events/${event}`],
      ] as const) {
        expectApiError(await h().request({ method, url, ...(payload ? { payload } : {}), as: publisher }), 403, 'FORBIDDEN');
      }
      // Reading is not writing.
      expect((await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: reader })).statusCode).toBe(200);
      expectApiError(await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: documentedWebhook, as: reader }), 403, 'FORBIDDEN');
      expectApiError(await h().request({ method: 'PATCH', url: `/v1/${brandId}/webhooks/${webhook.id}`, payload: { enabled: false }, as: reader }), 403, 'FORBIDDEN');
      expectApiError(await h().request({ method: 'DELETE', url: `/v1/${brandId}/webhooks/${webhook.id}`, as: reader }), 403, 'FORBIDDEN');
    });

    it('answers 404, not 403, for another brand even to a key without permissions', async () => {
      const other = await brand(h());
      const brandId = await h().createTenant();
      const publisher = await h().createKey(brandId, { permissions: ['events:publish'] });
      expectApiError(await h().request({ method: 'GET', url: `/v1/${other.brandId}/webhooks`, as: publisher }), 404, 'NOT FOUND');
    });
  });

  describe('events of a webhook, delivered with the guide’s envelope', () => {
    it('delivers the seed 003 envelope with the webhook id and brand id of this surface, signed', async () => {
      const { brandId, key } = await brand(h());
      const url = rig.routes.on(`/envelope/${brandId}`, () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"example": "response json"}' }));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      const published = await publishOne(h(), brandId, smsReceipt, { messageId: 'm-1', to: '+15555550100' });
      const event = await settledEvent(brandId, key, webhook.id, published.id);
      const [request] = rig.routes.requests(`/envelope/${brandId}`);
      const envelope = JSON.parse(request!.body) as Record<string, unknown>;
      expect(envelope).toMatchObject({ id: published.id, brandId, webhookId: webhook.id, type: smsReceipt, data: { messageId: 'm-1', to: '+15555550100' } });
      expect(envelope.created).toMatch(dateTime);
      expect(envelope.attemptId).toBe(event.attempts[0]!.id);
      const secret = (await h().request({ method: 'GET', url: `/v1/tenants/${brandId}/endpoints/${webhook.id}/secret` })).json().secret as string;
      expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(envelope);
    });

    it('lists the events sent to the webhook and shows one with its attempts, as documented', async () => {
      const { brandId, key } = await brand(h());
      const url = rig.routes.on(`/ok/${brandId}`, () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"example": "response json"}' }));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      // Another webhook of the brand, for other events: its deliveries are not this webhook's.
      const otherUrl = rig.routes.on(`/other/${brandId}`, () => ({}));
      const other = await createWebhook(h(), brandId, key, { endpoint: otherUrl, events: ['NOTIFICATION.EMAIL'] });
      const published = await publishOne(h(), brandId, smsReceipt, { messageId: 'm-2' });
      const email = await publishOne(h(), brandId, 'NOTIFICATION.EMAIL.OPENED', {});
      const event = await settledEvent(brandId, key, webhook.id, published.id);
      await settledEvent(brandId, key, other.id, email.id);

      // GET …/events/{eventId}: the example response, field by field.
      expect(Object.keys(event).sort()).toEqual(['attempts', 'created', 'id', 'status', 'type', 'updated']);
      const { attempts, ...summary } = event;
      expectEvent(summary, { id: published.id, type: smsReceipt, status: 'SUCCESS' });
      expect(attempts).toHaveLength(1);
      const attempt = attempts[0]!;
      expect(Object.keys(attempt).sort()).toEqual(['created', 'id', 'request', 'response', 'status']);
      expect(attempt.id).toMatch(uuid);
      expect(attempt.created).toMatch(dateTime);
      expect(attempt.status).toBe('SUCCESS');
      expect(Object.keys(attempt.request).sort()).toEqual(['endpoint', 'headers']);
      expect(attempt.request.endpoint).toBe(url);
      const requestHeaders = Object.fromEntries(Object.entries(attempt.request.headers).map(([k, v]) => [k.toLowerCase(), v]));
      expect(requestHeaders['content-type']).toMatch(/^application\/json/);
      expect(requestHeaders['user-agent']).toEqual(expect.any(String));
      expect(requestHeaders['webhook-id']).toBe(published.id);
      expect(Object.keys(attempt.response!).sort()).toEqual(['body', 'headers', 'statusCode', 'time']);
      expect(attempt.response!.statusCode).toBe(200);
      expect(attempt.response!.body).toBe('{"example": "response json"}');
      expect(attempt.response!.headers['content-type']).toBe('application/json');
      expect(Number.isInteger(attempt.response!.time)).toBe(true);
      expect(attempt.response!.time).toBeGreaterThanOrEqual(0);

      // GET …/events: the example response, field by field.
      const res = await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}/events`, headers: { accept: 'application/json' }, as: key });
      const page = expectJson(res, 200) as { events: EventBody[]; page: Record<string, unknown> };
      expect(Object.keys(page).sort()).toEqual(['events', 'page']);
      expect(page.events).toHaveLength(1);
      expect(expectEvent(page.events[0], {})).toEqual(summary);
      expect(page.page).toEqual({ size: 20, startId: null, lastId: null });

      const others = (await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${other.id}/events`, as: key })).json() as { events: EventBody[] };
      expect(others.events.map((e) => e.id)).toEqual([email.id]);
    });

    it('records failed attempts with the response, or none when no response came, and retries as a new attempt (202)', async () => {
      const { brandId, key } = await brand(h());
      let failing = true;
      const url = rig.routes.on(`/flaky/${brandId}`, () => (failing ? { status: 500, body: 'down for maintenance' } : { status: 204 }));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: ['NOTIFICATION.*'] });
      const published = await publishOne(h(), brandId, smsReceipt, {});
      const failed = await settledEvent(brandId, key, webhook.id, published.id, 2);
      expect(failed.status).toBe('FAILED');
      expect(failed.attempts.map((a) => [a.status, a.response?.statusCode, a.response?.body])).toEqual([
        ['FAILED', 500, 'down for maintenance'],
        ['FAILED', 500, 'down for maintenance'],
      ]);

      failing = false;
      const retry = await h().request({
        method: 'POST',
        url: `/v1/${brandId}/webhooks/${webhook.id}/events/${published.id}/retry`,
        headers: { accept: 'application/json' },
        as: key,
      });
      expect(retry.statusCode, retry.body).toBe(202);
      expect(retry.body).toBe('');
      const retried = await settledEvent(brandId, key, webhook.id, published.id, 3);
      expect(retried.status).toBe('SUCCESS');
      expect(retried.attempts).toHaveLength(3);
      expect(retried.attempts.slice(0, 2)).toEqual(failed.attempts);
      expect(retried.attempts[2]).toMatchObject({ status: 'SUCCESS', response: { statusCode: 204, body: '' } });
      expect(new Set(retried.attempts.map((a) => a.id)).size).toBe(3);
      const bodies = rig.routes.requests(`/flaky/${brandId}`).map((r) => JSON.parse(r.body) as { id: string; attemptId: string });
      expect(bodies.map((b) => b.id)).toEqual([published.id, published.id, published.id]);
      expect(bodies.map((b) => b.attemptId)).toEqual(retried.attempts.map((a) => a.id));

      const unreachable = `http://127.0.0.1:${await closedPort()}/hook`;
      const dead = await createWebhook(h(), brandId, key, { endpoint: unreachable, events: [smsReceipt] });
      const lost = await publishOne(h(), brandId, smsReceipt, {});
      const noResponse = await settledEvent(brandId, key, dead.id, lost.id, 2);
      expect(noResponse.status).toBe('FAILED');
      for (const a of noResponse.attempts) expect(a).toMatchObject({ status: 'FAILED', response: null, request: { endpoint: unreachable } });
    });

    it('pages with size, startId and page.lastId, oldest first, and filters on start and end', async () => {
      const { brandId, key } = await brand(h());
      const url = rig.routes.on(`/paged/${brandId}`, () => ({}));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      const ids: string[] = [];
      const times: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await h().request({ method: 'POST', url: `/v1/tenants/${brandId}/events`, payload: { type: smsReceipt, data: { i } } });
        expect(res.statusCode, res.body).toBe(202);
        ids.push(res.json().id);
        times.push(res.json().createdAt);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const list = (query: string) => h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}/events${query}`, as: key });

      const seen: string[] = [];
      const pages: { size: number; startId: string | null; lastId: string | null }[] = [];
      let startId: string | null = null;
      do {
        const body = expectJson(await list(`?size=2${startId ? `&startId=${startId}` : ''}`), 200) as { events: EventBody[]; page: (typeof pages)[number] };
        body.events.forEach((e) => expectEvent(e, { type: smsReceipt }));
        seen.push(...body.events.map((e) => e.id));
        pages.push(body.page);
        startId = body.page.lastId;
      } while (startId && pages.length < 10);
      expect(seen).toEqual(ids);
      expect(pages).toEqual([
        { size: 2, startId: null, lastId: ids[1] },
        { size: 2, startId: ids[1], lastId: ids[3] },
        { size: 2, startId: ids[3], lastId: null },
      ]);

      const window = expectJson(await list(`?start=${times[1]}&end=${times[4]}`), 200) as { events: EventBody[] };
      expect(window.events.map((e) => e.id)).toEqual(ids.slice(1, 4));
      const after = expectJson(await list(`?start=${encodeURIComponent(times[3]!)}&startId=${ids[0]}`), 200) as { events: EventBody[] };
      expect(after.events.map((e) => e.id)).toEqual(ids.slice(3));
      expect((expectJson(await list('?size=1000'), 200) as { page: { size: number } }).page.size).toBe(100);

      expectValidations(await list('?size=0'), ['size']);
      expectValidations(await list('?size=many'), ['size']);
      expectValidations(await list('?start=yesterday'), ['start']);
      expectValidations(await list('?startId=not-a-uuid'), ['startId']);
      expectValidations(await list('?startId=98f9f126-53de-4f4b-b662-04f587841743'), ['startId']);
    });

    it('lists an event once even after a redelivery through the native API (a clone)', async () => {
      const { brandId, key } = await brand(h());
      const url = rig.routes.on(`/cloned/${brandId}`, () => ({}));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      const published = await publishOne(h(), brandId, smsReceipt, {});
      const original = await settledEvent(brandId, key, webhook.id, published.id);
      const [delivery] = (await h().request({ method: 'GET', url: `/v1/tenants/${brandId}/deliveries?eventId=${published.id}` })).json().data as { id: string }[];
      expect((await h().request({ method: 'POST', url: `/v1/tenants/${brandId}/deliveries/${delivery!.id}/redeliver` })).statusCode).toBe(202);
      await waitFor('the clone to be sent', async () => (rig.routes.requests(`/cloned/${brandId}`).length >= 2 ? true : undefined));
      const list = expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}/events`, as: key }), 200) as { events: EventBody[] };
      expect(list.events.map((e) => e.id)).toEqual([published.id]);
      expect(await settledEvent(brandId, key, webhook.id, published.id)).toEqual(original);
    });

    it('answers 404 for an unknown webhook, another brand’s webhook and an unknown event', async () => {
      const { brandId, key } = await brand(h());
      const other = await brand(h());
      const url = rig.routes.on(`/404/${brandId}`, () => ({}));
      const mine = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      const theirs = await createWebhook(h(), other.brandId, other.key, { endpoint: url, events: [smsReceipt] });
      const published = await publishOne(h(), other.brandId, smsReceipt, {});
      await settledEvent(other.brandId, other.key, theirs.id, published.id);

      for (const [b, id] of [[brandId, theirs.id], [other.brandId, theirs.id], [brandId, '3fa85f64-5717-4562-b3fc-2c963f66afa6'], [brandId, '123']]) {
        const description = `A webhook with ID: ${id} for brandId: ${b} was not found`;
        expectApiError(await h().request({ method: 'GET', url: `/v1/${b}/webhooks/${id}/events`, as: key }), 404, 'NOT FOUND', description);
        expectApiError(await h().request({ method: 'GET', url: `/v1/${b}/webhooks/${id}/events/${published.id}`, as: key }), 404, 'NOT FOUND', description);
        expectApiError(await h().request({ method: 'POST', url: `/v1/${b}/webhooks/${id}/events/${published.id}/retry`, as: key }), 404, 'NOT FOUND', description);
      }
      // My webhook exists, but the event was not sent to it.
      for (const eventId of [published.id, '497f6eca-6276-4993-bfeb-53cbbbba6f08', 'abc']) {
        expectApiError(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${mine.id}/events/${eventId}`, as: key }), 404, 'NOT FOUND', 'No event with that ID was found');
        expectApiError(await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks/${mine.id}/events/${eventId}/retry`, as: key }), 404, 'NOT FOUND', 'No event with that ID was found');
      }
      expect(expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${mine.id}/events`, as: key }), 200)).toEqual({
        events: [],
        page: { size: 20, startId: null, lastId: null },
      });
    });

    it('lets only a key with webhooks:write retry', async () => {
      const brandId = await h().createTenant();
      const key = await h().createKey(brandId);
      const reader = await h().createKey(brandId, { permissions: ['webhooks:read'] });
      const url = rig.routes.on(`/reader/${brandId}`, () => ({}));
      const webhook = await createWebhook(h(), brandId, key, { endpoint: url, events: [smsReceipt] });
      const published = await publishOne(h(), brandId, smsReceipt, {});
      await settledEvent(brandId, key, webhook.id, published.id);
      const retryUrl = `/v1/${brandId}/webhooks/${webhook.id}/events/${published.id}/retry`;
      expectApiError(await h().request({ method: 'POST', url: retryUrl, as: reader }), 403, 'FORBIDDEN');
      expect((await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks/${webhook.id}/events/${published.id}`, as: reader })).statusCode).toBe(200);
    });
  });

  it('documents its seven operations in /openapi.json under its own tag', async () => {
    const doc = (await h().request({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).filter(([, op]) => op.tags?.includes(tag)).map(([method]) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual([
      'DELETE /v1/{brandId}/webhooks/{id}',
      'GET /v1/{brandId}/webhooks',
      'GET /v1/{brandId}/webhooks/{id}',
      'GET /v1/{brandId}/webhooks/{id}/events',
      'GET /v1/{brandId}/webhooks/{id}/events/{eventId}',
      'PATCH /v1/{brandId}/webhooks/{id}',
      'POST /v1/{brandId}/webhooks',
      'POST /v1/{brandId}/webhooks/{id}/events/{eventId}/retry',
    ].sort());
    expect(doc.paths['/v1/{brandId}/webhooks']!.post!.responses['201']!.headers).toHaveProperty('Location');
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0, 50], deliveryTimeoutMs: 2_000 } });

describeEachHerald('flexEngage webhooks API (seed 002), https only, rate-limited', (h) => {
  it('answers 422 for an http:// endpoint, as the guide says', async () => {
    const { brandId, key } = await brand(h());
    const res = await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: { ...documentedWebhook, endpoint: 'http://example.com/my/webhook/endpoint' }, as: key });
    expect(expectValidations(res, ['endpoint']).endpoint).toBe('endpoint must use https://');
    const both = await h().request({ method: 'POST', url: `/v1/${brandId}/webhooks`, payload: { endpoint: 'http://example.com', events: ['NOT VALID'] }, as: key });
    expectValidations(both, ['endpoint', 'events[0]']);
    expect(expectJson(await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks`, as: key }), 200)).toEqual([]);
  });

  it('answers 429 with Retry-After once a key exceeds its rate', async () => {
    const { brandId, key } = await brand(h());
    const answers = await Promise.all(Array.from({ length: 12 }, () => h().request({ method: 'GET', url: `/v1/${brandId}/webhooks`, as: key })));
    const limited = answers.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    expectApiError(limited[0]!, 429, 'TOO MANY REQUESTS');
    expect(limited[0]!.headers['retry-after']).toEqual(expect.any(String));
  });

  it('answers the documented 500 body when something unexpected fails, and leaks nothing', async () => {
    const { brandId, key } = await brand(h());
    const db = h().ctx.db as Queryable;
    const query = db.query;
    db.query = (async (sql: string, params?: unknown[]) => {
      if (/from endpoints/.test(sql)) throw new Error('connection to 10.0.0.7 lost: secret detail');
      return query.call(db, sql, params);
    }) as Queryable['query'];
    try {
      const res = await h().request({ method: 'GET', url: `/v1/${brandId}/webhooks`, as: key });
      expect(expectJson(res, 500)).toEqual({ message: 'Internal Server Error', description: 'The server encountered an unexpected error.', status: 500 });
    } finally {
      db.query = query;
    }
  });
}, { config: { allowHttp: false, rateLimitPerSecond: 10 } });
