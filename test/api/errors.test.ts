import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { anonymous, expectProblem } from '../support/api.ts';
import { describeEachHerald, testHerald, type TestHerald } from '../support/herald.ts';

const json = { 'content-type': 'application/json' };

describeEachHerald('API: errors are problem documents', (h) => {
  it('a field problem is a 422 application/problem+json with errors [{path, message}] and a readable detail', async () => {
    const res = await h().request({ method: 'POST', url: '/v1/tenants', payload: { name: 7, extra: true } });
    const problem = expectProblem(res, 422, 'validation_failed');
    expect(problem).toMatchObject({ type: 'urn:herald:problem:validation_failed', title: 'The request has invalid fields', status: 422 });
    expect(problem.errors).toEqual(expect.arrayContaining([
      { path: 'name', message: 'must be string' },
      { path: 'extra', message: 'is not a known field' },
    ]));
    expect(problem.detail).toMatch(/name must be string/);
  });

  it('a body over the size limit is 413', async () => {
    const res = await h().request({ method: 'POST', url: '/v1/tenants', payload: { name: 'big', metadata: { blob: 'x'.repeat(300 * 1024) } } });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('malformed JSON is 400', async () => {
    const res = await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload: '{"name": "x",' });
    expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(/not valid JSON/);
  });

  it('an empty JSON body is 400', async () => {
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload: '' }), 400, 'malformed_request');
  });

  it('a body that is not valid UTF-8 is 400', async () => {
    const payload = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload });
    expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(/UTF-8/);
  });

  it('a NUL character in a text value or in JSON metadata is 400, not a server error', async () => {
    for (const payload of ['{"name":"a\\u0000b"}', '{"name":"ok","metadata":{"k":"v\\u0000"}}']) {
      const res = await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload });
      expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(/NUL character/);
    }
  });

  it('JSON nested deeper than the limit (64) is 400; at the limit it is accepted', async () => {
    const nested = (levels: number) => `{"name":"deep","metadata":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
    const tooDeep = await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload: nested(64) }); // 65 levels
    expect(expectProblem(tooDeep, 400, 'malformed_request').detail).toMatch(/deeper than 64/);
    const atLimit = await h().request({ method: 'POST', url: '/v1/tenants', headers: json, payload: nested(63) }); // 64 levels
    expect(atLimit.statusCode).toBe(201);
  });

  it('a body that is not JSON is 415; a +json media type is JSON', async () => {
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', headers: { 'content-type': 'text/plain' }, payload: 'name=x' }), 415, 'unsupported_media_type');
    expectProblem(await h().request({ method: 'POST', url: '/v1/tenants', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' }), 415, 'unsupported_media_type');
    const tenant = await h().createTenant();
    const res = await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: '{"name":"merged"}' });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('merged');
  });

  it('unknown ids are 404, including ids that are not UUIDs', async () => {
    const tenant = await h().createTenant();
    const urls = [
      '/v1/tenants/abc',
      `/v1/tenants/${tenant}/endpoints/abc`,
      `/v1/tenants/${tenant}/endpoints/${newId()}`,
      `/v1/tenants/${tenant}/endpoints/abc/secret`,
      `/v1/tenants/${tenant}/api-keys/abc`,
      `/v1/tenants/${tenant}/api-keys/${newId()}`,
      '/v1/event-types/no.such.type',
    ];
    for (const url of urls) expect(expectProblem(await h().request({ method: 'GET', url }), 404, 'not_found').detail).toMatch(/was not found/);
    expectProblem(await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/abc/rotate-secret`, payload: {} }), 404, 'not_found');
    expectProblem(await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}/endpoints/abc`, payload: {} }), 404, 'not_found');
    expectProblem(await h().request({ method: 'DELETE', url: `/v1/tenants/${tenant}/api-keys/abc` }), 404, 'not_found');
  });

  it('an unknown route or method is a 404 problem, with or without credentials', async () => {
    const inside = expectProblem(await h().request({ method: 'GET', url: '/v1/nothing-here?x=1' }), 404, 'not_found');
    expect(inside.detail).toBe('there is no route GET /v1/nothing-here');
    expectProblem(await anonymous(h(), 'GET', '/nothing-here'), 404, 'not_found');
    expectProblem(await h().request({ method: 'PATCH', url: '/v1/event-types' }), 404, 'not_found');
  });

  it('a bad query parameter is 400 with the parameter as the path', async () => {
    const problem = expectProblem(await h().request({ method: 'GET', url: '/v1/tenants?limit=-5' }), 400, 'malformed_request');
    expect(problem.errors).toEqual([{ path: 'limit', message: expect.any(String) }]);
  });

  it('with the rate limit off (HERALD_RATE_LIMIT=0) a burst passes and no RateLimit headers are sent', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, () => h().request({ method: 'GET', url: '/v1/event-types' })));
    expect(responses.map((r) => r.statusCode)).toEqual(responses.map(() => 200));
    expect(responses[0]!.headers).not.toHaveProperty('ratelimit-limit');
  });
});

describe('API: rate limiting (HERALD_RATE_LIMIT=5)', () => {
  let h: TestHerald;
  let tenant: string;
  let keys: string[];
  beforeAll(async () => {
    h = await testHerald({ config: { rateLimitPerSecond: 5 } });
    // Four operator requests: within the operator's own budget of 5 per second.
    tenant = await h.createTenant();
    keys = [await h.createKey(tenant), await h.createKey(tenant), await h.createKey(tenant)];
  });
  afterAll(() => h.close());

  const burst = (key: string, size: number) =>
    Promise.all(Array.from({ length: size }, () => h.request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: key })));

  it('answers 429 with Retry-After and RateLimit-* headers once a key exceeds its limit, per key', async () => {
    const started = Date.now();
    const responses = await burst(keys[0]!, 30);
    const windows = Math.ceil((Date.now() - started) / 1000) + 1; // the burst may straddle windows on a slow machine
    const ok = responses.filter((r) => r.statusCode === 200);
    const limited = responses.filter((r) => r.statusCode === 429);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(5 * windows);
    expect(limited.length).toBe(responses.length - ok.length);
    expect(limited.length).toBeGreaterThan(0);
    expect(ok[0]!.headers['ratelimit-limit']).toBe('5');
    expect(ok[0]!.headers).toHaveProperty('ratelimit-remaining');
    const refused = limited[0]!;
    expect(expectProblem(refused, 429, 'rate_limited').detail).toMatch(/rate limit of 5/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(1);
    expect(refused.headers['ratelimit-limit']).toBe('5');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers).toHaveProperty('ratelimit-reset');
    // Another key has its own budget.
    expect((await h.request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: keys[1]! })).statusCode).toBe(200);
  });

  it('counts a key once across every surface: its budget is one, wherever it is spent', async () => {
    // A new key's window starts at its first request: five on one surface and a sixth on another,
    // all within that window, leave the sixth refused. (Should the machine take a second, try again.)
    for (let attempt = 0; attempt < 3; attempt++) {
      const key = await h.createKey(tenant);
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect((await h.request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: key })).statusCode).toBe(200);
      const sixth = await h.app.inject({ method: 'GET', url: '/v1/webhooks', headers: { 'x-api-key': key } });
      if (Date.now() - started >= 1_000) continue;
      expect(sixth.statusCode).toBe(429);
      return;
    }
    throw new Error('no try fitted in one window');
  });

  it('lets a limited key through again after the window', async () => {
    expect((await burst(keys[2]!, 30)).some((r) => r.statusCode === 429)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await h.request({ method: 'GET', url: `/v1/tenants/${tenant}`, as: keys[2]! })).statusCode).toBe(200);
  });
});
