import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { anonymous } from '../support/api.ts';
import { testHerald, type TestHerald } from '../support/herald.ts';

let h: TestHerald;
const routes: RouteOptions[] = [];

beforeAll(async () => {
  // Fastify announces every new instance on this channel before any plugin runs, so an onRoute
  // hook added here sees every route the app registers, whatever file registers it.
  const channel = diagnostics.channel('fastify.initialization');
  const collect = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void routes.push(route));
  };
  channel.subscribe(collect);
  try {
    h = await testHerald();
  } finally {
    channel.unsubscribe(collect);
  }
});
afterAll(() => h.close());

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
const methodsOf = (route: RouteOptions) => [route.method].flat().map((m) => m.toLowerCase()).filter((m) => m !== 'head');

it('serves an OpenAPI 3.1 document without credentials', async () => {
  const res = await anonymous(h, 'GET', '/openapi.json');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const doc = res.json();
  expect(doc.openapi).toMatch(/^3\.1\./);
  expect(doc.info).toMatchObject({ title: 'Herald' });
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
});

it('documents every route that is not hidden, with every method, and nothing else', async () => {
  const doc = (await h.request({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const documented = routes.filter((r) => !(r.schema as { hide?: boolean } | undefined)?.hide);
  expect(documented.length).toBeGreaterThan(10);
  const expected = new Set(documented.flatMap((r) => methodsOf(r).map((m) => `${m} ${openApiPath(r.url)}`)));
  const actual = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m} ${path}`)));
  expect([...expected].filter((r) => !actual.has(r)), 'routes missing from /openapi.json').toEqual([]);
  expect([...actual].filter((r) => !expected.has(r)), 'documented paths that are not routes').toEqual([]);
  // The Foundation routes are among them.
  for (const route of [
    'post /v1/tenants', 'get /v1/tenants/{tenantId}', 'post /v1/tenants/{tenantId}/api-keys', 'delete /v1/tenants/{tenantId}/api-keys/{keyId}',
    'put /v1/event-types/{name}', 'get /v1/tenants/{tenantId}/endpoints', 'patch /v1/tenants/{tenantId}/endpoints/{endpointId}',
    'get /v1/tenants/{tenantId}/endpoints/{endpointId}/secret', 'post /v1/tenants/{tenantId}/endpoints/{endpointId}/rotate-secret',
  ]) {
    expect(actual.has(route), route).toBe(true);
  }
});

it('describes each operation with a summary, its path parameters and the problem answers', async () => {
  const doc = (await h.request({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { summary?: string; parameters?: { in: string; name: string }[]; responses: Record<string, unknown> }>>;
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, operation] of Object.entries(item)) {
      expect(operation.summary, `${method} ${path} has a summary`).toEqual(expect.any(String));
      const inPath = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(inPath.sort(), `${method} ${path} path parameters`).toEqual([...names].sort());
      if (path.startsWith('/v1/')) expect(operation.responses, `${method} ${path} documents 401`).toHaveProperty('401');
    }
  }
});

it('renders the reference page at /docs', async () => {
  let res = await anonymous(h, 'GET', '/docs');
  if (res.statusCode >= 300 && res.statusCode < 400) res = await anonymous(h, 'GET', new URL(res.headers.location as string, 'http://x/docs').pathname);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.body).toMatch(/swagger/i);
});
