// Isolation (acceptance list, item 8): an endpoint that hangs on every request must not slow the
// deliveries to a healthy endpoint. Both phases run in the same test on the same worker: N
// deliveries to the healthy endpoint alone (in two halves, before and after), and N while a
// hanging endpoint has a deep, older backlog (it keeps its endpointConcurrency slots busy until
// each attempt's deadline, then takes them again). The healthy endpoint's rate beside the hanging
// one must stay within 10 % of its rate alone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { createEndpoint, defineEventType, publish, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

const n = 300;
const endpointConcurrency = 4;
/** The healthy receiver answers after about this long, so its rate is set by the endpoint cap, not by noise. */
const answerMs = 50;

describeEachHerald('isolation of a hanging endpoint', (h) => {
  let healthy: Receiver;
  let hanging: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    healthy = await createReceiver();
    healthy.respond(() => ({ status: 200, trickle: { chunk: 'ok', everyMs: answerMs, count: 1 } }));
    hanging = await createReceiver();
    hanging.respond(() => ({ hang: true }));
    worker = startWorker(h().ctx);
    await defineEventType(h(), 'load.test');
  });
  afterAll(async () => {
    await worker?.stop(100);
    await Promise.all([healthy?.close(), hanging?.close()]);
  });

  const batchOf = (count: number) => ({ events: Array.from({ length: count }, (_, i) => ({ type: 'load.test', data: { i } })) });

  /** Publishes `count` events for the healthy endpoint and returns how long their delivery took. */
  async function deliverHealthy(tenant: string, count: number): Promise<number> {
    const before = healthy.requests.length;
    const started = Date.now();
    const res = await publish(h(), tenant, batchOf(count), { batch: true });
    expect(res.statusCode, res.body).toBe(202);
    await healthy.waitForRequests(before + count, 60_000);
    return Date.now() - started;
  }

  // A rate measured while the rest of the suite runs in parallel can be pushed off by a burst of
  // other work during one phase; a second and third measurement tell that from a real slowdown,
  // which fails all three.
  it(`keeps the healthy endpoint's rate within 10 % while another endpoint hangs (N=${n})`, { retry: 2 }, async () => {
    const good = await h().createTenant();
    await createEndpoint(h(), good, { url: `${healthy.url}/good`, eventTypes: ['*'] });
    const bad = await h().createTenant();
    const hangingEndpoint = await createEndpoint(h(), bad, { url: `${hanging.url}/bad`, eventTypes: ['*'] });

    await deliverHealthy(good, 40); // warm-up: connections, JIT, query plans

    // Alone, measured in two halves around the other phase, so that a drift in the machine's
    // speed (other processes) weighs on both phases alike.
    const aloneFirstMs = await deliverHealthy(good, n / 2);

    // The hanging endpoint's backlog is older, so it comes first in due order.
    expect((await publish(h(), bad, batchOf(n), { batch: true })).statusCode).toBe(202);
    await waitFor('the hanging endpoint to fill its slots', async () => (hanging.requests.length >= endpointConcurrency ? true : undefined));
    const hangingBefore = hanging.requests.length;
    const besideMs = await deliverHealthy(good, n);
    const hangingDuring = hanging.requests.length - hangingBefore;

    // Take the hanging endpoint's backlog away (its requests in flight still hang until their deadline).
    await h().ctx.db.query(`update deliveries set status = 'failed' where endpoint_id = $1 and status = 'pending'`, [hangingEndpoint.id]);
    const aloneSecondMs = await deliverHealthy(good, n / 2);

    const alone = n / ((aloneFirstMs + aloneSecondMs) / 1000);
    const beside = n / (besideMs / 1000);
    const summary = `healthy endpoint: ${alone.toFixed(1)}/s alone (${aloneFirstMs} + ${aloneSecondMs} ms), ${beside.toFixed(1)}/s beside the hanging one (${besideMs} ms, during which it took ${hangingDuring} requests)`;
    expect(beside, summary).toBeGreaterThanOrEqual(alone * 0.9);
    // The hanging endpoint got its slots again after each deadline, never more than its cap at once.
    expect(hangingDuring).toBeGreaterThan(0);
  });
}, {
  config: {
    allowHttp: true,
    allowedCidrs: ['127.0.0.0/8'],
    deliveryTimeoutMs: 2_000,
    workerConcurrency: 32,
    endpointConcurrency,
    retryScheduleMs: [0, 100, 100, 100, 100, 100],
  },
});
