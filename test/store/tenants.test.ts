import { expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { insertApiKey } from '../../src/store/apiKeys.ts';
import type { Db } from '../../src/store/db.ts';
import { recordAttempts } from '../../src/store/deliveries.ts';
import { insertEndpoint } from '../../src/store/endpoints.ts';
import { insertEventsWithDeliveries } from '../../src/store/events.ts';
import * as store from '../../src/store/tenants.ts';
import { describeEachDriver } from '../support/databases.ts';

/** An endpoint, an event, its delivery and one recorded attempt for `tenantId`; returns the delivery's id. */
async function addDelivered(q: Db, tenantId: string): Promise<string> {
  const endpointId = newId();
  await insertEndpoint(q, {
    id: endpointId, tenantId, url: 'https://example.com/', description: '', eventTypes: ['*'], accountIds: null,
    environment: 'live', enabled: true, headers: {}, metadata: {}, secretSealed: 'v1.x',
  });
  const createdAt = new Date();
  const event = { id: newId(), tenantId, type: 'a.b', environment: 'live' as const, accountId: null, relatedEntityId: null, relatedEntityType: null, payload: '{}', createdAt };
  const deliveryId = newId();
  await insertEventsWithDeliveries(q, [event], [{ id: deliveryId, tenantId, eventId: event.id, endpointId, createdAt }]);
  await recordAttempts(q, [{
    deliveryId, tenantId, endpointId, status: 'succeeded', nextAttemptAt: null, countsAsFailure: false,
    attempt: {
      id: newId(), attemptNumber: 1, url: 'https://example.com/', requestHeaders: {}, outcome: 'success', statusCode: 200,
      responseHeaders: {}, responseBody: '', responseTruncated: false, error: null, durationMs: 1, createdAt,
    },
  }]);
  return deliveryId;
}

describeEachDriver('store: tenants', (db) => {
  it('inserts a tenant and reads it back with its parent and metadata', async () => {
    await store.insertTenant(db(), { id: 'ten-partner', name: 'Partner', parentId: null, metadata: {} });
    const inserted = await store.insertTenant(db(), { id: 'ten-child', name: 'Child', parentId: 'ten-partner', metadata: { plan: 'gold', n: 1 } });
    expect(inserted).toMatchObject({ id: 'ten-child', name: 'Child', parentId: 'ten-partner', metadata: { plan: 'gold', n: 1 } });
    expect(inserted!.createdAt).toBeInstanceOf(Date);
    expect(await store.getTenant(db(), 'ten-child')).toEqual(inserted);
  });

  it('answers null for an id that is taken and for an unknown id', async () => {
    await store.insertTenant(db(), { id: 'ten-taken', name: 'First', parentId: null, metadata: {} });
    expect(await store.insertTenant(db(), { id: 'ten-taken', name: 'Second', parentId: null, metadata: {} })).toBeNull();
    expect((await store.getTenant(db(), 'ten-taken'))!.name).toBe('First');
    expect(await store.getTenant(db(), 'ten-unknown')).toBeNull();
  });

  it('lists in id order, limit + 1 rows, filtered by ids, parent and a lower bound', async () => {
    await store.insertTenant(db(), { id: 'list-p', name: 'P', parentId: null, metadata: {} });
    for (const id of ['list-p-c', 'list-p-a', 'list-p-b']) {
      await store.insertTenant(db(), { id, name: id, parentId: 'list-p', metadata: {} });
    }
    const byParent = await store.listTenants(db(), { parentId: 'list-p', limit: 10 });
    expect(byParent.map((t) => t.id)).toEqual(['list-p-a', 'list-p-b', 'list-p-c']);
    const firstPage = await store.listTenants(db(), { parentId: 'list-p', limit: 2 });
    expect(firstPage.map((t) => t.id)).toEqual(['list-p-a', 'list-p-b', 'list-p-c']); // one extra row tells a next page exists
    const after = await store.listTenants(db(), { parentId: 'list-p', afterId: 'list-p-b', limit: 2 });
    expect(after.map((t) => t.id)).toEqual(['list-p-c']);
    const some = await store.listTenants(db(), { ids: ['list-p', 'list-p-c', 'nope'], limit: 10 });
    expect(some.map((t) => t.id)).toEqual(['list-p', 'list-p-c']);
  });

  it('updates name, parent and metadata, and answers null for an unknown id', async () => {
    await store.insertTenant(db(), { id: 'upd-p', name: 'P', parentId: null, metadata: {} });
    const before = await store.insertTenant(db(), { id: 'upd', name: 'Old', parentId: null, metadata: { a: 1 } });
    const after = await store.updateTenant(db(), 'upd', { name: 'New', parentId: 'upd-p', metadata: { b: 2 } });
    expect(after).toMatchObject({ id: 'upd', name: 'New', parentId: 'upd-p', metadata: { b: 2 } });
    expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(before!.updatedAt.getTime());
    expect(await store.updateTenant(db(), 'upd-unknown', { name: 'x', parentId: null, metadata: {} })).toBeNull();
  });

  it('counts children and walks ancestors nearest first', async () => {
    await store.insertTenant(db(), { id: 'anc-1', name: '1', parentId: null, metadata: {} });
    await store.insertTenant(db(), { id: 'anc-2', name: '2', parentId: 'anc-1', metadata: {} });
    await store.insertTenant(db(), { id: 'anc-3', name: '3', parentId: 'anc-2', metadata: {} });
    await store.insertTenant(db(), { id: 'anc-3b', name: '3b', parentId: 'anc-2', metadata: {} });
    expect(await store.countChildren(db(), 'anc-2')).toBe(2);
    expect(await store.countChildren(db(), 'anc-3')).toBe(0);
    expect(await store.ancestorIds(db(), 'anc-3')).toEqual(['anc-2', 'anc-1']);
    expect(await store.ancestorIds(db(), 'anc-1')).toEqual([]);
  });

  it('refuses to delete a parent (foreign key) and deletes a tenant with everything it owns', async () => {
    await store.insertTenant(db(), { id: 'del-p', name: 'P', parentId: null, metadata: {} });
    await store.insertTenant(db(), { id: 'del-c', name: 'C', parentId: 'del-p', metadata: {} });
    await insertApiKey(db(), { id: newId(), tenantId: 'del-c', name: 'k', hash: `h-${newId()}`, prefix: 'hk_live_abcd', last4: 'wxyz', permissions: ['webhooks:read'], environment: 'live' });
    const owned = { 'del-p': await addDelivered(db(), 'del-p'), 'del-c': await addDelivered(db(), 'del-c') };
    const left = async (tenantId: string) => ({
      endpoints: (await db().query('select id from endpoints where tenant_id = $1', [tenantId])).length,
      events: (await db().query('select id from events where tenant_id = $1', [tenantId])).length,
      deliveries: (await db().query('select id from deliveries where tenant_id = $1', [tenantId])).length,
      attempts: (await db().query('select id from attempts where delivery_id = $1', [owned[tenantId as 'del-p']])).length,
    });

    // PostgreSQL 15 reports 23503, later versions (and PGlite) 23001 restrict_violation: both refuse.
    await expect(store.deleteTenant(db(), 'del-p')).rejects.toMatchObject({ code: expect.stringMatching(/^23(001|503)$/) });
    expect(await store.getTenant(db(), 'del-p')).not.toBeNull();
    expect(await left('del-p')).toEqual({ endpoints: 1, events: 1, deliveries: 1, attempts: 1 }); // the refusal deleted nothing

    expect(await store.deleteTenant(db(), 'del-c')).toBe(true);
    expect(await store.deleteTenant(db(), 'del-c')).toBe(false);
    expect(await db().query("select id from api_keys where tenant_id = 'del-c'")).toEqual([]);
    expect(await left('del-c')).toEqual({ endpoints: 0, events: 0, deliveries: 0, attempts: 0 });
    expect(await store.deleteTenant(db(), 'del-p')).toBe(true);
    expect(await left('del-p')).toEqual({ endpoints: 0, events: 0, deliveries: 0, attempts: 0 });
  });
});
