// A hanging endpoint whose backlog is deeper than a claim reads in due order must not hide the
// other endpoints' deliveries from the worker: its claims go round the endpoints instead
// (store/claim.ts), and keep going while the round finds rows.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { createEndpoint, defineEventType, publish, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

const endpointConcurrency = 2;
/** A claim reads at most 4 × 4 × claimBatchSize due rows in due order: 64 here, against a backlog of 150. */
const claimBatchSize = 4;
const healthyEndpoints = 12;

describeEachHerald('a capped backlog deeper than a claim reads', (h) => {
  let healthy: Receiver;
  let hanging: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    healthy = await createReceiver();
    hanging = await createReceiver();
    hanging.respond(() => ({ hang: true }));
    await defineEventType(h(), 'deep.test');
  });
  afterAll(async () => {
    await worker?.stop(100);
    await Promise.all([healthy?.close(), hanging?.close()]);
  });

  const batchOf = (count: number) => ({ events: Array.from({ length: count }, (_, i) => ({ type: 'deep.test', data: { i } })) });

  it(`delivers to ${healthyEndpoints} other endpoints while a hanging endpoint has 150 older deliveries due`, async () => {
    const bad = await h().createTenant();
    await createEndpoint(h(), bad, { url: `${hanging.url}/bad`, eventTypes: ['*'] });
    expect((await publish(h(), bad, batchOf(150), { batch: true })).statusCode).toBe(202);

    worker = startWorker(h().ctx, { concurrency: 8, endpointConcurrency, claimBatchSize, pollIntervalMs: 60_000 });
    await waitFor('the hanging endpoint to fill its slots', async () => (hanging.requests.length >= endpointConcurrency ? true : undefined));

    const good = await h().createTenant();
    for (let i = 0; i < healthyEndpoints; i++) await createEndpoint(h(), good, { url: `${healthy.url}/good/${i}`, eventTypes: ['*'] });
    expect((await publish(h(), good, batchOf(2), { batch: true })).statusCode).toBe(202);

    // The poll is a minute away: only the publish's wake-up and the claims it starts move the worker.
    await healthy.waitForRequests(2 * healthyEndpoints, 10_000);
    expect(new Set(healthy.requests.map((r) => r.url)).size).toBe(healthyEndpoints);
    expect(hanging.requests.length).toBe(endpointConcurrency);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], deliveryTimeoutMs: 30_000 } });
