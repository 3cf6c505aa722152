// HERALD_SPLIT_ROLES, on by default: on PostgreSQL, `herald start` serves the API and runs the
// worker in a worker thread, running before the API listens. Publishes hand deliveries to it
// across threads (written leased, never claimed), and SIGTERM stops both, giving back what the
// worker still held.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, freshDb, type TestDb } from '../support/databases.ts';
import { killAll, startHeraldProcess } from '../support/process.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';

const postgresOnly = drivers.includes('postgres') ? describe : describe.skip;
const token = 'split-roles-operator-token-000000';
const key = randomBytes(32).toString('base64');

postgresOnly('split roles [postgres]', () => {
  let testDb: TestDb;
  let receiver: Receiver;
  beforeAll(async () => {
    testDb = await freshDb('postgres');
    receiver = await createReceiver();
  });
  afterAll(async () => {
    await killAll();
    await receiver.close();
    await testDb.drop();
  });

  const env = () => ({
    HERALD_DATABASE_URL: testDb.url!,
    HERALD_PORT: '0',
    HERALD_ADMIN_TOKEN: token,
    HERALD_ENCRYPTION_KEY: key,
    HERALD_ALLOW_HTTP: 'true',
    HERALD_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_LOG_LEVEL: 'info',
    HERALD_SHUTDOWN_TIMEOUT: '500ms',
  });

  it('runs the worker in a thread of its own by default, ready before the API listens, which delivers what the API hands over, and stops with the process', { timeout: 90_000 }, async () => {
    const call = (url: string, method: string, path: string, body: unknown) =>
      fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Set up by a first run, so that the second one publishes as soon as it listens.
    const setup = startHeraldProcess(env());
    const setupUrl = await setup.listening(60_000);
    expect((await call(setupUrl, 'PUT', '/v1/event-types/split.test', {})).status).toBe(201);
    expect((await call(setupUrl, 'POST', '/v1/tenants', { id: 'split', name: 'split' })).status).toBe(201);
    expect((await call(setupUrl, 'POST', '/v1/tenants/split/endpoints', { url: `${receiver.url}/in`, eventTypes: ['split.test'] })).status).toBe(201);
    setup.child.kill('SIGTERM');
    expect(await setup.exited(30_000)).toBe(0);

    const herald = startHeraldProcess(env());
    const url = await herald.listening(60_000);
    receiver.respond(() => ({ hang: true }));
    const published = await call(url, 'POST', '/v1/tenants/split/events', { type: 'split.test', data: { n: 1 } });
    expect(published.status).toBe(202);
    const held = (await published.json()) as { id: string };
    const [request] = await receiver.waitForRequests(1, 20_000);
    expect(request!.headers['webhook-id']).toBe(held.id);

    // Handed over from the API's first publish on: the delivery is the row its publish wrote,
    // leased then (a claim would have updated it, giving it a transaction id of its own).
    const [row] = await testDb.db.query<{ same_write: boolean; leased_s: number }>(
      `select d.xmin = e.xmin as same_write, extract(epoch from d.locked_until - now())::float8 as leased_s
       from deliveries d join events e on e.id = d.event_id where e.id = $1`, [held.id]);
    expect(row!.same_write).toBe(true);
    expect(row!.leased_s).toBeGreaterThan(30);
    const worker = await herald.logged('worker started', 1_000);
    expect(worker.thread).not.toBe(0); // not the main thread, which serves the API

    herald.child.kill('SIGTERM');
    expect(await herald.exited(30_000)).toBe(0); // the worker thread stopped too, or the process would not end
    // The attempt cut short by the stop was given back: due at once for the next worker.
    const [after] = await testDb.db.query<{ status: string; locked_until: Date | null }>(
      'select status, locked_until from deliveries where event_id = $1', [held.id]);
    expect(after).toEqual({ status: 'pending', locked_until: null });
  });

  it('runs both roles on the main thread when HERALD_SPLIT_ROLES is off', { timeout: 60_000 }, async () => {
    const herald = startHeraldProcess({ ...env(), HERALD_SPLIT_ROLES: 'false' });
    await herald.listening(60_000);
    expect((await herald.logged('worker started', 60_000)).thread).toBe(0);
    herald.child.kill('SIGTERM');
    expect(await herald.exited(30_000)).toBe(0);
  });
});
