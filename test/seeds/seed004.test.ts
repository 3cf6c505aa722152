// The accounts API surface (seed 004): /v1/webhooks CRUD and rotate-secret replayed as the
// document describes them, answers checked field by field, every documented status code, the
// documented URL rule, the secret shown in full only on create and rotate, and rotation that
// invalidates the old secret at once (verified with the standardwebhooks package).
import type { LightMyRequestResponse } from 'fastify';
import { Webhook as StandardWebhook, WebhookVerificationError } from 'standardwebhooks';
import {  describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { deliveryRig, publish, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';

/** The fields of the documented response; account_ids is the only one not marked required. */
const requiredFields = ['account_type', 'created_at', 'enabled', 'id', 'secret', 'url'];
const documentedRegex = /^https:\/\/[-a-zA-Z0-9@:%._\+~#=]{2,256}\.[a-z]{2,6}\b([-a-zA-Z0-9@:%_\+.~#?&\/\/=]*)$/;

interface WebhookBody {
  id: string;
  url: string;
  enabled: boolean;
  account_type: 'live' | 'test';
  account_ids?: string[];
  created_at: string;
  secret: string;
}

function expectWebhook(body: WebhookBody, expected: Partial<WebhookBody>): void {
  expect(Object.keys(body).sort()).toEqual([...requiredFields, ...('account_ids' in expected && expected.account_ids !== undefined ? ['account_ids'] : [])].sort());
  expect(body).toMatchObject(expected);
  expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(body.url).toMatch(documentedRegex);
  expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
}

/** Asserts the surface's error body {"error": {"code", "message"}} and returns the message. */
function expectError(res: LightMyRequestResponse, status: number, code: string): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  return body.error.message;
}

describeEachHerald('Accounts API (seed 004): /v1/webhooks', (h) => {
  const rig = deliveryRig(h, ['payment.sent'], 50);

  let n = 0;
  /** URLs under .test (RFC 2606): they match the documented rule and never reach the network. */
  const hookUrl = () => `https://hooks.acme.test/webhooks/${++n}`;

  async function organisation(environment: 'live' | 'test' = 'live') {
    const tenant = await h().createTenant();
    return { tenant, key: await h().createKey(tenant, { environment }) };
  }

  /** A request as a client of the document sends it: X-API-KEY, JSON body. */
  function call(key: string, method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
    return h().app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': key },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }

  async function create(key: string, body: Record<string, unknown> = {}): Promise<WebhookBody> {
    const res = await call(key, 'POST', '/v1/webhooks', { url: hookUrl(), ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as WebhookBody;
  }

  describe('POST /v1/webhooks', () => {
    it('creates a webhook: 201 with the documented fields and the full secret', async () => {
      const { tenant, key } = await organisation();
      const url = 'https://example.com/webhooks/payments?source=herald';
      const res = await call(key, 'POST', '/v1/webhooks', { url });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as WebhookBody;
      expectWebhook(body, { url, enabled: true, account_type: 'live' });
      expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(Date.now() - Date.parse(body.created_at)).toBeLessThan(10_000);
      // The same endpoint natively: subscribed to every event type, its secret the one shown.
      const native = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${body.id}` });
      expect(native.json()).toMatchObject({ eventTypes: ['*'], accountIds: null, environment: 'live', enabled: true });
      const secret = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${body.id}/secret` });
      expect(secret.json().secret).toBe(body.secret);
    });

    it('keeps account_ids, takes account_type from the key and accepts enabled', async () => {
      const live = await organisation();
      expectWebhook(await create(live.key, { account_ids: ['acc_1', 'acc_2'] }), { account_ids: ['acc_1', 'acc_2'], account_type: 'live' });
      const test = await organisation('test');
      expectWebhook(await create(test.key, { enabled: false }), { enabled: false, account_type: 'test' });
      // An empty filter is no filter: every account.
      expectWebhook(await create(live.key, { account_ids: [] }), { enabled: true });
    });

    it('answers 400 url_invalid for a URL the documented regular expression or Herald refuses', async () => {
      const { key } = await organisation();
      const refusedByRegex = [
        'http://example.com/hook', // not https
        'https://example/hook', // no top-level domain
        'https://example.COM/hook', // the expression wants a lower-case TLD
        'https://10.0.0.1/hook', // an address, not a name
        'https://exa mple.com/hook',
        'example.com/hook',
      ];
      for (const url of refusedByRegex) {
        expect(documentedRegex.test(url), url).toBe(false);
        expect(expectError(await call(key, 'POST', '/v1/webhooks', { url }), 400, 'url_invalid'), url).toMatch(/url must match pattern/);
      }
      const refusedByHerald: [string, RegExp][] = [
        ['https://user:secret@example.com/hook', /user name or password/],
        ['https://example.com/hook#part', /fragment/],
        ['https://example.com:99999/hook', /absolute URL/], // no such port
      ];
      for (const [url, message] of refusedByHerald) {
        expect(documentedRegex.test(url), url).toBe(true);
        expect(expectError(await call(key, 'POST', '/v1/webhooks', { url }), 400, 'url_invalid'), url).toMatch(message);
      }
      expectError(await call(key, 'POST', '/v1/webhooks', {}), 400, 'url_invalid');
      expectError(await call(key, 'POST', '/v1/webhooks', { url: 42 }), 400, 'url_invalid');
    });

    it('answers 400 with a code naming the field for other bad bodies, and 409 for a URL already used', async () => {
      const { key } = await organisation();
      expect(expectError(await call(key, 'POST', '/v1/webhooks', { url: hookUrl(), account_ids: [''] }), 400, 'id_invalid')).toMatch(/account_ids\[0\]/);
      expectError(await call(key, 'POST', '/v1/webhooks', { url: hookUrl(), account_ids: 'acc_1' }), 400, 'id_invalid');
      expectError(await call(key, 'POST', '/v1/webhooks', { url: hookUrl(), enabled: 'yes' }), 400, 'enabled_invalid');
      expect(expectError(await call(key, 'POST', '/v1/webhooks', { url: hookUrl(), event_types: ['*'] }), 400, 'request_invalid')).toMatch(/event_types/);
      expectError(await call(key, 'POST', '/v1/webhooks', ['https://example.com']), 400, 'request_invalid');
      const malformed = await h().app.inject({ method: 'POST', url: '/v1/webhooks', headers: { 'x-api-key': key, 'content-type': 'application/json' }, payload: '{"url":' });
      expect(expectError(malformed, 400, 'request_invalid')).toMatch(/not valid JSON/);
      const url = hookUrl();
      await create(key, { url });
      expect(expectError(await call(key, 'POST', '/v1/webhooks', { url }), 409, 'conflict')).toMatch(/already exists/);
    });
  });

  describe('GET /v1/webhooks', () => {
    it('lists the organisation\'s webhooks, newest first, each secret as its last 4 characters', async () => {
      const { key } = await organisation();
      const first = await create(key);
      const second = await create(key, { account_ids: ['acc_1'] });
      const res = await call(key, 'GET', '/v1/webhooks');
      expect(res.statusCode, res.body).toBe(200);
      const list = res.json() as WebhookBody[];
      expect(Array.isArray(list)).toBe(true);
      expect(list.map((w) => w.id)).toEqual([second.id, first.id]);
      expectWebhook(list[0]!, { ...second, secret: second.secret.slice(-4) });
      expectWebhook(list[1]!, { ...first, secret: first.secret.slice(-4) });
      expect(list[1]!.secret).toHaveLength(4);
      // Another organisation, or another environment, sees none of them.
      expect((await call((await organisation()).key, 'GET', '/v1/webhooks')).json()).toEqual([]);
    });

    it('account_id returns the webhooks that push events of that account: filtering on it or on no account', async () => {
      const { key } = await organisation();
      const acc1 = await create(key, { account_ids: ['acc_1'] });
      const acc2 = await create(key, { account_ids: ['acc_2', 'acc_3'] });
      const all = await create(key);
      const ids = async (query: string) => ((await call(key, 'GET', `/v1/webhooks${query}`)).json() as WebhookBody[]).map((w) => w.id);
      expect(await ids('')).toEqual([all.id, acc2.id, acc1.id]);
      expect(await ids('?account_id=acc_1')).toEqual([all.id, acc1.id]);
      expect(await ids('?account_id=acc_3')).toEqual([all.id, acc2.id]);
      expect(await ids('?account_id=acc_9')).toEqual([all.id]);
      expectError(await call(key, 'GET', '/v1/webhooks?accountId=acc_1'), 400, 'request_invalid');
    });

    it('a test key lists only test webhooks, a live key only live ones', async () => {
      const { tenant, key } = await organisation();
      const testKey = await h().createKey(tenant, { environment: 'test' });
      const live = await create(key);
      const test = await create(testKey);
      expect(((await call(key, 'GET', '/v1/webhooks')).json() as WebhookBody[]).map((w) => w.id)).toEqual([live.id]);
      expect(((await call(testKey, 'GET', '/v1/webhooks')).json() as WebhookBody[]).map((w) => [w.id, w.account_type])).toEqual([[test.id, 'test']]);
    });
  });

  describe('GET /v1/webhooks/{id}', () => {
    it('answers the webhook with the last 4 characters of its secret', async () => {
      const { key } = await organisation();
      const created = await create(key, { account_ids: ['acc_1'] });
      const res = await call(key, 'GET', `/v1/webhooks/${created.id}`);
      expect(res.statusCode, res.body).toBe(200);
      expectWebhook(res.json(), { ...created, secret: created.secret.slice(-4) });
    });

    it('answers 404 for unknown, malformed and other organisations\' ids, 401 without a valid key', async () => {
      const { key } = await organisation();
      const foreign = await create((await organisation()).key);
      for (const id of [newId(), 'not-an-id', foreign.id]) {
        expectError(await call(key, 'GET', `/v1/webhooks/${id}`), 404, 'not_found');
      }
      expectError(await h().app.inject({ method: 'GET', url: `/v1/webhooks/${foreign.id}` }), 401, 'unauthorized');
      expectError(await call('hk_live_not_a_key', 'GET', '/v1/webhooks'), 401, 'unauthorized');
    });
  });

  describe('PUT /v1/webhooks/{id}', () => {
    it('updates the url; enabled and account_ids keep their values when not given; the secret is kept', async () => {
      const { tenant, key } = await organisation();
      const created = await create(key, { account_ids: ['acc_1'], enabled: false });
      const url = 'https://new.example.com/hook';
      const res = await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url });
      expect(res.statusCode, res.body).toBe(200);
      expectWebhook(res.json(), { id: created.id, url, enabled: false, account_ids: ['acc_1'], created_at: created.created_at, secret: created.secret.slice(-4) });

      const enabled = await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url, enabled: true, account_ids: ['acc_2', 'acc_3'] });
      expectWebhook(enabled.json(), { enabled: true, account_ids: ['acc_2', 'acc_3'] });
      // An empty list removes the filter: every account again.
      const cleared = await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url, account_ids: [] });
      expectWebhook(cleared.json(), { enabled: true });
      expect(cleared.json()).not.toHaveProperty('account_ids');

      const native = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${created.id}` });
      expect(native.json()).toMatchObject({ url, eventTypes: ['*'], accountIds: null, enabled: true });
      const secret = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${created.id}/secret` });
      expect(secret.json().secret).toBe(created.secret);
    });

    it('answers 400 for a bad body (url is required) and 404 for an unknown webhook', async () => {
      const { key } = await organisation();
      const created = await create(key);
      expectError(await call(key, 'PUT', `/v1/webhooks/${created.id}`, { enabled: false }), 400, 'url_invalid');
      expectError(await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url: 'http://example.com/x' }), 400, 'url_invalid');
      expectError(await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url: hookUrl(), account_ids: [7] }), 400, 'id_invalid');
      expectError(await call(key, 'PUT', `/v1/webhooks/${created.id}`, { url: hookUrl(), enabled: null }), 400, 'enabled_invalid');
      expectError(await call(key, 'PUT', `/v1/webhooks/${newId()}`, { url: hookUrl() }), 404, 'not_found');
      expect((await call(key, 'GET', `/v1/webhooks/${created.id}`)).json()).toMatchObject({ url: created.url, enabled: true });
    });
  });

  describe('DELETE /v1/webhooks/{id}', () => {
    it('answers 204 with no body; the webhook is gone (404 afterwards)', async () => {
      const { key } = await organisation();
      const created = await create(key);
      const res = await call(key, 'DELETE', `/v1/webhooks/${created.id}`);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectError(await call(key, 'GET', `/v1/webhooks/${created.id}`), 404, 'not_found');
      expectError(await call(key, 'DELETE', `/v1/webhooks/${created.id}`), 404, 'not_found');
      // Some clients declare a JSON body they do not send.
      const again = await create(key);
      const withHeader = await h().app.inject({ method: 'DELETE', url: `/v1/webhooks/${again.id}`, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
      expect(withHeader.statusCode, withHeader.body).toBe(204);
    });

    it('a key without webhooks:write may read but not change (403)', async () => {
      const { tenant, key } = await organisation();
      const created = await create(key);
      const readOnly = await h().createKey(tenant, { permissions: ['webhooks:read'] });
      expect((await call(readOnly, 'GET', `/v1/webhooks/${created.id}`)).statusCode).toBe(200);
      expectError(await call(readOnly, 'DELETE', `/v1/webhooks/${created.id}`), 403, 'forbidden');
      expectError(await call(readOnly, 'POST', '/v1/webhooks', { url: hookUrl() }), 403, 'forbidden');
    });
  });

  describe('PUT /v1/webhooks/{id}/rotate-secret', () => {
    it('answers the webhook with its new secret in full; afterwards only its last 4 characters are shown', async () => {
      const { tenant, key } = await organisation();
      const created = await create(key, { account_ids: ['acc_1'] });
      const res = await call(key, 'PUT', `/v1/webhooks/${created.id}/rotate-secret`);
      expect(res.statusCode, res.body).toBe(200);
      const rotated = res.json() as WebhookBody;
      expectWebhook(rotated, { id: created.id, url: created.url, enabled: true, account_type: 'live', account_ids: ['acc_1'], created_at: created.created_at });
      expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(rotated.secret).not.toBe(created.secret);
      expect((await call(key, 'GET', `/v1/webhooks/${created.id}`)).json().secret).toBe(rotated.secret.slice(-4));
      const secret = await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${created.id}/secret` });
      expect(secret.json().secret).toBe(rotated.secret);
      // With a declared but empty JSON body too.
      const again = await h().app.inject({ method: 'PUT', url: `/v1/webhooks/${created.id}/rotate-secret`, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().secret).not.toBe(rotated.secret);
      expectError(await call(key, 'PUT', `/v1/webhooks/${newId()}/rotate-secret`), 404, 'not_found');
    });

    it('invalidates the old secret at once: the next delivery verifies with the new secret only', async () => {
      const { tenant, key } = await organisation();
      const created = await create(key);
      // The documented rule allows only public https URLs; to receive on loopback, the operator
      // points the same endpoint at the test rig.receiver through the native API.
      const path = `/accounts/${tenant}`;
      const patched = await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}/endpoints/${created.id}`, payload: { url: rig.routes.on(path, () => ({})) } });
      expect(patched.statusCode, patched.body).toBe(200);
      const deliver = async () => {
        const res = await publish(h(), tenant, { type: 'payment.sent', data: { amount: 1 } });
        expect(res.statusCode, res.body).toBe(202);
        const id = res.json().id as string;
        return waitFor('the delivery', async () => rig.routes.requests(path).find((r) => r.headers['webhook-id'] === id));
      };
      const verify = (secret: string, request: { body: string; headers: Record<string, unknown> }) =>
        new StandardWebhook(secret).verify(request.body, request.headers as Record<string, string>);

      const before = await deliver();
      expect(verify(created.secret, before)).toMatchObject({ type: 'payment.sent' });

      const rotated = (await call(key, 'PUT', `/v1/webhooks/${created.id}/rotate-secret`)).json() as WebhookBody;
      const after = await deliver();
      expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
      expect(verify(rotated.secret, after)).toMatchObject({ type: 'payment.sent', webhookId: created.id });
      expect(() => verify(created.secret, after)).toThrow(WebhookVerificationError);
    });
  });

  describe('deliveries', () => {
    it('natively published events fan out to these webhooks by account filter; disabled ones get none', async () => {
      const { tenant, key } = await organisation();
      const acc1 = await create(key, { account_ids: ['acc_1'] });
      const all = await create(key);
      const disabled = await create(key, { enabled: false });
      const events: Record<string, string> = {};
      for (const accountId of ['acc_1', 'acc_2', null]) {
        const res = await publish(h(), tenant, { type: 'payment.sent', data: {}, ...(accountId ? { accountId } : {}) });
        expect(res.statusCode, res.body).toBe(202);
        events[String(accountId)] = res.json().id;
      }
      const rows = await h().ctx.db.query<{ endpoint_id: string; event_id: string }>('select endpoint_id, event_id from deliveries where tenant_id = $1', [tenant]);
      const of = (endpointId: string) => rows.filter((r) => r.endpoint_id === endpointId).map((r) => r.event_id).sort();
      expect(of(acc1.id)).toEqual([events.acc_1]);
      expect(of(all.id)).toEqual([events.acc_1, events.acc_2, events.null].sort());
      expect(of(disabled.id)).toEqual([]);
    });
  });

  describe('authentication and tenancy', () => {
    it('takes the key as X-API-KEY or Authorization: Bearer; the operator names the organisation in X-Herald-Tenant', async () => {
      const { tenant, key } = await organisation();
      const created = await create(key);
      expect((await h().request({ method: 'GET', url: `/v1/webhooks/${created.id}`, as: key })).statusCode).toBe(200);
      const asOperator = await h().request({ method: 'GET', url: '/v1/webhooks', headers: { 'x-herald-tenant': tenant } });
      expect((asOperator.json() as WebhookBody[]).map((w) => w.id)).toEqual([created.id]);
      expect(expectError(await h().request({ method: 'GET', url: '/v1/webhooks' }), 400, 'request_invalid')).toMatch(/X-Herald-Tenant/);
    });
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0] } });

describeEachHerald('Accounts API (seed 004): rate limit', (h) => {
  it('answers 429 with Retry-After in the surface\'s error format once a key spends its budget', async () => {
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await h().app.inject({ method: 'GET', url: '/v1/webhooks', headers: { 'x-api-key': key } }));
    expect(answers.slice(0, 2).map((r) => r.statusCode)).toEqual([200, 200]);
    const limited = answers.find((r) => r.statusCode === 429)!;
    expect(limited).toBeDefined();
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toEqual({ error: { code: 'rate_limit_exceeded', message: expect.stringMatching(/rate limit/) } });
  });
}, { config: { rateLimitPerSecond: 2 } });
