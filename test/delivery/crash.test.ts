// Crash safety (DESIGN.md "At least once"; acceptance list, item 10): a worker process killed with
// SIGKILL in the middle of delivering loses nothing. Its leases run out (HERALD_LEASE=2s) and the
// next process delivers every event; a delivery cut off mid-request may arrive twice, never zero
// times.
//
// - PostgreSQL: the test process creates the tenant, endpoint and events on a fresh database, and
//   separate `herald start` processes with HERALD_ROLES=worker deliver them.
// - PGlite: one process owns the data dir, so `herald start` (api and worker) is started on a
//   temporary data dir, the events are published over HTTP, and after the kill it is started
//   again on the same data dir.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openContext } from '../../src/herald.ts';
import type { Context } from '../../src/services/context.ts';
import { freshDb, drivers, type TestDb } from '../support/databases.ts';
import { waitFor } from '../support/delivery.ts';
import { adminToken } from '../support/herald.ts';
import { killAll, startHeraldProcess } from '../support/process.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

const eventCount = 300;
/** Requests that must have arrived before the kill: the worker is then surely mid-delivery. */
const killAfter = 40;
const settings = {
  HERALD_ADMIN_TOKEN: adminToken,
  HERALD_LEASE: '2s',
  HERALD_ALLOW_HTTP: 'true',
  HERALD_ALLOWED_CIDRS: '127.0.0.0/8',
  HERALD_POLL_INTERVAL: '200ms',
};

/** A receiver that answers each request after 40 ms, so a worker always has some in flight. */
async function slowReceiver(): Promise<Receiver> {
  const receiver = await createReceiver();
  receiver.respond(() => ({ status: 200, trickle: { chunk: 'ok', everyMs: 40, count: 1 } }));
  return receiver;
}

const batch = () => ({ events: Array.from({ length: eventCount }, (_, i) => ({ type: 'order.created', data: { i } })) });

/** Every published event reached the receiver (some perhaps twice); returns how many arrived twice or more. */
function expectEveryEventReceived(receiver: Receiver, eventIds: string[]): number {
  const seen = new Map<string, number>();
  for (const r of receiver.requests) seen.set(r.headers['webhook-id'] as string, (seen.get(r.headers['webhook-id'] as string) ?? 0) + 1);
  expect(eventIds.filter((id) => !seen.has(id))).toEqual([]);
  return [...seen.values()].filter((n) => n > 1).length;
}

const postgresOnly = drivers.includes('postgres') ? describe : describe.skip;

postgresOnly('crash: a worker process killed mid-delivery [postgres]', () => {
  let testDb: TestDb;
  let ctx: Context;
  let app: FastifyInstance;
  let receiver: Receiver;
  const key = randomBytes(32);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  beforeAll(async () => {
    testDb = await freshDb('postgres');
    const config = loadConfig({}, {
      adminToken, logLevel: 'silent', dataDir, encryptionKey: key, rateLimitPerSecond: 0, allowHttp: true, allowedCidrs: ['127.0.0.0/8'],
    });
    ctx = await openContext(config, pino({ level: 'silent' }), testDb.db);
    app = await buildApp(ctx);
    receiver = await slowReceiver();
  });
  afterAll(async () => {
    await killAll();
    await receiver?.close();
    await app?.close();
    if (ctx) {
      await ctx.signal.close();
      await ctx.sender.close();
    }
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`delivers all ${eventCount} events after kill -9 of the worker, none lost`, async () => {
    const inject = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
      const res = await app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json();
    };
    await inject('PUT', '/v1/event-types/order.created', {});
    const tenant = (await inject('POST', '/v1/tenants', { id: 'crash', name: 'crash' })).id as string;
    await inject('POST', `/v1/tenants/${tenant}/endpoints`, { url: `${receiver.url}/crash`, eventTypes: ['*'] });
    const published = (await inject('POST', `/v1/tenants/${tenant}/events/batch`, batch())).data as { id: string }[];
    const eventIds = published.map((e) => e.id);

    const env = {
      ...settings,
      HERALD_ROLES: 'worker',
      HERALD_DATABASE_URL: testDb.url!,
      HERALD_ENCRYPTION_KEY: key.toString('base64'),
      HERALD_DATA_DIR: dataDir,
      HERALD_LOG_LEVEL: 'warn',
    };
    const first = startHeraldProcess(env);
    await receiver.waitForRequests(killAfter, 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited()).toBe('SIGKILL');
    const atKill = receiver.requests.length;
    expect(atKill).toBeLessThan(eventCount); // it was killed mid-way, with work left

    const second = startHeraldProcess(env);
    await waitFor('every delivery to succeed', async () => {
      const [row] = await ctx.db.query<{ n: number }>(`select count(*)::int as n from deliveries where tenant_id = $1 and status = 'succeeded'`, [tenant]);
      return row!.n === eventCount ? true : undefined;
    }, 60_000, 100);
    expectEveryEventReceived(receiver, eventIds);
    const [row] = await ctx.db.query<{ n: number }>(`select count(*)::int as n from deliveries where tenant_id = $1`, [tenant]);
    expect(row!.n).toBe(eventCount);
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  }, 120_000);

  it('an idle worker process wakes on NOTIFY when another process publishes, without waiting for its poll', async () => {
    const operator = { authorization: `Bearer ${adminToken}` };
    await app.inject({ method: 'PUT', url: '/v1/event-types/order.created', payload: {}, headers: operator });
    const tenant = (await app.inject({ method: 'POST', url: '/v1/tenants', payload: { id: 'notify', name: 'notify' }, headers: operator })).json().id as string;
    await app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: `${receiver.url}/notify`, eventTypes: ['*'] }, headers: operator });
    const worker = startHeraldProcess({
      ...settings,
      HERALD_POLL_INTERVAL: '60s',
      HERALD_ROLES: 'worker',
      HERALD_DATABASE_URL: testDb.url!,
      HERALD_ENCRYPTION_KEY: key.toString('base64'),
      HERALD_DATA_DIR: dataDir,
      HERALD_LOG_LEVEL: 'warn',
    });
    const publishAndWait = async (timeoutMs: number) => {
      const res = await app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/events`, payload: { type: 'order.created', data: {} }, headers: operator });
      expect(res.statusCode).toBe(202);
      const published = Date.now();
      await waitFor('the event to arrive', async () => (receiver.requests.some((r) => r.headers['webhook-id'] === res.json().id) ? true : undefined), timeoutMs, 10);
      return Date.now() - published;
    };
    // The first event shows the worker is up (its first claim or a notification brings it).
    await publishAndWait(60_000);
    // Then it has found nothing more due and sleeps for its 60 s poll: only the NOTIFY can wake it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await publishAndWait(5_000)).toBeLessThan(3_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited()).toBe(0);
  }, 90_000);
});

describe('crash: a herald process killed mid-delivery [pglite]', () => {
  let receiver: Receiver;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  beforeAll(async () => {
    receiver = await slowReceiver();
  });
  afterAll(async () => {
    await killAll();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`delivers all ${eventCount} events after kill -9 and a restart on the same data dir, none lost`, async () => {
    const env = { ...settings, HERALD_DATA_DIR: dataDir, HERALD_PORT: '0', HERALD_LOG_LEVEL: 'info' };
    const first = startHeraldProcess(env);
    let api = await first.listening(60_000);
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${api}${url}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(json)).toBeLessThan(300);
      return json;
    };
    await call('PUT', '/v1/event-types/order.created', {});
    const tenant = (await call('POST', '/v1/tenants', { id: 'crash', name: 'crash' })).id as string;
    await call('POST', `/v1/tenants/${tenant}/endpoints`, { url: `${receiver.url}/crash`, eventTypes: ['*'] });
    const eventIds = ((await call('POST', `/v1/tenants/${tenant}/events/batch`, batch())).data as { id: string }[]).map((e) => e.id);
    expect(eventIds).toHaveLength(eventCount);

    await receiver.waitForRequests(killAfter, 30_000);
    first.child.kill('SIGKILL');
    expect(await first.exited()).toBe('SIGKILL');
    expect(receiver.requests.length).toBeLessThan(eventCount);

    const second = startHeraldProcess(env);
    api = await second.listening(60_000);
    const countByStatus = async (status: string): Promise<number> => {
      let count = 0;
      let cursor: string | null = null;
      do {
        const page = await call('GET', `/v1/tenants/${tenant}/deliveries?status=${status}&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        count += (page.data as unknown[]).length;
        cursor = page.nextCursor as string | null;
      } while (cursor);
      return count;
    };
    await waitFor('every delivery to succeed', async () => ((await countByStatus('succeeded')) === eventCount ? true : undefined), 60_000, 250);
    expectEveryEventReceived(receiver, eventIds);
    expect(await countByStatus('pending')).toBe(0);
    expect(await countByStatus('failed')).toBe(0);
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  }, 150_000);
});
