// What every attempt records (acceptance list, item 7) and how each kind of receiver behaviour ends
// (item 10), end to end over loopback: success, a network failure, a receiver that hangs, a body
// that trickles past the deadline, a huge response, a redirect (never followed) and an address the
// SSRF guard refuses when connecting.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSender } from '../../src/delivery/httpSender.ts';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { NetworkPolicy } from '../../src/domain/networkPolicy.ts';
import { startWorker } from '../../src/herald.ts';
import { createEndpoint, defineEventType, deliveriesOfEvent, getDelivery, publishOne, routeByPath, settledDelivery, sleep, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { closedPort, createReceiver, type Receiver } from '../support/receiver.ts';

const timeoutMs = 1_000;
const config = { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0, 100], deliveryTimeoutMs: timeoutMs };

describeEachHerald('attempts and outcomes', (h) => {
  let receiver: Receiver;
  let elsewhere: Receiver;
  let routes: ReturnType<typeof routeByPath>;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await createReceiver();
    elsewhere = await createReceiver();
    routes = routeByPath(receiver);
    worker = startWorker(h().ctx, { pollIntervalMs: 20 });
    await defineEventType(h(), 'order.created');
  });
  afterAll(async () => {
    await worker.stop(1_000);
    await receiver.close();
    await elsewhere.close();
  });

  async function deliverOnce(name: string, behave: Parameters<typeof routes.on>[1], endpoint: Record<string, unknown> = {}) {
    const tenant = await h().createTenant();
    const path = `/${name}/${tenant}`;
    const url = routes.on(path, behave);
    const ep = await createEndpoint(h(), tenant, { url, eventTypes: ['*'], ...endpoint });
    const event = await publishOne(h(), tenant, 'order.created', { name });
    const delivery = await settledDelivery(h(), tenant, event.id, 8_000);
    return { tenant, path, url, ep, event, delivery, requests: routes.requests(path) };
  }

  it('records a response body with NUL characters (which PostgreSQL text cannot hold), and goes on recording', async () => {
    const first = await deliverOnce('nul', () => ({ status: 200, body: 'ok\u0000done\u0000' }));
    expect(first.delivery).toMatchObject({ status: 'succeeded', attemptCount: 1 });
    expect(first.delivery.attempts[0]!.responseBody).toBe('ok\ufffddone\ufffd');
    // The worker's recording is not stuck behind that result.
    const next = await deliverOnce('after-nul', () => ({ status: 200, body: 'fine' }));
    expect(next.delivery).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  });

  it('goes on recording when the database refuses one result: that result is stored without its response, or dropped', async () => {
    // Constraints the database enforces on results (as an operator's own could): each refuses
    // the batch that carries the offending result.
    await h().ctx.db.query(`alter table attempts add constraint test_no_poison check (strpos(response_body, 'poison') = 0)`);
    await h().ctx.db.query(`alter table attempts add constraint test_no_teapot check (status_code is distinct from 418)`);
    try {
      const tenant = await h().createTenant();
      const endpointTo = async (name: string, behave: Parameters<typeof routes.on>[1]) =>
        (await createEndpoint(h(), tenant, { url: routes.on(`/${name}/${tenant}`, behave), eventTypes: ['*'] })).id;
      const poison = await endpointTo('poison', () => ({ status: 200, body: 'a poison body' }));
      const teapot = await endpointTo('teapot', () => ({ status: 418, body: 'short and stout' }));
      const fine = await endpointTo('fine', () => ({ status: 200, body: 'fine' }));
      // One event, three deliveries finishing together: their results share a batch.
      const event = await publishOne(h(), tenant, 'order.created', { name: 'refused' });
      const byEndpoint = await waitFor('the fine and the poisoned results to be recorded', async () => {
        const ds = await deliveriesOfEvent(h(), tenant, event.id);
        const of = (id: string) => ds.find((d) => d.endpointId === id);
        return of(fine)?.status === 'succeeded' && of(poison)?.status === 'succeeded' ? of : undefined;
      }, 8_000);
      const [poisoned] = (await getDelivery(h(), tenant, byEndpoint(poison)!.id)).attempts;
      expect(poisoned).toMatchObject({ statusCode: 200, responseBody: null, responseHeaders: null });
      expect(poisoned!.error).toMatch(/^the response could not be stored: .*test_no_poison/);
      // Refused even without its response: dropped, its delivery left leased, sent again after the lease.
      await sleep(300);
      expect(routes.requests(`/teapot/${tenant}`)).toHaveLength(1);
      const [held] = await h().ctx.db.query<{ status: string; attempt_count: number; leased: boolean }>(
        `select status, attempt_count, locked_until > now() as leased from deliveries where id = $1`, [byEndpoint(teapot)!.id]);
      expect(held).toEqual({ status: 'pending', attempt_count: 0, leased: true });
    } finally {
      await h().ctx.db.query('alter table attempts drop constraint test_no_poison, drop constraint test_no_teapot');
    }
    // Later results are recorded as usual.
    const next = await deliverOnce('after-refused', () => ({ status: 200, body: 'fine' }));
    expect(next.delivery).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  });

  it('records the request (credentials masked) and the response of a successful attempt', async () => {
    const { url, event, delivery, requests } = await deliverOnce('ok', () => ({ status: 201, headers: { 'x-receiver': 'yes' }, body: 'thanks' }), {
      headers: { Authorization: 'Bearer s3cret-token', 'X-Api-Key': 'k-123', 'X-Trace': 'abc' },
    });
    // The receiver got the real values…
    expect(requests[0]!.headers.authorization).toBe('Bearer s3cret-token');
    expect(requests[0]!.headers['x-trace']).toBe('abc');
    // …the log keeps them masked.
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1, lastOutcome: 'success' });
    const [attempt] = delivery.attempts;
    expect(attempt).toMatchObject({
      attemptNumber: 1,
      url,
      outcome: 'success',
      statusCode: 201,
      responseBody: 'thanks',
      responseTruncated: false,
      error: null,
    });
    expect(attempt!.requestHeaders).toMatchObject({
      Authorization: '[redacted]',
      'X-Api-Key': '[redacted]',
      'X-Trace': 'abc',
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': expect.stringMatching(/^\d+$/),
      'webhook-signature': expect.stringMatching(/^v1,/),
      'user-agent': expect.any(String),
    });
    expect(JSON.stringify(attempt)).not.toContain('s3cret');
    expect(attempt!.responseHeaders).toMatchObject({ 'x-receiver': 'yes', 'content-length': '6' });
    expect(Number.isInteger(attempt!.durationMs)).toBe(true);
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(0);
    expect(attempt!.durationMs).toBeLessThan(timeoutMs);
  });

  it('keeps only the first 20 KB of a response body', async () => {
    const { delivery } = await deliverOnce('long', () => ({ status: 200, body: 'é'.repeat(15_000) }));
    const [attempt] = delivery.attempts;
    expect(attempt).toMatchObject({ outcome: 'success', responseTruncated: true });
    expect(Buffer.byteLength(attempt!.responseBody!)).toBeLessThanOrEqual(20 * 1024 + 2);
    expect(attempt!.responseBody!.startsWith('éééé')).toBe(true);
  });

  it('a huge response is a success, cut at the cap, without reading it all', async () => {
    const { delivery } = await deliverOnce('huge', () => ({ status: 200, bigBodyBytes: 200 * 1024 * 1024 }));
    const [attempt] = delivery.attempts;
    expect(delivery.status).toBe('succeeded');
    expect(attempt).toMatchObject({ outcome: 'success', statusCode: 200, responseTruncated: true });
    expect(attempt!.responseBody).toBe('x'.repeat(20 * 1024));
    expect(attempt!.durationMs).toBeLessThan(timeoutMs);
  });

  it('a network failure records its outcome and error, with no status or response', async () => {
    const tenant = await h().createTenant();
    const url = `http://127.0.0.1:${await closedPort()}/nobody-home`;
    await createEndpoint(h(), tenant, { url, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');
    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 2, lastOutcome: 'connect' });
    for (const attempt of delivery.attempts) {
      expect(attempt).toMatchObject({ url, outcome: 'connect', statusCode: null, responseHeaders: null, responseBody: null });
      expect(attempt.error).toMatch(/ECONNREFUSED/);
    }
  });

  it('a receiver that never answers times out at the deadline; the retry then succeeds', async () => {
    const { delivery, requests } = await deliverOnce('hang', (_, n) => (n === 0 ? { hang: true } : { status: 200 }));
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['timeout', 'success']);
    const [timedOut] = delivery.attempts;
    expect(timedOut).toMatchObject({ statusCode: null, responseBody: null });
    expect(timedOut!.error).toMatch(new RegExp(`within ${timeoutMs} ms`));
    expect(timedOut!.durationMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(timedOut!.durationMs).toBeLessThan(timeoutMs + 1_000);
    expect(requests).toHaveLength(2);
  });

  it('a body trickling past the deadline is a timeout, keeping what arrived', async () => {
    const { delivery } = await deliverOnce('trickle', (_, n) =>
      n === 0 ? { status: 200, trickle: { chunk: 'drip.', everyMs: 100, count: 50 } } : { status: 200 },
    );
    const [trickled] = delivery.attempts;
    expect(trickled).toMatchObject({ outcome: 'timeout', statusCode: 200 });
    expect(trickled!.responseBody).toMatch(/^(drip\.)+$/);
    expect(trickled!.error).toMatch(/while reading the response body/);
    expect(trickled!.durationMs).toBeLessThan(timeoutMs + 1_000);
    expect(delivery.attempts[1]!.outcome).toBe('success');
  });

  it('a redirect is a failure (http_3xx) and is never followed', async () => {
    const { delivery, requests } = await deliverOnce('redirect', () => ({ redirectTo: `${elsewhere.url}/caught` }));
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 2, lastOutcome: 'http_3xx' });
    for (const attempt of delivery.attempts) {
      expect(attempt).toMatchObject({ outcome: 'http_3xx', statusCode: 302 });
      expect(attempt.responseHeaders!.location).toBe(`${elsewhere.url}/caught`);
      expect(attempt.error).toMatch(/not followed/);
    }
    expect(requests).toHaveLength(2);
    await sleep(100);
    expect(elsewhere.requests).toHaveLength(0);
  });
}, { config });

// The SSRF guard checks the address when connecting, not only when the endpoint is saved: here the
// endpoint was accepted (127.0.0.0/8 allowed when it was created), and the worker runs with a
// policy that no longer allows loopback, as after the operator narrows HERALD_ALLOWED_CIDRS.
describeEachHerald('attempts: the SSRF guard at connect time', (h) => {
  let receiver: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await createReceiver();
    const strict = createSender({ timeoutMs, maxResponseBytes: 20 * 1024, network: new NetworkPolicy([]), userAgent: 'test' });
    worker = startWorker({ ...h().ctx, sender: strict }, { pollIntervalMs: 20 });
    await defineEventType(h(), 'order.created');
  });
  afterAll(async () => {
    await worker.stop(1_000);
    await receiver.close();
  });

  it('refuses a loopback target: outcome ssrf_blocked, and the receiver gets nothing', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/private`, eventTypes: ['*'] });
    const event = await publishOne(h(), tenant, 'order.created');
    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 2, lastOutcome: 'ssrf_blocked' });
    for (const attempt of delivery.attempts) {
      expect(attempt).toMatchObject({ outcome: 'ssrf_blocked', statusCode: null });
      expect(attempt.error).toMatch(/127\.0\.0\.1.*not allowed/);
    }
    expect(receiver.requests).toHaveLength(0);
    expect(receiver.connections).toBe(0);
  });
}, { config });
