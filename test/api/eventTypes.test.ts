import { expect, it } from 'vitest';
import { anonymous, expectFieldErrors, expectProblem, walkPages } from '../support/api.ts';
import { describeEachHerald } from '../support/herald.ts';

const schema = {
  type: 'object',
  properties: { amount: { type: 'integer', minimum: 0 }, currency: { type: 'string' } },
  required: ['amount'],
};

describeEachHerald('API: /v1/event-types', (h) => {
  it('PUT creates an event type (201), then replaces it (200)', async () => {
    const created = await h().request({ method: 'PUT', url: '/v1/event-types/payment.sent', payload: { description: 'A payment was sent', schema } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'payment.sent', description: 'A payment was sent', schema, deprecated: false });

    const replaced = await h().request({ method: 'PUT', url: '/v1/event-types/payment.sent', payload: { deprecated: true } });
    expect(replaced.statusCode).toBe(200);
    // Replace, not merge: absent fields take their defaults.
    expect(replaced.json()).toMatchObject({ name: 'payment.sent', description: '', schema: null, deprecated: true });
    expect(replaced.json().createdAt).toBe(created.json().createdAt);
  });

  it('PUT accepts an upper-case hierarchical name and an empty body', async () => {
    const res = await h().request({ method: 'PUT', url: '/v1/event-types/NOTIFICATION.SMS.RECEIPT', payload: {} });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'NOTIFICATION.SMS.RECEIPT', description: '', schema: null, deprecated: false });
  });

  it('PUT answers 422 with the path inside the schema when the JSON Schema is not valid', async () => {
    const bad = { type: 'object', properties: { amount: { type: 'integr' }, tags: { minItems: -1 } } };
    const res = await h().request({ method: 'PUT', url: '/v1/event-types/bad.schema', payload: { schema: bad } });
    const body = expectProblem(res, 422, 'validation_failed');
    // A wrong `type` may be reported several ways (enum, array, anyOf); each names the same path.
    expect([...new Set(body.errors!.map((e) => e.path))].sort()).toEqual(['schema.properties.amount.type', 'schema.properties.tags.minItems']);
    expect(body.errors!.find((e) => e.path === 'schema.properties.tags.minItems')!.message).toMatch(/>= 0/);
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types/bad.schema' }), 404, 'not_found');
  });

  it('PUT answers 422 for a schema that is valid but unusable (an unresolvable $ref)', async () => {
    expectFieldErrors(
      await h().request({ method: 'PUT', url: '/v1/event-types/bad.ref', payload: { schema: { $ref: '#/$defs/missing' } } }),
      ['schema'],
    );
  });

  it('PUT answers 422 for an invalid name, a field of the wrong type and an unknown field', async () => {
    expectFieldErrors(await h().request({ method: 'PUT', url: '/v1/event-types/payment..sent', payload: {} }), ['name']);
    expectFieldErrors(await h().request({ method: 'PUT', url: `/v1/event-types/${encodeURIComponent('bad name!')}`, payload: {} }), ['name']);
    expectFieldErrors(await h().request({ method: 'PUT', url: '/v1/event-types/a.b', payload: { deprecated: 'yes' } }), ['deprecated']);
    expectFieldErrors(await h().request({ method: 'PUT', url: '/v1/event-types/a.b', payload: { schema: 'object' } }), ['schema']);
    expectFieldErrors(await h().request({ method: 'PUT', url: '/v1/event-types/a.b', payload: { version: 2 } }), ['version']);
  });

  it('GET one answers the event type to the operator and to any tenant key; 404 for an unknown name', async () => {
    await h().request({ method: 'PUT', url: '/v1/event-types/order.created', payload: { description: 'Created', schema } });
    const key = await h().createKey(await h().createTenant(), { permissions: ['events:publish'], environment: 'test' });
    for (const as of [undefined, key]) {
      const res = await h().request({ method: 'GET', url: '/v1/event-types/order.created', ...(as ? { as } : {}) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: 'order.created', description: 'Created', schema, deprecated: false });
    }
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types/order.unknown', as: key }), 404, 'not_found');
  });

  it('GET list walks the catalog in name order exactly once, and can leave out deprecated types', async () => {
    const names = ['walk.e', 'walk.a', 'walk.d', 'walk.b', 'walk.c'];
    for (const name of names) {
      await h().request({ method: 'PUT', url: `/v1/event-types/${name}`, payload: { deprecated: name === 'walk.d' } });
    }
    const key = await h().createKey(await h().createTenant());
    const { ids } = await walkPages(h(), '/v1/event-types', { limit: 2, as: key, idOf: (t) => t.name as string });
    expect(ids.filter((n) => n.startsWith('walk.'))).toEqual([...names].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);

    const current = await walkPages(h(), '/v1/event-types?includeDeprecated=false', { limit: 2, idOf: (t) => t.name as string });
    expect(current.ids.filter((n) => n.startsWith('walk.'))).toEqual(['walk.a', 'walk.b', 'walk.c', 'walk.e']);
  });

  it('GET list answers 400 for a bad limit, cursor or includeDeprecated', async () => {
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types?limit=251' }), 400, 'malformed_request');
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types?cursor=%25%25' }), 400, 'malformed_request');
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types?includeDeprecated=maybe' }), 400, 'malformed_request');
  });

  it('DELETE removes an event type (204), then it is 404', async () => {
    await h().request({ method: 'PUT', url: '/v1/event-types/to.delete', payload: {} });
    const res = await h().request({ method: 'DELETE', url: '/v1/event-types/to.delete' });
    expect(res.statusCode).toBe(204);
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types/to.delete' }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: '/v1/event-types/to.delete' }), 404, 'not_found');
  });

  it('only the operator may write: a tenant key gets 403 on PUT and DELETE and changes nothing', async () => {
    await h().request({ method: 'PUT', url: '/v1/event-types/guarded', payload: { description: 'kept' } });
    const key = await h().createKey(await h().createTenant(), { permissions: ['webhooks:read', 'webhooks:write', 'events:publish'] });
    expectProblem(await h().request({ method: 'PUT', url: '/v1/event-types/guarded', as: key, payload: { description: 'changed' } }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'PUT', url: '/v1/event-types/guarded.new', as: key, payload: {} }), 403, 'forbidden');
    expectProblem(await h().request({ method: 'DELETE', url: '/v1/event-types/guarded', as: key }), 403, 'forbidden');
    expect((await h().request({ method: 'GET', url: '/v1/event-types/guarded' })).json().description).toBe('kept');
    expectProblem(await h().request({ method: 'GET', url: '/v1/event-types/guarded.new' }), 404, 'not_found');
  });

  it('every route answers 401 without credentials or with an unknown key', async () => {
    const routes = [
      { method: 'PUT', url: '/v1/event-types/x.y', payload: {} },
      { method: 'GET', url: '/v1/event-types' },
      { method: 'GET', url: '/v1/event-types/x.y' },
      { method: 'DELETE', url: '/v1/event-types/x.y' },
    ] as const;
    for (const route of routes) {
      expectProblem(await anonymous(h(), route.method, route.url, 'payload' in route ? route.payload : undefined), 401, 'unauthenticated');
      expectProblem(await h().request({ ...route, as: 'hk_live_not-a-real-key-000000000000000' }), 401, 'unauthenticated');
    }
  });
});
