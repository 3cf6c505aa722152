// Auto-disable, end to end with a worker and a receiver: the sweep (autoDisableEndpoints) disables
// an endpoint with ≥ autoDisableFailures failed deliveries in a row and no success for
// autoDisableAfterMs, says why, and tells the operator's `_herald` endpoints; re-enabling is one
// PATCH and starts the count again; 410 Gone disables at once.
import { Webhook } from 'standardwebhooks';
import { beforeAll, expect, it } from 'vitest';
import { autoDisableEndpoints } from '../../src/services/maintenance.ts';
import { createEndpoint, deliveryRig, publishOne, settledDelivery, sleep, waitFor } from '../support/delivery.ts';
import { describeEachHerald } from '../support/herald.ts';
import { type RecordedRequest } from '../support/receiver.ts';

interface EndpointView {
  id: string;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
}

describeEachHerald('auto-disable', (h) => {
  const rig = deliveryRig(h, ['meter.read']);
  let operations: { id: string; secret: string };
  beforeAll(async () => {
    // The operator listens to Herald's own events with an endpoint on the reserved tenant.
    operations = await createEndpoint(h(), '_herald', { url: rig.routes.on('/operator', () => ({ status: 200 })), eventTypes: ['endpoint.disabled'] });
  });

  /** A tenant with one endpoint that answers as `behaviour.status` says (changeable). */
  async function endpointOf(status: { code: number }) {
    const tenant = await h().createTenant();
    const path = `/ep/${tenant}`;
    const endpoint = await createEndpoint(h(), tenant, { url: rig.routes.on(path, () => ({ status: status.code })), eventTypes: ['meter'] });
    return { tenant, path, endpoint };
  }

  /** Publishes one event per status and waits for each delivery to settle. */
  async function deliver(tenant: string, status: { code: number }, codes: number[]) {
    for (const code of codes) {
      status.code = code;
      const event = await publishOne(h(), tenant, 'meter.read');
      expect(event.deliveries).toBe(1);
      await settledDelivery(h(), tenant, event.id);
    }
  }

  const getEndpoint = async (tenant: string, id: string) => (await h().request({ method: 'GET', url: `/v1/tenants/${tenant}/endpoints/${id}` })).json() as EndpointView;
  const health = async (id: string) =>
    (await h().ctx.db.query<{ consecutive_failures: number }>('select consecutive_failures from endpoints where id = $1', [id]))[0]!.consecutive_failures;
  /** Makes the endpoint look as if it had been created (and never succeeded) two minutes ago. */
  const age = (id: string) => h().ctx.db.query(`update endpoints set created_at = now() - interval '2 minutes' where id = $1`, [id]);
  const operatorEvents = (endpointId: string) =>
    rig.routes.requests('/operator').filter((r) => (JSON.parse(r.body) as { data: { endpointId: string } }).data.endpointId === endpointId);

  it('disables an endpoint that failed 3 deliveries in a row and has not succeeded for a minute, and tells the operator', async () => {
    const status = { code: 500 };
    const { tenant, endpoint } = await endpointOf(status);
    await deliver(tenant, status, [500, 500, 500]);
    expect(await health(endpoint.id)).toBe(3);
    await autoDisableEndpoints(h().ctx);
    expect((await getEndpoint(tenant, endpoint.id)).enabled, 'created a moment ago: not yet').toBe(true);

    await age(endpoint.id);
    const before = Date.now();
    expect(await autoDisableEndpoints(h().ctx)).toBeGreaterThanOrEqual(1);
    const disabled = await getEndpoint(tenant, endpoint.id);
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'no successful delivery for 1 min and 3 failed deliveries in a row' });
    expect(Date.parse(disabled.disabledAt!)).toBeGreaterThanOrEqual(before - 1_000);
    expect((await publishOne(h(), tenant, 'meter.read')).deliveries).toBe(0);

    const [notice] = await waitFor('the endpoint.disabled event', async () => (operatorEvents(endpoint.id).length > 0 ? operatorEvents(endpoint.id) : undefined));
    const envelope = new Webhook(operations.secret).verify(notice!.body, notice!.headers as Record<string, string>) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      type: 'endpoint.disabled',
      brandId: '_herald',
      webhookId: operations.id,
      data: { endpointId: endpoint.id, tenantId: tenant, url: `${rig.receiver.url}/ep/${tenant}`, reason: disabled.disabledReason, disabledAt: expect.any(String) },
    });
    expect(Date.parse((envelope.data as { disabledAt: string }).disabledAt)).toBe(Date.parse(disabled.disabledAt!));

    // A sweep finds nothing more to do: no second notice.
    await autoDisableEndpoints(h().ctx);
    await sleep(200);
    expect(operatorEvents(endpoint.id)).toHaveLength(1);
  });

  it('PATCH enabled:true re-enables it, clears the reason and starts the failure count again', async () => {
    const status = { code: 500 };
    const { tenant, path, endpoint } = await endpointOf(status);
    await deliver(tenant, status, [500, 500, 500]);
    await age(endpoint.id);
    await autoDisableEndpoints(h().ctx);
    expect((await getEndpoint(tenant, endpoint.id)).enabled).toBe(false);

    const res = await h().request({ method: 'PATCH', url: `/v1/tenants/${tenant}/endpoints/${endpoint.id}`, payload: { enabled: true } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    expect(await health(endpoint.id)).toBe(0);
    await autoDisableEndpoints(h().ctx);
    expect((await getEndpoint(tenant, endpoint.id)).enabled, 'not disabled again by the old failures').toBe(true);

    // It receives events again; two more failures are not three.
    const sent = rig.routes.requests(path).length;
    await deliver(tenant, status, [500, 500]);
    expect(rig.routes.requests(path)).toHaveLength(sent + 2);
    await autoDisableEndpoints(h().ctx);
    expect((await getEndpoint(tenant, endpoint.id)).enabled).toBe(true);
    // The third in a row counts again.
    await deliver(tenant, status, [500]);
    await autoDisableEndpoints(h().ctx);
    expect((await getEndpoint(tenant, endpoint.id)).enabled).toBe(false);
  });

  it('leaves alone an endpoint with a recent success, fewer failures in a row, or only throttling answers', async () => {
    const recent = { code: 200 };
    const a = await endpointOf(recent);
    await deliver(a.tenant, recent, [200, 500, 500, 500]);
    expect(await health(a.endpoint.id)).toBe(3);

    const interrupted = { code: 500 };
    const b = await endpointOf(interrupted);
    await deliver(b.tenant, interrupted, [500, 500, 200, 500, 500]);
    expect(await health(b.endpoint.id)).toBe(2);

    const throttled = { code: 503 };
    const c = await endpointOf(throttled);
    await deliver(c.tenant, throttled, [503, 429, 503, 502]);
    expect(await health(c.endpoint.id)).toBe(0);

    for (const e of [a, b, c]) await age(e.endpoint.id);
    await autoDisableEndpoints(h().ctx);
    for (const e of [a, b, c]) expect((await getEndpoint(e.tenant, e.endpoint.id)).enabled).toBe(true);
    for (const e of [a, b, c]) expect(operatorEvents(e.endpoint.id)).toEqual([] as RecordedRequest[]);
  });

  it('an endpoint answering 410 Gone is disabled at once, without waiting for the sweep', async () => {
    const status = { code: 410 };
    const { tenant, path, endpoint } = await endpointOf(status);
    await deliver(tenant, status, [410]);
    const gone = await getEndpoint(tenant, endpoint.id);
    expect(gone).toMatchObject({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' });
    expect(gone.disabledAt).not.toBeNull();
    expect((await publishOne(h(), tenant, 'meter.read')).deliveries).toBe(0);
    expect(rig.routes.requests(path)).toHaveLength(1);

    const [notice] = await waitFor('the endpoint.disabled event', async () => (operatorEvents(endpoint.id).length > 0 ? operatorEvents(endpoint.id) : undefined));
    expect(new Webhook(operations.secret).verify(notice!.body, notice!.headers as Record<string, string>)).toMatchObject({
      type: 'endpoint.disabled',
      data: { endpointId: endpoint.id, tenantId: tenant, reason: 'the endpoint answered 410 Gone' },
    });
  });

  it('tells the operator when a delivery fails its last attempt (delivery.exhausted)', async () => {
    const exhausted = await createEndpoint(h(), '_herald', { url: rig.routes.on('/operator-exhausted', () => ({ status: 200 })), eventTypes: ['delivery.exhausted'] });
    const status = { code: 503 };
    const { tenant, endpoint } = await endpointOf(status);
    const event = await publishOne(h(), tenant, 'meter.read');
    const delivery = await settledDelivery(h(), tenant, event.id);
    expect(delivery.status).toBe('failed');
    const [notice] = await waitFor('the delivery.exhausted event', async () => {
      const found = rig.routes.requests('/operator-exhausted').filter((r) => (JSON.parse(r.body) as { data: { deliveryId: string } }).data.deliveryId === delivery.id);
      return found.length > 0 ? found : undefined;
    });
    expect(new Webhook(exhausted.secret).verify(notice!.body, notice!.headers as Record<string, string>)).toMatchObject({
      type: 'delivery.exhausted',
      brandId: '_herald',
      data: { deliveryId: delivery.id, tenantId: tenant, endpointId: endpoint.id, eventId: event.id, eventType: 'meter.read', attempts: 1, lastOutcome: 'http_5xx', lastStatusCode: 503 },
    });
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'], retryScheduleMs: [0], autoDisableFailures: 3, autoDisableAfterMs: 60_000 } });
