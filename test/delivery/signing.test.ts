// Sending and signing (acceptance list, items 4 and 5): deliveries over HTTP and HTTPS (a private
// CA trusted through config.caFile), verified with the public standardwebhooks package, and secret
// rotation — both secrets sign during the grace period, only the new one after a rotation
// without grace.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { createEndpoint, defineEventType, publish, settledDelivery } from '../support/delivery.ts';
import { describeEachHerald, type TestHerald } from '../support/herald.ts';
import { createReceiver, type Receiver, type RecordedRequest } from '../support/receiver.ts';
import { createTestCa } from '../support/testCa.ts';

const ca = createTestCa();
const untrustedCa = createTestCa();
afterAll(() => {
  ca.remove();
  untrustedCa.remove();
});

function verify(secret: string, request: RecordedRequest): unknown {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
}

describeEachHerald('signing over HTTP and HTTPS', (h) => {
  let https: Receiver;
  let http: Receiver;
  let untrusted: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    https = await createReceiver({ https: { key: ca.key, cert: ca.cert } });
    http = await createReceiver();
    untrusted = await createReceiver({ https: { key: untrustedCa.key, cert: untrustedCa.cert } });
    worker = startWorker(h().ctx, { pollIntervalMs: 20 });
    await defineEventType(h(), 'payment.sent');
  });
  afterAll(async () => {
    await worker.stop(1_000);
    await Promise.all([https.close(), http.close(), untrusted.close()]);
  });

  async function deliver(h: TestHerald, receiver: Receiver, tenant: string, path: string, data = '{"amount":1}') {
    const before = receiver.requests.length;
    const res = await publish(h, tenant, `{"type":"payment.sent","accountId":"acc_7","data":${data}}`);
    expect(res.statusCode, res.body).toBe(202);
    const requests = await receiver.waitForRequests(before + 1, 5_000);
    const request = requests.slice(before).find((r) => r.url === path)!;
    expect(request).toBeDefined();
    return { id: res.json().id as string, request };
  }

  for (const scheme of ['https', 'http'] as const) {
    it(`delivers over ${scheme}: a Standard Webhooks signature and the documented envelope`, async () => {
      const receiver = scheme === 'https' ? https : http;
      expect(receiver.url.startsWith(`${scheme}://`)).toBe(true);
      const tenant = await h().createTenant();
      const path = `/${scheme}/${tenant}`;
      const ep = await createEndpoint(h(), tenant, { url: `${receiver.url}${path}`, eventTypes: ['payment'] });
      const { id, request } = await deliver(h(), receiver, tenant, path, '{"amount": 12.50, "amount": 13}');

      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['webhook-id']).toBe(id);
      expect(Number(request.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const envelope = verify(ep.secret, request) as Record<string, unknown>;
      expect(envelope).toEqual({
        id,
        type: 'payment.sent',
        timestamp: expect.any(String),
        created: expect.any(String),
        brandId: tenant,
        webhookId: ep.id,
        attemptId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        accountId: 'acc_7',
        data: { amount: 13 },
      });
      expect(request.body.endsWith('"data":{"amount": 12.50, "amount": 13}}')).toBe(true);
      // A signature made with another secret, or over a changed body, does not verify.
      expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, request)).toThrow(WebhookVerificationError);
      expect(() => verify(ep.secret, { ...request, body: request.body.replace('13', '14') })).toThrow(WebhookVerificationError);
    });
  }

  it('refuses a certificate from an authority it does not trust: outcome tls, nothing delivered', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${untrusted.url}/hook`, eventTypes: ['*'] });
    const res = await publish(h(), tenant, { type: 'payment.sent', data: {} });
    const delivery = await settledDelivery(h(), tenant, res.json().id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['tls']);
    expect(untrusted.requests).toHaveLength(0);
  });

  it('during a rotation\'s grace period, both the old and the new secret verify the same delivery', async () => {
    const tenant = await h().createTenant();
    const path = `/grace/${tenant}`;
    const ep = await createEndpoint(h(), tenant, { url: `${https.url}${path}`, eventTypes: ['*'] });
    const rotated = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, payload: { gracePeriodSeconds: 3600 } });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newSecret = rotated.json().secret as string;
    expect(newSecret).not.toBe(ep.secret);

    const { id, request } = await deliver(h(), https, tenant, path);
    expect((request.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(verify(ep.secret, request)).toMatchObject({ id });
    expect(verify(newSecret, request)).toMatchObject({ id });
  });

  it('after a rotation with gracePeriodSeconds 0, only the new secret verifies', async () => {
    const tenant = await h().createTenant();
    const path = `/nograce/${tenant}`;
    const ep = await createEndpoint(h(), tenant, { url: `${https.url}${path}`, eventTypes: ['*'] });
    const rotated = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, payload: { gracePeriodSeconds: 0 } });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newSecret = rotated.json().secret as string;

    const { id, request } = await deliver(h(), https, tenant, path);
    expect((request.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    expect(verify(newSecret, request)).toMatchObject({ id });
    expect(() => verify(ep.secret, request)).toThrow(WebhookVerificationError);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], caFile: ca.caFile, retryScheduleMs: [0] } });
