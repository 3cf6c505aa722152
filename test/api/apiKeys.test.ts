import { expect, it } from 'vitest';
import { hashToken } from '../../src/domain/apiKeys.ts';
import { encodeCursor } from '../../src/domain/cursor.ts';
import { newId } from '../../src/domain/ids.ts';
import { anonymous, expectFieldErrors, expectProblem, walkPages } from '../support/api.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('API: /v1/tenants/{tenantId}/api-keys', (h) => {
  const keysOf = (tenant: string) => `/v1/tenants/${tenant}/api-keys`;

  it('POST creates a key shown once, with webhooks:read and webhooks:write and the live environment by default', async () => {
    const tenant = await h().createTenant();
    const res = await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'ci' } });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ tenantId: tenant, name: 'ci', permissions: ['webhooks:read', 'webhooks:write'], environment: 'live', revokedAt: null });
    expect(created.key).toMatch(/^hk_live_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.key.endsWith(created.last4)).toBe(true);
    expect(created.last4).toHaveLength(4);
    // The key works at once.
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: created.key })).statusCode).toBe(200);
  });

  it('POST creates a test-environment key with the permissions asked for', async () => {
    const tenant = await h().createTenant();
    const res = await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'pub', permissions: ['events:publish', 'events:publish'], environment: 'test' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ permissions: ['events:publish'], environment: 'test' });
    expect(res.json().key).toMatch(/^hk_test_/);
  });

  it('stores only the hash of a key: no column holds the key itself', async () => {
    const tenant = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'hashed' } })).json();
    const rows = await h().ctx.db.query<Record<string, unknown>>('select * from api_keys where id = $1', [created.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toBe(hashToken(created.key));
    expect(JSON.stringify(rows[0])).not.toContain(created.key);
    expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(12));
  });

  it('POST answers 422 with field paths for a missing or empty name, an unknown permission or environment, an unknown field', async () => {
    const tenant = await h().createTenant();
    expectFieldErrors(await h().request({ method: 'POST', url: keysOf(tenant), payload: {} }), ['name']);
    expectFieldErrors(await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: '  ' } }), ['name']);
    expectFieldErrors(await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'k', permissions: ['webhooks:read', 'root'] } }), ['permissions[1]']);
    expectFieldErrors(await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'k', environment: 'prod' } }), ['environment']);
    expectFieldErrors(await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'k', key: 'mine' } }), ['key']);
  });

  it('GET list shows prefix and last 4 characters, never the key or its hash', async () => {
    const tenant = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'listed' } })).json();
    const res = await h().request({ method: 'GET', url: keysOf(tenant) });
    expect(res.statusCode).toBe(200);
    const [listed] = res.json().data;
    expect(listed).toMatchObject({ id: created.id, prefix: created.prefix, last4: created.last4, name: 'listed' });
    expect(listed).not.toHaveProperty('key');
    expect(res.body).not.toContain(created.key);
    expect(res.body).not.toContain(hashToken(created.key));
  });

  it('GET list walks every key exactly once, newest first', async () => {
    const tenant = await h().createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: `k${i}` } })).json().id);
    const { ids: walked, pages } = await walkPages(h(), keysOf(tenant), { limit: 2 });
    expect(walked).toEqual([...ids].reverse());
    expect(pages).toBe(3);
  });

  it('GET list answers 400 for a cursor that is garbage or carries something other than an id', async () => {
    const tenant = await h().createTenant();
    for (const cursor of ['garbage', encodeCursor(['abc']), encodeCursor([1])]) {
      const problem = expectProblem(await h().request({ method: 'GET', url: `${keysOf(tenant)}?cursor=${cursor}` }), 400, 'malformed_request');
      expect(problem.detail).toMatch(/cursor is not valid/);
    }
  });

  it('GET one answers the key; 404 for an unknown id, a non-UUID id or a key of another tenant', async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'one' } })).json();
    const res = await h().request({ method: 'GET', url: `${keysOf(tenant)}/${created.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.id, name: 'one', lastUsedAt: null });
    expect(res.json()).not.toHaveProperty('key');
    expectProblem(await h().request({ method: 'GET', url: `${keysOf(tenant)}/${newId()}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `${keysOf(tenant)}/abc` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `${keysOf(other)}/${created.id}` }), 404, 'not_found');
  });

  it('records when a key was last used', async () => {
    const tenant = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'used' } })).json();
    await h().request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: created.key });
    await expect.poll(async () => (await h().request({ method: 'GET', url: `${keysOf(tenant)}/${created.id}` })).json().lastUsedAt).not.toBeNull();
  });

  it('DELETE revokes a key at once (it then answers 401), and revoking again is harmless', async () => {
    const tenant = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'revoke me' } })).json();
    const res = await h().request({ method: 'DELETE', url: `${keysOf(tenant)}/${created.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().revokedAt).not.toBeNull();
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: created.key }), 401, 'unauthenticated');
    const again = await h().request({ method: 'DELETE', url: `${keysOf(tenant)}/${created.id}` });
    expect(again.json().revokedAt).toBe(res.json().revokedAt);
    // A revoked key still appears in the list, marked revoked.
    const listed = (await h().request({ method: 'GET', url: keysOf(tenant) })).json().data;
    expect(listed.find((k: { id: string }) => k.id === created.id).revokedAt).toBe(res.json().revokedAt);
  });

  it("DELETE answers 404 for an unknown id, a non-UUID id or a key of another tenant, which stays usable", async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'kept' } })).json();
    expectProblem(await h().request({ method: 'DELETE', url: `${keysOf(tenant)}/${newId()}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: `${keysOf(tenant)}/abc` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: `${keysOf(other)}/${created.id}` }), 404, 'not_found');
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: created.key })).statusCode).toBe(200);
  });

  it('every route answers 404 for an unknown tenant', async () => {
    const id = newId();
    expectProblem(await h().request({ method: 'POST', url: keysOf('no-such-tenant'), payload: { name: 'k' } }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: keysOf('no-such-tenant') }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `${keysOf('no-such-tenant')}/${id}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: `${keysOf('no-such-tenant')}/${id}` }), 404, 'not_found');
  });

  it("every route answers 401 without credentials, 403 to the tenant's own key (operator only) and 404 to another tenant's key", async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    const own = await h().createKey(tenant);
    const foreign = await h().createKey(other);
    const created = (await h().request({ method: 'POST', url: keysOf(tenant), payload: { name: 'target' } })).json();
    const routes = [
      { method: 'POST', url: keysOf(tenant), payload: { name: 'k' } },
      { method: 'GET', url: keysOf(tenant) },
      { method: 'GET', url: `${keysOf(tenant)}/${created.id}` },
      { method: 'DELETE', url: `${keysOf(tenant)}/${created.id}` },
    ] as const;
    for (const route of routes) {
      expectProblem(await anonymous(h(), route.method, route.url, 'payload' in route ? route.payload : undefined), 401, 'unauthenticated');
      expectProblem(await h().request({ ...route, as: own }), 403, 'forbidden');
      expectProblem(await h().request({ ...route, as: foreign }), 404, 'not_found');
    }
    expect((await h().request({ method: 'GET', url: `${keysOf(tenant)}/${created.id}` })).json().revokedAt).toBeNull();
  });
});
