// Publishing (acceptance list, item 1): single and batch, all or nothing, the events:publish
// permission, payloads kept byte for byte, the request limits, and Idempotency-Key.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import { requestFingerprint } from '../../src/services/idempotency.ts';
import { expectFieldErrors, expectProblem } from '../support/api.ts';
import { createEndpoint, defineEventType, publish } from '../support/delivery.ts';
import { describeEachHerald, type TestHerald } from '../support/herald.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

const paymentSchema = {
  type: 'object',
  properties: { amount: { type: 'integer', minimum: 0 }, currency: { type: 'string' } },
  required: ['amount'],
};

/** Payloads JSON.parse + JSON.stringify would change: duplicate keys, key order, big and huge numbers, escapes. */
const awkwardPayloads = [
  '{"b":1,"a":2,"a":3}',
  '{"big":12345678901234567890123,"huge":1e400,"tiny":1E-400,"neg":-0.0}',
  '[ 1 ,\n\t2.50 , "caf\\u00e9", "café", "\\ud83d\\ude00" ]',
];

async function countEvents(h: TestHerald, tenantId: string): Promise<number> {
  const [row] = await h.ctx.db.query<{ n: number }>('select count(*)::int as n from events where tenant_id = $1', [tenantId]);
  return row!.n;
}

describeEachHerald('publishing events', (h) => {
  let receiver: Receiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await createReceiver();
    worker = startWorker(h().ctx, { pollIntervalMs: 50 });
    await defineEventType(h(), 'payment.sent', paymentSchema);
    await defineEventType(h(), 'order.created');
  });
  afterAll(async () => {
    await worker.stop(1_000);
    await receiver.close();
  });

  it('answers 202 with the event id, its fields and the number of deliveries', async () => {
    const tenant = await h().createTenant();
    const res = await publish(h(), tenant, { type: 'order.created', data: { n: 1 }, accountId: 'acc_1' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'order.created',
      environment: 'live',
      accountId: 'acc_1',
      createdAt: expect.any(String),
      deliveries: 0,
    });
    expect(await countEvents(h(), tenant)).toBe(1);
  });

  it('refuses a NUL character in accountId or relatedEntity (422), without failing the publishes written with it', async () => {
    const [bad, good] = [await h().createTenant(), await h().createTenant()];
    // Sent together, so they can share a group write.
    const [refused, related, accepted] = await Promise.all([
      publish(h(), bad, '{"type":"order.created","data":{},"accountId":"acc\\u0000"}'),
      publish(h(), bad, '{"type":"order.created","data":{},"relatedEntity":{"id":"e\\u0000","type":"order"}}'),
      publish(h(), good, { type: 'order.created', data: { n: 1 }, accountId: 'acc_ok' }),
    ]);
    expectFieldErrors(refused, ['accountId']);
    expectFieldErrors(related, ['relatedEntity.id']);
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(await countEvents(h(), bad)).toBe(0);
    expect(await countEvents(h(), good)).toBe(1);
  });

  it('keeps payloads byte for byte, single and batch: the receiver gets exactly the bytes published', async () => {
    const tenant = await h().createTenant();
    const ep = await createEndpoint(h(), tenant, { url: `${receiver.url}/raw/${tenant}`, eventTypes: ['order.created'] });
    const first = receiver.requests.length;
    const ids: string[] = [];
    for (const data of awkwardPayloads) {
      const res = await publish(h(), tenant, `{"type":"order.created","data":${data}}`);
      expect(res.statusCode, res.body).toBe(202);
      ids.push(res.json().id);
    }
    const batch = await publish(h(), tenant, `{"events":[${awkwardPayloads.map((d) => `{"data":${d},"type":"order.created"}`).join(' , ')}]}`, { batch: true });
    expect(batch.statusCode, batch.body).toBe(202);
    ids.push(...(batch.json().data as { id: string }[]).map((e) => e.id));

    await receiver.waitForRequests(first + 6, 5_000);
    const mine = receiver.requests.filter((r) => r.url === `/raw/${tenant}`);
    expect(mine).toHaveLength(6);
    const byId = new Map(mine.map((r) => [r.headers['webhook-id'] as string, r]));
    const wh = new Webhook(ep.secret);
    for (const [i, id] of ids.entries()) {
      const request = byId.get(id)!;
      expect(request, `event ${i}`).toBeDefined();
      // The envelope's `data` is the published text itself, and the envelope ends with it.
      expect(request.body.endsWith(`"data":${awkwardPayloads[i % 3]}}`), request.body).toBe(true);
      expect(() => wh.verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
  });

  it('publishes a batch all or nothing: an invalid third event stores none of them', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/none`, eventTypes: ['*'] });
    const events = [
      { type: 'payment.sent', data: { amount: 1 } },
      { type: 'order.created', data: {} },
      { type: 'payment.sent', data: { amount: -5 } },
      { type: 'order.created', data: {} },
    ];
    const res = await publish(h(), tenant, { events }, { batch: true });
    const errors = expectFieldErrors(res, ['events[2].data.amount']);
    expect(errors[0]!.message).toMatch(/>= 0/);
    expect(await countEvents(h(), tenant)).toBe(0);
    const [deliveries] = await h().ctx.db.query<{ n: number }>('select count(*)::int as n from deliveries where tenant_id = $1', [tenant]);
    expect(deliveries!.n).toBe(0);

    // An unknown type in third place, too.
    const unknown = await publish(h(), tenant, { events: [events[0], events[1], { type: 'no.such.type', data: {} }] }, { batch: true });
    expectFieldErrors(unknown, ['events[2].type']);
    expect(await countEvents(h(), tenant)).toBe(0);

    const ok = await publish(h(), tenant, { events: [events[0], events[1], events[3]] }, { batch: true });
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json().data).toHaveLength(3);
    expect(ok.json().data.map((e: { deliveries: number }) => e.deliveries)).toEqual([1, 1, 1]);
    expect(await countEvents(h(), tenant)).toBe(3);
  });

  it('takes up to 1000 events in a batch and refuses 1001 with a 422', async () => {
    const tenant = await h().createTenant();
    const many = (n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ type: 'order.created', data: { i } })) });
    const ok = await publish(h(), tenant, many(1000), { batch: true });
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json().data).toHaveLength(1000);
    expectFieldErrors(await publish(h(), tenant, many(1001), { batch: true }), ['events']);
    expect(await countEvents(h(), tenant)).toBe(1000);
  });

  it('needs events:publish: a key without it gets 403, a key with it and the operator token may publish', async () => {
    const tenant = await h().createTenant();
    const plain = await h().createKey(tenant);
    const publisher = await h().createKey(tenant, { permissions: ['events:publish'] });
    const body = { type: 'order.created', data: {} };
    expectProblem(await publish(h(), tenant, body, { as: plain }), 403, 'forbidden');
    expectProblem(await publish(h(), tenant, { events: [body] }, { batch: true, as: plain }), 403, 'forbidden');
    expect(await countEvents(h(), tenant)).toBe(0);
    expect((await publish(h(), tenant, body, { as: publisher })).statusCode).toBe(202);
    expect((await publish(h(), tenant, body)).statusCode).toBe(202);
    // Another tenant's publisher key does not reach this tenant at all.
    const stranger = await h().createKey(await h().createTenant(), { permissions: ['events:publish'] });
    expectProblem(await publish(h(), tenant, body, { as: stranger }), 404, 'not_found');
    expect(await countEvents(h(), tenant)).toBe(2);
  });

  it('refuses invalid UTF-8, JSON nested deeper than 64 levels and a body over 256 KiB', async () => {
    const tenant = await h().createTenant();
    const invalidUtf8 = Buffer.concat([Buffer.from('{"type":"order.created","data":{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    expect(expectProblem(await publish(h(), tenant, invalidUtf8), 400, 'malformed_request').detail).toMatch(/UTF-8/);

    const nested = (levels: number) => `{"type":"order.created","data":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    expect((await publish(h(), tenant, nested(63))).statusCode).toBe(202); // 64 levels with the outer object
    expect(expectProblem(await publish(h(), tenant, nested(64)), 400, 'malformed_request').detail).toMatch(/deeper than 64/);

    const big = (bytes: number) => `{"type":"order.created","data":{"blob":"${'x'.repeat(bytes)}"}}`;
    expect((await publish(h(), tenant, big(200 * 1024))).statusCode).toBe(202);
    expectProblem(await publish(h(), tenant, big(256 * 1024)), 413, 'payload_too_large');
    // In a batch (whose own limit is larger), each event's data is held to the same limit.
    const batch = `{"events":[{"type":"order.created","data":{}},{"type":"order.created","data":"${'y'.repeat(256 * 1024)}"}]}`;
    expectFieldErrors(await publish(h(), tenant, batch, { batch: true }), ['events[1].data']);
    expect(await countEvents(h(), tenant)).toBe(2);
  });

  it('refuses an unknown event type and data failing the type\'s schema with 422 naming the field', async () => {
    const tenant = await h().createTenant();
    const unknown = expectFieldErrors(await publish(h(), tenant, { type: 'payment.vanished', data: {} }), ['type']);
    expect(unknown[0]!.message).toMatch(/not a known event type/);
    expectFieldErrors(await publish(h(), tenant, { type: 'payment.sent', data: { currency: 'EUR' } }), ['data.amount']);
    expectFieldErrors(await publish(h(), tenant, { type: 'payment.sent', data: { amount: 'ten' } }), ['data.amount']);
    expectFieldErrors(await publish(h(), tenant, { type: 'payment.sent', data: { amount: 1 }, colour: 'red' }), ['colour']);
    expect(await countEvents(h(), tenant)).toBe(0);
    expect((await publish(h(), tenant, { type: 'payment.sent', data: { amount: 10, currency: 'EUR' } })).statusCode).toBe(202);
  });

  it('Idempotency-Key: the same key and body answer the first result again and store nothing more', async () => {
    const tenant = await h().createTenant();
    await createEndpoint(h(), tenant, { url: `${receiver.url}/idem`, eventTypes: ['order.created'] });
    const body = '{"type":"order.created","data":{"n":1}}';
    const headers = { 'idempotency-key': 'order-1' };
    const first = await publish(h(), tenant, body, { headers });
    expect(first.statusCode, first.body).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await publish(h(), tenant, body, { headers });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await countEvents(h(), tenant)).toBe(1);
    const [deliveries] = await h().ctx.db.query<{ n: number }>('select count(*)::int as n from deliveries where tenant_id = $1', [tenant]);
    expect(deliveries!.n).toBe(1);

    // The same for a batch.
    const batch = '{"events":[{"type":"order.created","data":1},{"type":"order.created","data":2}]}';
    const b1 = await publish(h(), tenant, batch, { batch: true, headers: { 'idempotency-key': 'batch-1' } });
    const b2 = await publish(h(), tenant, batch, { batch: true, headers: { 'idempotency-key': 'batch-1' } });
    expect(b1.statusCode).toBe(202);
    expect(b2.headers['idempotent-replayed']).toBe('true');
    expect(b2.json()).toEqual(b1.json());
    expect(await countEvents(h(), tenant)).toBe(3);
  });

  it('Idempotency-Key: the same key with another body is a 422 and publishes nothing', async () => {
    const tenant = await h().createTenant();
    const headers = { 'idempotency-key': 'k-mismatch' };
    expect((await publish(h(), tenant, '{"type":"order.created","data":{"n":1}}', { headers })).statusCode).toBe(202);
    expectProblem(await publish(h(), tenant, '{"type":"order.created","data":{"n":2}}', { headers }), 422, 'idempotency_mismatch');
    expect(await countEvents(h(), tenant)).toBe(1);
  });

  it('Idempotency-Key: while the first request is still in flight, a second one gets 409', async () => {
    const tenant = await h().createTenant();
    const body = '{"type":"order.created","data":{"n":1}}';
    // A request holding the key and still running: locked, no answer yet.
    await h().ctx.db.query(
      `insert into idempotency_keys (tenant_id, scope, key, request_hash, locked_until, expires_at)
       values ($1, 'publish', 'held', $2, now() + interval '1 minute', now() + interval '1 day')`,
      [tenant, requestFingerprint('single', body)],
    );
    expectProblem(await publish(h(), tenant, body, { headers: { 'idempotency-key': 'held' } }), 409, 'idempotency_in_flight');
    expect(await countEvents(h(), tenant)).toBe(0);

    // Once the holder's lock has run out (it crashed), the key can be used again.
    await h().ctx.db.query(`update idempotency_keys set locked_until = now() - interval '1 second' where tenant_id = $1`, [tenant]);
    expect((await publish(h(), tenant, body, { headers: { 'idempotency-key': 'held' } })).statusCode).toBe(202);
    expect(await countEvents(h(), tenant)).toBe(1);
  });

  it('Idempotency-Key: two requests racing with one key publish once', async () => {
    const tenant = await h().createTenant();
    const body = '{"type":"order.created","data":{"race":true}}';
    const answers = await Promise.all(Array.from({ length: 8 }, () => publish(h(), tenant, body, { headers: { 'idempotency-key': 'race' } })));
    const ok = answers.filter((a) => a.statusCode === 202);
    expect(answers.every((a) => a.statusCode === 202 || a.statusCode === 409), answers.map((a) => a.statusCode).join()).toBe(true);
    expect(new Set(ok.map((a) => a.json().id)).size).toBe(1);
    expect(await countEvents(h(), tenant)).toBe(1);
  });

  it('Idempotency-Key: keys are scoped per tenant (the same key in two tenants makes two events)', async () => {
    const [t1, t2] = [await h().createTenant(), await h().createTenant()];
    const body = '{"type":"order.created","data":{}}';
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await publish(h(), t1, body, { headers });
    const b = await publish(h(), t2, body, { headers });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json().id).not.toBe(b.json().id);
    expect([await countEvents(h(), t1), await countEvents(h(), t2)]).toEqual([1, 1]);
  });

  it('Idempotency-Key: a refused request (422) does not use the key up', async () => {
    const tenant = await h().createTenant();
    const headers = { 'idempotency-key': 'after-error' };
    expectFieldErrors(await publish(h(), tenant, '{"type":"payment.sent","data":{}}', { headers }), ['data.amount']);
    expect((await publish(h(), tenant, '{"type":"payment.sent","data":{"amount":1}}', { headers })).statusCode).toBe(202);
  });
}, { config: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'] } });
