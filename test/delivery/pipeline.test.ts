import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('publish → deliver', (h) => {
  let receiver: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await createReceiver();
    worker = startWorker(h().ctx, { pollIntervalMs: 50 });
    await h().request({ method: 'PUT', url: '/v1/event-types/payment.sent', payload: { description: 'sent' } });
  });
  afterAll(async () => {
    await worker.stop(1000);
    await receiver.close();
  });

  it('delivers a published event, signed, with data byte for byte', async () => {
    const tenant = await h().createTenant();
    const ep = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: `${receiver.url}/hook`, eventTypes: ['payment'] } });
    expect(ep.statusCode).toBe(201);
    const data = '{"b":1,"a":2,"a":3,"big":12345678901234567890123,"huge":1e400}';
    const res = await h().request({
      method: 'POST',
      url: `/v1/tenants/${tenant}/events`,
      headers: { 'content-type': 'application/json' },
      payload: `{"type":"payment.sent","data":${data}}`,
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().deliveries).toBe(1);
    const [request] = await receiver.waitForRequests(1, 5000);
    expect(request!.body).toContain(`"data":${data}}`);
    const verified = new Webhook(ep.json().secret).verify(request!.body, request!.headers as Record<string, string>);
    expect(verified).toMatchObject({ id: res.json().id, type: 'payment.sent', brandId: tenant, webhookId: ep.json().id });
    expect(request!.headers['webhook-id']).toBe(res.json().id);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'] } });
