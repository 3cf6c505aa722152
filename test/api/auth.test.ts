import { beforeAll, expect, it } from 'vitest';
import { anonymous, expectProblem } from '../support/api.ts';
import { adminToken, describeEachHerald } from '../support/herald.ts';

describeEachHerald('API: authentication and tenant isolation', (h) => {
  let tenant: string;
  let key: string;
  beforeAll(async () => {
    tenant = await h().createTenant();
    key = await h().createKey(tenant);
  });
  const get = (headers: Record<string, string>) => h().app.inject({ method: 'GET', url: `/v1/tenants/${tenant}`, headers });

  it('accepts a key as "Authorization: Bearer", in any case of the scheme', async () => {
    expect((await get({ authorization: `Bearer ${key}` })).statusCode).toBe(200);
    expect((await get({ authorization: `bearer ${key}` })).statusCode).toBe(200);
  });

  it('accepts a key as "X-API-KEY"', async () => {
    const res = await get({ 'x-api-key': key });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(tenant);
  });

  it('accepts the operator token both ways', async () => {
    expect((await h().app.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer ${adminToken}` } })).statusCode).toBe(200);
    expect((await h().app.inject({ method: 'GET', url: '/v1/tenants', headers: { 'x-api-key': adminToken } })).statusCode).toBe(200);
  });

  it('answers 401 with WWW-Authenticate and a problem body when credentials are missing', async () => {
    const res = await anonymous(h(), 'GET', `/v1/tenants/${tenant}`);
    const problem = expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(problem.detail).toMatch(/X-API-KEY/);
  });

  it('answers 401 for an unknown key, another scheme, an empty bearer or an empty X-API-KEY', async () => {
    const attempts: Record<string, string>[] = [
      { authorization: 'Bearer hk_live_unknownunknownunknownunknown0' },
      { 'x-api-key': 'hk_live_unknownunknownunknownunknown0' },
      { authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` },
      { authorization: 'Bearer ' },
      { 'x-api-key': '   ' },
      { authorization: `Bearer ${key.slice(0, -1)}` },
    ];
    for (const headers of attempts) {
      expectProblem(await get(headers), 401, 'unauthenticated');
    }
  });

  it('answers 401 once a key is revoked or its tenant deleted', async () => {
    const doomed = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: `/v1/tenants/${doomed}/api-keys`, payload: { name: 'k' } })).json();
    const sibling = await h().createKey(doomed);
    await h().request({ method: 'DELETE', url: `/v1/tenants/${doomed}/api-keys/${created.id}` });
    expectProblem(await get({ 'x-api-key': created.key }), 401, 'unauthenticated');
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${doomed}`, as: sibling })).statusCode).toBe(200);
    await h().request({ method: 'DELETE', url: `/v1/tenants/${doomed}` });
    expectProblem(await h().request({ method: 'GET', url: '/v1/tenants', as: sibling }), 401, 'unauthenticated');
  });

  it('lets a tenant key reach only its own tenant: any other tenant, existing or not, is 404', async () => {
    const other = await h().createTenant();
    const [toOther, toNobody] = await Promise.all([
      h().request({ method: 'GET', url: `/v1/tenants/${other}/endpoints`, as: key }),
      h().request({ method: 'GET', url: '/v1/tenants/no-such-tenant/endpoints', as: key }),
    ]);
    const a = expectProblem(toOther, 404, 'not_found');
    const b = expectProblem(toNobody, 404, 'not_found');
    // The two answers differ only in the id they echo: nothing tells that `other` exists.
    expect(a.detail.replace(other, 'X')).toBe(b.detail.replace('no-such-tenant', 'X'));
  });

  it('lets a partner key reach itself and its direct children, not grandchildren, siblings or its parent', async () => {
    const top = await h().createTenant();
    const partner = await h().createTenant({ parentId: top });
    const child = await h().createTenant({ parentId: partner });
    const grandchild = await h().createTenant({ parentId: child });
    const sibling = await h().createTenant({ parentId: top });
    const partnerKey = await h().createKey(partner);
    const status = async (id: string) => (await h().request({ method: 'GET', url: `/v1/tenants/${id}/endpoints`, as: partnerKey })).statusCode;
    expect(await status(partner)).toBe(200);
    expect(await status(child)).toBe(200);
    expect(await status(grandchild)).toBe(404);
    expect(await status(sibling)).toBe(404);
    expect(await status(top)).toBe(404);
  });

  it('answers 403 only once the tenant is reached: a key lacking a permission gets 403 at home, 404 elsewhere', async () => {
    const other = await h().createTenant();
    const publisher = await h().createKey(tenant, { permissions: ['events:publish'] });
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints`, as: publisher }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${other}/endpoints`, as: publisher }), 404, 'not_found');
    const readOnly = await h().createKey(tenant, { permissions: ['webhooks:read'] });
    const problem = expectProblem(
      await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, as: readOnly, payload: { url: 'https://example.com/a', eventTypes: ['*'] } }),
      403,
      'forbidden',
    );
    expect(problem.detail).toMatch(/webhooks:write/);
  });

  it('answers 403 to a tenant key on operator-only routes', async () => {
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', as: key, payload: { name: 'x' } }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'PUT', url: '/v1/event-types/a.b', as: key, payload: {} }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/api-keys`, as: key }), 403, 'forbidden');
  });

  it('keeps a test key to test endpoints: live ones are 404 and it cannot create one (403)', async () => {
    const testKey = await h().createKey(tenant, { environment: 'test' });
    const live = (await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: 'https://example.com/live', eventTypes: ['*'] } })).json();
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${live.id}`, as: testKey }), 404, 'not_found');
    expectProblem(
      await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, as: testKey, payload: { url: 'https://example.com/t', eventTypes: ['*'], environment: 'live' } }),
      403,
      'forbidden',
    );
    // And a live key does not see test endpoints either.
    const test = (await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, as: testKey, payload: { url: 'https://example.com/t', eventTypes: ['*'] } })).json();
    expect(test.environment).toBe('test');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${test.id}`, as: key }), 404, 'not_found');
  });
});
