import { expect, it } from 'vitest';
import { isUuid } from '../../src/domain/ids.ts';
import { anonymous, expectFieldErrors, expectProblem, walkPages } from '../support/api.ts';
import { adminToken, describeEachHerald } from '../support/herald.ts';

describeEachHerald('API: /v1/tenants', (h) => {
  it('POST creates a tenant with the given id, parent and metadata (201)', async () => {
    await h().createTenant({ id: 'post-partner' });
    const res = await h().request({
      method: 'POST',
      url: '/v1/tenants',
      payload: { id: 'post-child', name: 'Child', parentId: 'post-partner', metadata: { plan: 'gold' } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'post-child', name: 'Child', parentId: 'post-partner', metadata: { plan: 'gold' } });
    expect(new Date(res.json().createdAt).getTime()).toBeGreaterThan(0);
  });

  it('POST generates a UUID id when none is given, with no parent and empty metadata', async () => {
    const res = await h().request({ method: 'POST', url: '/v1/tenants', payload: { name: 'No id' } });
    expect(res.statusCode).toBe(201);
    expect(isUuid(res.json().id)).toBe(true);
    expect(res.json()).toMatchObject({ name: 'No id', parentId: null, metadata: {} });
  });

  it('POST answers 422 with field paths for a missing, empty or unknown field, a bad id and an unknown parent', async () => {
    expectFieldErrors(await h().request({ method: 'POST', url: '/v1/tenants', payload: {} }), ['name']);
    expectFieldErrors(await h().request({ method: 'POST', url: '/v1/tenants', payload: { name: 'x', colour: 'red' } }), ['colour']);
    expectFieldErrors(await h().request({ method: 'POST', url: '/v1/tenants', payload: { name: 42 } }), ['name']);
    expectFieldErrors(
      await h().request({ method: 'POST', url: '/v1/tenants', payload: { id: 'has space', name: ' ', parentId: 'no-such-tenant' } }),
      ['id', 'name', 'parentId'],
    );
  });

  it('POST answers 409 for an id that is taken', async () => {
    await h().createTenant({ id: 'post-taken' });
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', payload: { id: 'post-taken', name: 'Again' } }), 409, 'conflict');
  });

  it('POST answers 401 without credentials and 403 for a tenant key', async () => {
    expectProblem(await anonymous(h(), 'POST', '/v1/tenants', { name: 'x' }), 401, 'unauthenticated');
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', as: key, payload: { name: 'x' } }), 403, 'forbidden');
  });

  it('GET list walks every tenant exactly once across pages, filtered by parent', async () => {
    const parent = await h().createTenant({ id: 'walk-parent' });
    const children: string[] = [];
    for (let i = 0; i < 7; i++) children.push(await h().createTenant({ id: `walk-child-${i}`, parentId: parent }));
    const { ids, pages } = await walkPages(h(), `/v1/tenants?parentId=${parent}`, { limit: 3 });
    expect(ids).toEqual([...children].sort());
    expect(pages).toBe(3);
  });

  it('GET list shows a tenant key only its own tenant, and a partner key itself and its children', async () => {
    const partner = await h().createTenant({ id: 'list-partner' });
    const child = await h().createTenant({ id: 'list-partner-child', parentId: partner });
    await h().createTenant({ id: 'list-partner-grandchild', parentId: child });
    const stranger = await h().createTenant({ id: 'list-stranger' });
    const ids = async (key: string) => (await h().request({ method: 'GET', url: '/v1/tenants?limit=250', as: key })).json().data.map((t: { id: string }) => t.id);
    expect(await ids(await h().createKey(stranger))).toEqual([stranger]);
    expect(await ids(await h().createKey(partner))).toEqual([partner, child]);
    const all = await ids(adminToken);
    expect(all).toEqual(expect.arrayContaining([partner, child, stranger]));
  });

  it('GET list answers 400 for a bad limit or cursor, and 401 without credentials', async () => {
    const limit = expectProblem(await h().request({ method: 'GET', url: '/v1/tenants?limit=0' }), 400, 'malformed_request');
    expect(limit.errors?.map((e) => e.path)).toEqual(['limit']);
    expectProblem(await h().request({ method: 'GET', url: '/v1/tenants?limit=abc' }), 400, 'malformed_request');
    const cursor = expectProblem(await h().request({ method: 'GET', url: '/v1/tenants?cursor=garbage' }), 400, 'malformed_request');
    expect(cursor.detail).toMatch(/cursor is not valid/);
    expectProblem(await anonymous(h(), 'GET', '/v1/tenants'), 401, 'unauthenticated');
  });

  it('GET one answers the tenant to the operator, its own key and its partner key; 404 to anyone else', async () => {
    const partner = await h().createTenant({ id: 'get-partner' });
    const child = await h().createTenant({ id: 'get-child', parentId: partner });
    const stranger = await h().createTenant({ id: 'get-stranger' });
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${child}` })).json()).toMatchObject({ id: child, parentId: partner });
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${child}`, as: await h().createKey(child) })).statusCode).toBe(200);
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${child}`, as: await h().createKey(partner) })).statusCode).toBe(200);
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${child}`, as: await h().createKey(stranger) }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${partner}`, as: await h().createKey(child) }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: '/v1/tenants/no-such-tenant' }), 404, 'not_found');
    expectProblem(await anonymous(h(), 'GET', `/v1/tenants/${child}`), 401, 'unauthenticated');
  });

  it('PATCH changes only the given fields and can move or detach a tenant', async () => {
    const parent = await h().createTenant({ id: 'patch-parent' });
    await h().request({ method: 'POST', url: '/v1/tenants', payload: { id: 'patch-me', name: 'Before', metadata: { a: 1 } } });
    const renamed = await h().request({ method: 'PATCH', url: '/v1/tenants/patch-me', payload: { name: 'After' } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: 'patch-me', name: 'After', parentId: null, metadata: { a: 1 } });
    const moved = await h().request({ method: 'PATCH', url: '/v1/tenants/patch-me', payload: { parentId: parent, metadata: { b: 2 } } });
    expect(moved.json()).toMatchObject({ name: 'After', parentId: parent, metadata: { b: 2 } });
    const detached = await h().request({ method: 'PATCH', url: '/v1/tenants/patch-me', payload: { parentId: null } });
    expect(detached.json()).toMatchObject({ parentId: null });
  });

  it('PATCH answers 422 for an empty name, an unknown field, itself or a descendant as parent', async () => {
    const top = await h().createTenant({ id: 'cycle-top' });
    const middle = await h().createTenant({ id: 'cycle-middle', parentId: top });
    const bottom = await h().createTenant({ id: 'cycle-bottom', parentId: middle });
    expectFieldErrors(await h().request({ method: 'PATCH', url: `/v1/tenants/${top}`, payload: { name: '' } }), ['name']);
    expectFieldErrors(await h().request({ method: 'PATCH', url: `/v1/tenants/${top}`, payload: { id: 'new-id' } }), ['id']);
    expectFieldErrors(await h().request({ method: 'PATCH', url: `/v1/tenants/${top}`, payload: { parentId: top } }), ['parentId']);
    const cycle = expectFieldErrors(await h().request({ method: 'PATCH', url: `/v1/tenants/${top}`, payload: { parentId: bottom } }), ['parentId']);
    expect(cycle[0]!.message).toMatch(/cycle/);
  });

  it("PATCH answers 401 without credentials, 403 to the tenant's own key, 404 to another tenant's key and for an unknown id", async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    expectProblem(await anonymous(h(), 'PATCH', `/v1/tenants/${tenant}`, { name: 'x' }), 401, 'unauthenticated');
    expectProblem(await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}`, as: await h().createKey(tenant), payload: { name: 'x' } }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}`, as: await h().createKey(other), payload: { name: 'x' } }), 404, 'not_found');
    expectProblem(await h().request({ method: 'PATCH', url: '/v1/tenants/no-such-tenant', payload: { name: 'x' } }), 404, 'not_found');
  });

  it('DELETE removes a tenant with its keys (204), then it is 404', async () => {
    const tenant = await h().createTenant();
    const key = await h().createKey(tenant);
    const res = await h().request({ method: 'DELETE', url: `/v1/tenants/${tenant}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/${tenant}` }), 404, 'not_found');
    expectProblem(await h().request({ method: 'GET', url: '/v1/tenants', as: key }), 401, 'unauthenticated');
  });

  it('DELETE answers 409 for a partner that still has children', async () => {
    const partner = await h().createTenant();
    await h().createTenant({ parentId: partner });
    expectProblem(await h().request({ method: 'DELETE', url: `/v1/tenants/${partner}` }), 409, 'conflict');
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${partner}` })).statusCode).toBe(200);
  });

  it("DELETE answers 401 without credentials, 403 to the tenant's own key, 404 to another tenant's key and for an unknown id", async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    expectProblem(await anonymous(h(), 'DELETE', `/v1/tenants/${tenant}`), 401, 'unauthenticated');
    expectProblem(await h().request({ method: 'DELETE', url: `/v1/tenants/${tenant}`, as: await h().createKey(tenant) }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'DELETE', url: `/v1/tenants/${tenant}`, as: await h().createKey(other) }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: '/v1/tenants/no-such-tenant' }), 404, 'not_found');
    expect((await h().request({ method: 'GET', url: `/v1/tenants/${tenant}` })).statusCode).toBe(200);
  });
});
