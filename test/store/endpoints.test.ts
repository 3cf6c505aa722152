import { beforeAll, expect, it } from 'vitest';
import { HeraldError } from '../../src/domain/errors.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Queryable } from '../../src/store/db.ts';
import * as store from '../../src/store/endpoints.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { describeEachDriver } from '../support/databases.ts';

const fields = (over: Partial<store.EndpointFields> = {}): store.EndpointFields => ({
  url: `https://example.com/${newId()}`,
  description: '',
  eventTypes: ['payment.sent'],
  accountIds: null,
  environment: 'live',
  enabled: true,
  headers: {},
  metadata: {},
  ...over,
});

function addEndpoint(q: Queryable, tenantId: string, over: Partial<store.EndpointFields> = {}, secretSealed = 'v1.sealed-current') {
  return store.insertEndpoint(q, { ...fields(over), id: newId(), tenantId, secretSealed });
}

describeEachDriver('store: endpoints', (db) => {
  beforeAll(async () => {
    for (const id of ['ep-a', 'ep-b', 'ep-list']) await insertTenant(db(), { id, name: id, parentId: null, metadata: {} });
  });

  it('inserts an endpoint with every field (created disabled: with a reason) and reads it back within its tenant', async () => {
    const inserted = await addEndpoint(db(), 'ep-a', {
      description: 'orders',
      eventTypes: ['order.*', 'payment'],
      accountIds: ['acc_1', 'acc_2'],
      environment: 'test',
      enabled: false,
      headers: { 'X-Team': 'billing' },
      metadata: { owner: 'ops', nested: { n: 1 } },
    });
    expect(inserted).toMatchObject({
      tenantId: 'ep-a',
      description: 'orders',
      eventTypes: ['order.*', 'payment'],
      accountIds: ['acc_1', 'acc_2'],
      environment: 'test',
      enabled: false,
      disabledReason: 'disabled through the API',
      headers: { 'X-Team': 'billing' },
      metadata: { owner: 'ops', nested: { n: 1 } },
    });
    expect(inserted.disabledAt).toBeInstanceOf(Date);
    expect(inserted).not.toHaveProperty('secretSealed');
    expect(await store.getEndpoint(db(), { tenantId: 'ep-a' }, inserted.id)).toEqual(inserted);
    expect(await store.getEndpoint(db(), { tenantId: 'ep-a', environment: 'test' }, inserted.id)).toEqual(inserted);
    expect(await store.getEndpoint(db(), { tenantId: 'ep-a', environment: 'live' }, inserted.id)).toBeNull();
    expect(await store.getEndpoint(db(), { tenantId: 'ep-b' }, inserted.id)).toBeNull();
  });

  it('refuses a second endpoint with the same URL and the same set of event types in one tenant', async () => {
    const url = `https://example.com/dup/${newId()}`;
    await addEndpoint(db(), 'ep-a', { url, eventTypes: ['a.b', 'c.d'] });
    const duplicate = addEndpoint(db(), 'ep-a', { url, eventTypes: ['c.d', 'a.b', 'c.d'] });
    await expect(duplicate).rejects.toBeInstanceOf(HeraldError);
    await expect(duplicate).rejects.toMatchObject({ code: 'conflict' });
    // Another set of types, or another tenant, is not a duplicate.
    await expect(addEndpoint(db(), 'ep-a', { url, eventTypes: ['a.b'] })).resolves.toMatchObject({ url });
    await expect(addEndpoint(db(), 'ep-b', { url, eventTypes: ['a.b', 'c.d'] })).resolves.toMatchObject({ url });
  });

  it('lists newest first in pages of limit + 1 rows, optionally one environment only', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await addEndpoint(db(), 'ep-list', { environment: i % 2 === 0 ? 'live' : 'test' }));
    const newestFirst = made.map((e) => e.id).reverse();
    expect((await store.listEndpoints(db(), { tenantId: 'ep-list' }, undefined, 2)).map((e) => e.id)).toEqual(newestFirst.slice(0, 3));
    expect((await store.listEndpoints(db(), { tenantId: 'ep-list' }, newestFirst[2], 10)).map((e) => e.id)).toEqual(newestFirst.slice(3));
    const test = await store.listEndpoints(db(), { tenantId: 'ep-list', environment: 'test' }, undefined, 10);
    expect(test.map((e) => e.id)).toEqual([made[3]!.id, made[1]!.id]);
  });

  it('updates every caller-set field; disabling records a reason and re-enabling clears it', async () => {
    const endpoint = await addEndpoint(db(), 'ep-a');
    const scope = { tenantId: 'ep-a' };
    const disabled = await store.updateEndpoint(db(), scope, endpoint.id, fields({
      url: 'https://example.org/new', description: 'new', eventTypes: ['*'], accountIds: ['x'], enabled: false,
      headers: { 'X-A': '1' }, metadata: { m: true },
    }));
    expect(disabled).toMatchObject({
      id: endpoint.id, url: 'https://example.org/new', description: 'new', eventTypes: ['*'], accountIds: ['x'],
      enabled: false, disabledReason: 'disabled through the API', headers: { 'X-A': '1' }, metadata: { m: true },
    });
    expect(disabled!.disabledAt).toBeInstanceOf(Date);
    const enabled = await store.updateEndpoint(db(), scope, endpoint.id, { ...fields({ url: disabled!.url }), enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  });

  it('updates nothing outside the scope and reports a duplicate target as a conflict', async () => {
    const first = await addEndpoint(db(), 'ep-a', { eventTypes: ['x.y'] });
    const second = await addEndpoint(db(), 'ep-a', { eventTypes: ['x.y'] });
    expect(await store.updateEndpoint(db(), { tenantId: 'ep-b' }, first.id, fields())).toBeNull();
    expect(await store.updateEndpoint(db(), { tenantId: 'ep-a', environment: 'test' }, first.id, fields())).toBeNull();
    await expect(store.updateEndpoint(db(), { tenantId: 'ep-a' }, second.id, fields({ url: first.url, eventTypes: ['x.y'] })))
      .rejects.toMatchObject({ code: 'conflict' });
  });

  it('deletes within the scope only', async () => {
    const endpoint = await addEndpoint(db(), 'ep-a', { environment: 'live' });
    expect(await store.deleteEndpoint(db(), { tenantId: 'ep-b' }, endpoint.id)).toBe(false);
    expect(await store.deleteEndpoint(db(), { tenantId: 'ep-a', environment: 'test' }, endpoint.id)).toBe(false);
    expect(await store.deleteEndpoint(db(), { tenantId: 'ep-a' }, endpoint.id)).toBe(true);
    expect(await store.getEndpoint(db(), { tenantId: 'ep-a' }, endpoint.id)).toBeNull();
  });

  it('rotates the sealed secret, keeping the previous one for the grace period', async () => {
    const endpoint = await addEndpoint(db(), 'ep-a', {}, 'v1.first');
    const scope = { tenantId: 'ep-a' };
    expect(await store.getEndpointSecrets(db(), scope, endpoint.id)).toEqual({ current: 'v1.first', previous: null, previousExpiresAt: null });

    const before = Date.now();
    expect(await store.rotateEndpointSecret(db(), scope, endpoint.id, 'v1.second', 3_600_000)).toBe(true);
    const rotated = (await store.getEndpointSecrets(db(), scope, endpoint.id))!;
    expect(rotated).toMatchObject({ current: 'v1.second', previous: 'v1.first' });
    expect(rotated.previousExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 2_000);
    expect(rotated.previousExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 2_000);

    expect(await store.rotateEndpointSecret(db(), scope, endpoint.id, 'v1.third', 0)).toBe(true);
    expect(await store.getEndpointSecrets(db(), scope, endpoint.id)).toEqual({ current: 'v1.third', previous: null, previousExpiresAt: null });
  });

  it('rotates with the longest grace period allowed (30 days)', async () => {
    const endpoint = await addEndpoint(db(), 'ep-a', {}, 'v1.old');
    const thirtyDays = 30 * 86_400_000;
    expect(await store.rotateEndpointSecret(db(), { tenantId: 'ep-a' }, endpoint.id, 'v1.new', thirtyDays)).toBe(true);
    const secrets = (await store.getEndpointSecrets(db(), { tenantId: 'ep-a' }, endpoint.id))!;
    expect(Math.abs(secrets.previousExpiresAt!.getTime() - (Date.now() + thirtyDays))).toBeLessThan(5_000);
  });

  it('does not rotate outside the scope', async () => {
    const endpoint = await addEndpoint(db(), 'ep-a', { environment: 'live' }, 'v1.kept');
    expect(await store.rotateEndpointSecret(db(), { tenantId: 'ep-b' }, endpoint.id, 'v1.no', 0)).toBe(false);
    expect(await store.rotateEndpointSecret(db(), { tenantId: 'ep-a', environment: 'test' }, endpoint.id, 'v1.no', 0)).toBe(false);
    expect(await store.getEndpointSecrets(db(), { tenantId: 'ep-b' }, endpoint.id)).toBeNull();
    expect((await store.getEndpointSecrets(db(), { tenantId: 'ep-a' }, endpoint.id))!.current).toBe('v1.kept');
  });

  it('answers not found, not a database error, for ids that are not UUIDs', async () => {
    const scope = { tenantId: 'ep-a' };
    expect(await store.getEndpoint(db(), scope, 'abc')).toBeNull();
    expect(await store.updateEndpoint(db(), scope, 'abc', fields())).toBeNull();
    expect(await store.deleteEndpoint(db(), scope, 'abc')).toBe(false);
    expect(await store.getEndpointSecrets(db(), scope, 'abc')).toBeNull();
    expect(await store.rotateEndpointSecret(db(), scope, 'abc', 'v1.x', 0)).toBe(false);
  });
});
