// Shortcuts for the delivery tests: event types, endpoints, publishing raw bodies, reading
// deliveries back through the API, and waiting for the worker to get somewhere.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import type { DeliveryWorker } from '../../src/delivery/worker.ts';
import { startWorker } from '../../src/herald.ts';
import type { Attempt, Delivery } from '../../src/store/deliveryLog.ts';
import type { TestHerald } from './herald.ts';
import { createReceiver, type RecordedRequest, type Receiver, type Responder } from './receiver.ts';

/** A type as the API sends it: dates become RFC 3339 strings. */
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export type AttemptView = AsJson<Omit<Attempt, 'deliveryId'>>;
export type DeliveryView = AsJson<Omit<Delivery, 'lockedUntil'>> & { attempts: AttemptView[] };

/** Creates (or replaces) an event type. */
export async function defineEventType(h: TestHerald, name: string, schema?: object): Promise<void> {
  const res = await h.request({ method: 'PUT', url: `/v1/event-types/${name}`, payload: schema ? { schema } : {} });
  expect([200, 201], res.body).toContain(res.statusCode);
}

export async function createEndpoint(h: TestHerald, tenantId: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/endpoints`, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string };
}

/** POSTs `body` exactly as given (a string is sent byte for byte). */
export function publish(
  h: TestHerald,
  tenantId: string,
  body: string | Buffer | object,
  options: { batch?: boolean; headers?: Record<string, string>; as?: string } = {},
): Promise<LightMyRequestResponse> {
  return h.request({
    method: 'POST',
    url: `/v1/tenants/${tenantId}/events${options.batch ? '/batch' : ''}`,
    headers: { 'content-type': 'application/json', ...options.headers },
    payload: body as string,
    ...(options.as ? { as: options.as } : {}),
  });
}

/** Publishes one event and returns its id, asserting the 202. */
export async function publishOne(h: TestHerald, tenantId: string, type: string, data: unknown = {}): Promise<{ id: string; deliveries: number }> {
  const res = await publish(h, tenantId, { type, data });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { id: string; deliveries: number };
}

export async function getDelivery(h: TestHerald, tenantId: string, deliveryId: string): Promise<DeliveryView> {
  const res = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}/deliveries/${deliveryId}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as DeliveryView;
}

export interface DeliveryRow {
  id: string;
  endpointId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
}

/** The deliveries of one event, read from the table (the list API has its own tests). */
export async function deliveriesOfEvent(h: TestHerald, tenantId: string, eventId: string): Promise<DeliveryRow[]> {
  return h.ctx.db.query<DeliveryRow>(
    `select id, endpoint_id as "endpointId", status, attempt_count as "attemptCount" from deliveries
     where tenant_id = $1 and event_id = $2 order by id`,
    [tenantId, eventId],
  );
}

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until the only delivery of `eventId` is no longer pending, and returns it with its attempts. */
export async function settledDelivery(h: TestHerald, tenantId: string, eventId: string, timeoutMs = 5_000): Promise<DeliveryView> {
  const settled = await waitFor(`the delivery of event ${eventId} to settle`, async () => {
    const [delivery] = await deliveriesOfEvent(h, tenantId, eventId);
    return delivery && delivery.status !== 'pending' ? delivery : undefined;
  }, timeoutMs);
  return getDelivery(h, tenantId, settled.id);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Lets each test program its own path of one shared receiver: `on(path, responder)`, where the
 * responder's index counts the requests to that path only.
 */
export function routeByPath(receiver: Receiver) {
  const handlers = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const pathOf = (r: RecordedRequest) => r.url.split('?')[0]!;
  receiver.respond((request) => {
    const path = pathOf(request);
    const n = counts.get(path) ?? 0;
    counts.set(path, n + 1);
    return handlers.get(path)?.(request, n) ?? {};
  });
  return {
    on(path: string, responder: Responder): string {
      handlers.set(path, responder);
      return `${receiver.url}${path}`;
    },
    requests: (path: string) => receiver.requests.filter((r) => pathOf(r) === path),
  };
}

/**
 * What most delivery tests share: a loopback receiver answering by path, a worker on `h`'s
 * context, and the event types they publish — set up before the suite and torn down after it.
 * Read the fields inside tests (they are set in beforeAll).
 */
export function deliveryRig(h: () => TestHerald, eventTypes: string[], pollIntervalMs = 20) {
  const rig = {} as { receiver: Receiver; routes: ReturnType<typeof routeByPath>; worker: DeliveryWorker };
  beforeAll(async () => {
    rig.receiver = await createReceiver();
    rig.routes = routeByPath(rig.receiver);
    rig.worker = startWorker(h().ctx, { pollIntervalMs });
    for (const type of eventTypes) await defineEventType(h(), type);
  });
  afterAll(async () => {
    await rig.worker?.stop(2_000);
    await rig.receiver?.close();
  });
  return rig;
}
