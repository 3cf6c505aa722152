import { afterAll, beforeAll, expect, it } from 'vitest';
import { testHerald, type TestHerald } from '../support/herald.ts';

let h: TestHerald;
beforeAll(async () => {
  h = await testHerald();
});
afterAll(() => h.close());

it('creates a tenant, a key and an endpoint the key can read', async () => {
  const tenant = await h.createTenant({ id: 'acme' });
  const key = await h.createKey(tenant);
  const created = await h.request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, as: key, payload: { url: 'https://example.com/hook', eventTypes: ['payment.*'] } });
  expect(created.statusCode).toBe(201);
  expect(created.json().secret).toMatch(/^whsec_/);
  const read = await h.request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${created.json().id}`, as: key });
  expect(read.statusCode).toBe(200);
  expect(read.json()).not.toHaveProperty('secret');
});
