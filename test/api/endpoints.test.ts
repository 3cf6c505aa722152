import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/domain/cursor.ts';
import { newId } from '../../src/domain/ids.ts';
import { anonymous, expectFieldErrors, expectProblem, walkPages } from '../support/api.ts';
import { describeEachHerald, testHerald, type TestHerald } from '../support/herald.ts';

const hour = 3_600_000;

describeEachHerald('API: /v1/tenants/{tenantId}/endpoints', (h) => {
  const endpointsOf = (tenant: string) => `/v1/tenants/${tenant}/endpoints`;
  let n = 0;
  /** A URL no other test uses, so the duplicate rule never interferes. */
  const uniqueUrl = () => `https://hooks.example.com/${++n}`;

  async function createEndpoint(tenant: string, body: Record<string, unknown> = {}, as?: string) {
    const res = await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['payment.*'], ...body }, ...(as ? { as } : {}) });
    if (res.statusCode !== 201) throw new Error(`createEndpoint: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, any> & { id: string; secret: string };
  }

  describe('create', () => {
    it('POST creates an endpoint with defaults and answers its whsec_ secret (201)', async () => {
      const tenant = await h().createTenant();
      const res = await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: 'https://example.com/hook', eventTypes: ['payment.*', 'order.created'] } });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        tenantId: tenant, url: 'https://example.com/hook', eventTypes: ['payment.*', 'order.created'], description: '',
        accountIds: null, environment: 'live', enabled: true, disabledReason: null, headers: {}, metadata: {},
      });
      expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    });

    it('POST keeps every optional field and a given secret', async () => {
      const tenant = await h().createTenant();
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const res = await h().request({
        method: 'POST',
        url: endpointsOf(tenant),
        payload: {
          url: 'https://example.com/all', eventTypes: ['*'], description: 'all of it', accountIds: ['acc_1'], environment: 'test',
          enabled: false, headers: { 'X-Team': 'billing' }, metadata: { owner: 'ops' }, secret,
        },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        description: 'all of it', accountIds: ['acc_1'], environment: 'test', enabled: false,
        disabledReason: 'disabled through the API', headers: { 'X-Team': 'billing' }, metadata: { owner: 'ops' }, secret,
      });
    });

    it('POST normalises the URL: lower-case punycode host', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant, { url: 'https://BÜCHER.example/Hook?x=1' });
      expect(endpoint.url).toBe('https://xn--bcher-kva.example/Hook?x=1');
    });

    it('POST answers 422 naming the URL rule that failed', async () => {
      const tenant = await h().createTenant();
      const cases: [string, RegExp][] = [
        ['http://example.com/hook', /must use https:\/\//],
        ['https://user:pw@example.com/hook', /user name or password/],
        ['https://example.com/hook#part', /fragment/],
        ['not a url', /absolute URL/],
        ['ftp://example.com/x', /must use https:\/\//],
        ['https://localhost/hook', /loopback/],
        ['https://127.0.0.1/hook', /loopback/],
        ['https://10.1.2.3/hook', /private/],
        ['https://[::1]/hook', /loopback/],
        [`https://example.com/${'a'.repeat(2048)}`, /at most 2048/],
      ];
      for (const [url, message] of cases) {
        const [error] = expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url, eventTypes: ['*'] } }), ['url']);
        expect(error!.message, url).toMatch(message);
      }
    });

    it('POST answers 422 for forbidden custom headers, with one path per header', async () => {
      const tenant = await h().createTenant();
      const headers = {
        'X-Ok': 'fine',
        'X-Split': 'a\r\nInjected: yes',
        'X-Newline': 'a\nb',
        Host: 'evil.example',
        'Content-Length': '1',
        'content-type': 'text/plain',
        'Webhook-Signature': 'v1,forged',
        'webhook-id': 'x',
        'Bad Name': 'x',
      };
      const errors = expectFieldErrors(
        await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['*'], headers } }),
        ['headers.X-Split', 'headers.X-Newline', 'headers.Host', 'headers.Content-Length', 'headers.content-type', 'headers.Webhook-Signature', 'headers.webhook-id', 'headers.Bad Name'],
      );
      expect(errors.find((e) => e.path === 'headers.X-Split')!.message).toMatch(/CR, LF/);
      expect(errors.find((e) => e.path === 'headers.Host')!.message).toMatch(/cannot be set/);
    });

    it('POST answers 422 for missing, empty or invalid event types, a bad secret, and every problem at once', async () => {
      const tenant = await h().createTenant();
      expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl() } }), ['eventTypes']);
      expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: [] } }), ['eventTypes']);
      expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['ok', 'bad..type', '*.x'] } }), ['eventTypes[1]', 'eventTypes[2]']);
      expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['*'], secret: 'whsec_short' } }), ['secret']);
      expectFieldErrors(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['*'], colour: 'red' } }), ['colour']);
      expectFieldErrors(
        await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url: 'http://x.example', eventTypes: ['a b'], headers: { Host: 'x' }, secret: 'nope' } }),
        ['url', 'eventTypes[0]', 'headers.Host', 'secret'],
      );
      expect((await h().request({ method: 'GET', url: endpointsOf(tenant) })).json().data).toEqual([]);
    });

    it('POST answers 409 for the same URL and the same set of event types in one tenant, in any order', async () => {
      const tenant = await h().createTenant();
      const other = await h().createTenant();
      const url = uniqueUrl();
      await createEndpoint(tenant, { url, eventTypes: ['a.b', 'c.d'] });
      expectProblem(await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url, eventTypes: ['c.d', 'a.b'] } }), 409, 'conflict');
      expect((await h().request({ method: 'POST', url: endpointsOf(tenant), payload: { url, eventTypes: ['a.b'] } })).statusCode).toBe(201);
      expect((await h().request({ method: 'POST', url: endpointsOf(other), payload: { url, eventTypes: ['a.b', 'c.d'] } })).statusCode).toBe(201);
    });
  });

  describe('secrets', () => {
    it('are encrypted at rest: the secret_sealed column does not contain the secret', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const [row] = await h().ctx.db.query<{ secret_sealed: string }>('select secret_sealed from endpoints where id = $1', [endpoint.id]);
      expect(row!.secret_sealed).toMatch(/^v1\./);
      expect(row!.secret_sealed).not.toContain(endpoint.secret);
      expect(row!.secret_sealed).not.toContain(endpoint.secret.slice('whsec_'.length));
      expect(h().ctx.box.open(row!.secret_sealed)).toBe(endpoint.secret);
    });

    it('GET …/secret answers the current secret; GET of the endpoint never shows it', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const res = await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ secret: endpoint.secret });
      const read = await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}` });
      expect(read.json()).not.toHaveProperty('secret');
      expect(read.body).not.toContain(endpoint.secret);
    });

    it('POST …/rotate-secret answers a new secret and keeps the old one for 24 hours by default', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const before = Date.now();
      const res = await h().request({ method: 'POST', url: `${endpointsOf(tenant)}/${endpoint.id}/rotate-secret` });
      expect(res.statusCode).toBe(200);
      const { secret } = res.json();
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(endpoint.secret);
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret` })).json().secret).toBe(secret);

      const [row] = await h().ctx.db.query<{ previous_secret_sealed: string; previous_secret_expires_at: Date; secret_sealed: string }>(
        'select secret_sealed, previous_secret_sealed, previous_secret_expires_at from endpoints where id = $1', [endpoint.id]);
      expect(h().ctx.box.open(row!.secret_sealed)).toBe(secret);
      expect(h().ctx.box.open(row!.previous_secret_sealed)).toBe(endpoint.secret);
      expect(row!.previous_secret_sealed).not.toContain(endpoint.secret.slice('whsec_'.length));
      expect(row!.previous_secret_expires_at.getTime()).toBeGreaterThanOrEqual(before + 24 * hour - 5_000);
      expect(row!.previous_secret_expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 24 * hour + 5_000);
    });

    it('POST …/rotate-secret with gracePeriodSeconds 0 clears the previous secret at once, and takes a given secret', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const given = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
      const res = await h().request({ method: 'POST', url: `${endpointsOf(tenant)}/${endpoint.id}/rotate-secret`, payload: { secret: given, gracePeriodSeconds: 0 } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ secret: given });
      const [row] = await h().ctx.db.query('select previous_secret_sealed, previous_secret_expires_at from endpoints where id = $1', [endpoint.id]);
      expect(row).toEqual({ previous_secret_sealed: null, previous_secret_expires_at: null });
    });

    it('POST …/rotate-secret accepts the longest grace period, 30 days', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const res = await h().request({ method: 'POST', url: `${endpointsOf(tenant)}/${endpoint.id}/rotate-secret`, payload: { gracePeriodSeconds: 30 * 86_400 } });
      expect(res.statusCode).toBe(200);
      const [row] = await h().ctx.db.query<{ previous_secret_expires_at: Date }>('select previous_secret_expires_at from endpoints where id = $1', [endpoint.id]);
      expect(Math.abs(row!.previous_secret_expires_at.getTime() - (Date.now() + 30 * 24 * hour))).toBeLessThan(10_000);
    });

    it('POST …/rotate-secret answers 422 for a bad secret or grace period and keeps the secret', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const url = `${endpointsOf(tenant)}/${endpoint.id}/rotate-secret`;
      expectFieldErrors(await h().request({ method: 'POST', url, payload: { secret: 'whsec_!!' } }), ['secret']);
      expectFieldErrors(await h().request({ method: 'POST', url, payload: { gracePeriodSeconds: -1 } }), ['gracePeriodSeconds']);
      expectFieldErrors(await h().request({ method: 'POST', url, payload: { gracePeriodSeconds: 30 * 86_400 + 1 } }), ['gracePeriodSeconds']);
      expectFieldErrors(await h().request({ method: 'POST', url, payload: { grace: 1 } }), ['grace']);
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret` })).json().secret).toBe(endpoint.secret);
    });
  });

  describe('read', () => {
    it('GET one answers the endpoint; 404 for an unknown id or a non-UUID id', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant, { description: 'one' });
      const res = await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}` });
      expect(res.statusCode).toBe(200);
      const { secret: _secret, ...withoutSecret } = endpoint;
      expect(res.json()).toEqual(withoutSecret);
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${newId()}` }), 404, 'not_found');
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/abc` }), 404, 'not_found');
    });

    it('GET list walks every endpoint exactly once, newest first, even while endpoints are added', async () => {
      const tenant = await h().createTenant();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await createEndpoint(tenant)).id);
      const { ids: walked, pages } = await walkPages(h(), endpointsOf(tenant), { limit: 3 });
      expect(walked).toEqual([...ids].reverse());
      expect(pages).toBe(3);

      // Keyset paging: an endpoint created between pages neither shifts nor repeats the rest.
      const first = (await h().request({ method: 'GET', url: `${endpointsOf(tenant)}?limit=3` })).json();
      await createEndpoint(tenant);
      const rest = await walkPages(h(), endpointsOf(tenant), { limit: 3, cursor: first.nextCursor });
      expect([...first.data.map((e: { id: string }) => e.id), ...rest.ids]).toEqual([...ids].reverse());
    });

    it('GET list answers 400 for a bad limit or a cursor that is garbage or carries something other than an id', async () => {
      const tenant = await h().createTenant();
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}?limit=0` }), 400, 'malformed_request');
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}?limit=251` }), 400, 'malformed_request');
      for (const cursor of ['garbage', encodeCursor(['abc']), encodeCursor(['2024-01-01', 3])]) {
        const problem = expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}?cursor=${cursor}` }), 400, 'malformed_request');
        expect(problem.detail).toMatch(/cursor is not valid/);
      }
    });
  });

  describe('update', () => {
    it('PUT replaces every field: absent ones take their defaults; the secret is kept', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant, { description: 'old', accountIds: ['a'], headers: { 'X-A': '1' }, metadata: { m: 1 }, enabled: false });
      const url = uniqueUrl();
      const res = await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { url, eventTypes: ['order.*'] } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        id: endpoint.id, url, eventTypes: ['order.*'], description: '', accountIds: null, enabled: true, disabledReason: null, headers: {}, metadata: {},
      });
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret` })).json().secret).toBe(endpoint.secret);
    });

    it('PUT answers 422 for invalid fields and 404 for an unknown or non-UUID id', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      expectFieldErrors(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { eventTypes: ['*'] } }), ['url']);
      expectFieldErrors(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { url: 'http://example.com', eventTypes: ['*'] } }), ['url']);
      expectFieldErrors(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { url: uniqueUrl(), eventTypes: ['*'], secret: endpoint.secret } }), ['secret']);
      expectProblem(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${newId()}`, payload: { url: uniqueUrl(), eventTypes: ['*'] } }), 404, 'not_found');
      expectProblem(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/abc`, payload: { url: uniqueUrl(), eventTypes: ['*'] } }), 404, 'not_found');
    });

    it('PUT and PATCH answer 409 when the change would duplicate another endpoint', async () => {
      const tenant = await h().createTenant();
      const first = await createEndpoint(tenant, { eventTypes: ['x.y', 'z'] });
      const second = await createEndpoint(tenant, { eventTypes: ['z', 'x.y'] });
      expectProblem(await h().request({ method: 'PUT', url: `${endpointsOf(tenant)}/${second.id}`, payload: { url: first.url, eventTypes: ['x.y', 'z'] } }), 409, 'conflict');
      expectProblem(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${second.id}`, payload: { url: first.url } }), 409, 'conflict');
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${second.id}` })).json().url).toBe(second.url);
    });

    it('PATCH changes only the given fields', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant, { description: 'keep', headers: { 'X-A': '1' }, metadata: { m: 1 }, accountIds: ['a'] });
      const res = await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { eventTypes: ['*'], metadata: { m: 2 } } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ url: endpoint.url, description: 'keep', headers: { 'X-A': '1' }, accountIds: ['a'], eventTypes: ['*'], metadata: { m: 2 } });
      const cleared = await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { accountIds: null } });
      expect(cleared.json().accountIds).toBeNull();
    });

    it('PATCH enabled: false disables with a reason, enabled: true re-enables and clears it', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const disabled = (await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { enabled: false } })).json();
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'disabled through the API' });
      expect(disabled.disabledAt).not.toBeNull();
      const enabled = (await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { enabled: true } })).json();
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    });

    it('PATCH answers 422 for invalid fields and 404 for an unknown or non-UUID id', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      expectFieldErrors(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { url: 'https://a:b@example.com' } }), ['url']);
      expectFieldErrors(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { headers: { 'Webhook-Id': 'x' } } }), ['headers.Webhook-Id']);
      expectFieldErrors(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${endpoint.id}`, payload: { enabled: 'no' } }), ['enabled']);
      expectProblem(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${newId()}`, payload: { enabled: false } }), 404, 'not_found');
      expectProblem(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/abc`, payload: { enabled: false } }), 404, 'not_found');
    });

    it('DELETE removes an endpoint (204), then it is 404; unknown and non-UUID ids are 404', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const res = await h().request({ method: 'DELETE', url: `${endpointsOf(tenant)}/${endpoint.id}` });
      expect(res.statusCode).toBe(204);
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}` }), 404, 'not_found');
      expectProblem(await h().request({ method: 'DELETE', url: `${endpointsOf(tenant)}/${endpoint.id}` }), 404, 'not_found');
      expectProblem(await h().request({ method: 'DELETE', url: `${endpointsOf(tenant)}/abc` }), 404, 'not_found');
    });
  });

  describe('access', () => {
    /** Every endpoint route, aimed at one endpoint of `tenant`. */
    const routesFor = (tenant: string, endpointId: string) => [
      { method: 'POST', url: endpointsOf(tenant), payload: { url: uniqueUrl(), eventTypes: ['*'] } },
      { method: 'GET', url: endpointsOf(tenant) },
      { method: 'GET', url: `${endpointsOf(tenant)}/${endpointId}` },
      { method: 'PUT', url: `${endpointsOf(tenant)}/${endpointId}`, payload: { url: uniqueUrl(), eventTypes: ['*'] } },
      { method: 'PATCH', url: `${endpointsOf(tenant)}/${endpointId}`, payload: { description: 'changed' } },
      { method: 'GET', url: `${endpointsOf(tenant)}/${endpointId}/secret` },
      { method: 'POST', url: `${endpointsOf(tenant)}/${endpointId}/rotate-secret`, payload: {} },
      { method: 'DELETE', url: `${endpointsOf(tenant)}/${endpointId}` },
    ] as { method: 'GET'; url: string; payload?: object }[];

    it('a tenant key manages its own endpoints on every route', async () => {
      const tenant = await h().createTenant();
      const key = await h().createKey(tenant);
      const endpoint = await createEndpoint(tenant, {}, key);
      const statuses = [];
      for (const route of routesFor(tenant, endpoint.id)) statuses.push((await h().request({ ...route, as: key })).statusCode);
      expect(statuses).toEqual([201, 200, 200, 200, 200, 200, 200, 204]);
    });

    it('every route answers 401 without credentials or with a revoked key', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const keyRes = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/api-keys`, payload: { name: 'soon revoked' } });
      await h().request({ method: 'DELETE', url: `/v1/tenants/${tenant}/api-keys/${keyRes.json().id}` });
      for (const route of routesFor(tenant, endpoint.id)) {
        expectProblem(await anonymous(h(), route.method, route.url, route.payload), 401, 'unauthenticated');
        expectProblem(await h().request({ ...route, as: keyRes.json().key }), 401, 'unauthenticated');
      }
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}` })).json().description).toBe('');
    });

    it("every route answers 404 to another tenant's key, through either tenant's path, and changes nothing", async () => {
      const tenant = await h().createTenant();
      const other = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const foreign = await h().createKey(other);
      for (const route of routesFor(tenant, endpoint.id)) {
        expectProblem(await h().request({ ...route, as: foreign }), 404, 'not_found');
      }
      // Another tenant's endpoint id under the key's own tenant is unknown there.
      for (const route of routesFor(other, endpoint.id).filter((r) => r.url.includes(endpoint.id))) {
        expectProblem(await h().request({ ...route, as: foreign }), 404, 'not_found');
      }
      const still = await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}` });
      expect(still.json()).toMatchObject({ url: endpoint.url, description: '' });
      expect((await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret` })).json().secret).toBe(endpoint.secret);
    });

    it('a key without webhooks:write answers 403 on every write and may still read', async () => {
      const tenant = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const readOnly = await h().createKey(tenant, { permissions: ['webhooks:read'] });
      const statuses = [];
      for (const route of routesFor(tenant, endpoint.id)) statuses.push((await h().request({ ...route, as: readOnly })).statusCode);
      expect(statuses).toEqual([403, 200, 200, 403, 403, 200, 403, 403]);
    });

    it('a key without webhooks:read answers 403 on reads, and 404 (not 403) for another tenant', async () => {
      const tenant = await h().createTenant();
      const other = await h().createTenant();
      const endpoint = await createEndpoint(tenant);
      const publisher = await h().createKey(tenant, { permissions: ['events:publish'] });
      expectProblem(await h().request({ method: 'GET', url: endpointsOf(tenant), as: publisher }), 403, 'forbidden');
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(tenant)}/${endpoint.id}/secret`, as: publisher }), 403, 'forbidden');
      expectProblem(await h().request({ method: 'GET', url: endpointsOf(other), as: publisher }), 404, 'not_found');
    });

    it("a partner key manages its children's endpoints but not its grandchildren's", async () => {
      const partner = await h().createTenant();
      const child = await h().createTenant({ parentId: partner });
      const grandchild = await h().createTenant({ parentId: child });
      const partnerKey = await h().createKey(partner);
      const created = await createEndpoint(child, {}, partnerKey);
      expect(created.tenantId).toBe(child);
      expect((await h().request({ method: 'GET', url: `${endpointsOf(child)}/${created.id}`, as: partnerKey })).statusCode).toBe(200);
      expectProblem(await h().request({ method: 'GET', url: endpointsOf(grandchild), as: partnerKey }), 404, 'not_found');
      const childKey = await h().createKey(child);
      const partnerEndpoint = await createEndpoint(partner);
      expectProblem(await h().request({ method: 'GET', url: `${endpointsOf(partner)}/${partnerEndpoint.id}`, as: childKey }), 404, 'not_found');
    });

    it('a test key creates test endpoints, sees only test endpoints and cannot create or move to live (403)', async () => {
      const tenant = await h().createTenant();
      const testKey = await h().createKey(tenant, { environment: 'test' });
      const live = await createEndpoint(tenant, { environment: 'live' });
      const test = await createEndpoint(tenant, {}, testKey);
      expect(test.environment).toBe('test');

      const listed = (await h().request({ method: 'GET', url: endpointsOf(tenant), as: testKey })).json().data.map((e: { id: string }) => e.id);
      expect(listed).toEqual([test.id]);
      for (const route of routesFor(tenant, live.id).filter((r) => r.url.includes(live.id))) {
        expectProblem(await h().request({ ...route, as: testKey }), 404, 'not_found');
      }
      expectProblem(await h().request({ method: 'POST', url: endpointsOf(tenant), as: testKey, payload: { url: uniqueUrl(), eventTypes: ['*'], environment: 'live' } }), 403, 'forbidden');
      expectProblem(await h().request({ method: 'PATCH', url: `${endpointsOf(tenant)}/${test.id}`, as: testKey, payload: { environment: 'live' } }), 403, 'forbidden');
      // The operator sees both.
      const all = (await h().request({ method: 'GET', url: endpointsOf(tenant) })).json().data.map((e: { id: string }) => e.id);
      expect(all.sort()).toEqual([live.id, test.id].sort());
    });

    it('every route answers 404 for an unknown tenant', async () => {
      for (const route of routesFor('no-such-tenant', newId())) {
        expectProblem(await h().request(route), 404, 'not_found');
      }
    });
  });
});

describe('API: endpoints with HERALD_ALLOW_HTTP', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await testHerald({ config: { allowHttp: true } });
  });
  afterAll(() => h.close());

  it('accepts http:// URLs, still refuses other schemes and loopback addresses', async () => {
    const tenant = await h.createTenant();
    const ok = await h.request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: 'http://example.com/hook', eventTypes: ['*'] } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().url).toBe('http://example.com/hook');
    const [scheme] = expectFieldErrors(await h.request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: 'ftp://example.com/', eventTypes: ['*'] } }), ['url']);
    expect(scheme!.message).toMatch(/https:\/\/ or http:\/\//);
    expectFieldErrors(await h.request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: 'http://127.0.0.1/', eventTypes: ['*'] } }), ['url']);
  });
});
