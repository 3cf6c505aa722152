import { beforeAll, expect, it } from 'vitest';
import { generateApiKey } from '../../src/domain/apiKeys.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Environment, Permission } from '../../src/domain/types.ts';
import * as store from '../../src/store/apiKeys.ts';
import type { Queryable } from '../../src/store/db.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { describeEachDriver } from '../support/databases.ts';

async function addKey(q: Queryable, tenantId: string, options: { permissions?: Permission[]; environment?: Environment } = {}) {
  const environment = options.environment ?? 'live';
  const generated = generateApiKey(environment);
  const key = await store.insertApiKey(q, {
    id: newId(),
    tenantId,
    name: 'key',
    hash: generated.hash,
    prefix: generated.prefix,
    last4: generated.last4,
    permissions: options.permissions ?? ['webhooks:read', 'webhooks:write'],
    environment,
  });
  return { ...key, hash: generated.hash };
}

describeEachDriver('store: API keys', (db) => {
  beforeAll(async () => {
    await insertTenant(db(), { id: 'keys-a', name: 'A', parentId: null, metadata: {} });
    await insertTenant(db(), { id: 'keys-b', name: 'B', parentId: null, metadata: {} });
  });

  it('inserts a key with its permissions and environment and reads it back within its tenant only', async () => {
    const key = await addKey(db(), 'keys-a', { permissions: ['events:publish'], environment: 'test' });
    expect(key).toMatchObject({ tenantId: 'keys-a', permissions: ['events:publish'], environment: 'test', lastUsedAt: null, revokedAt: null });
    expect(key.prefix).toMatch(/^hk_test_.{4}$/);
    expect(key.last4).toHaveLength(4);
    const { hash: _hash, ...stored } = key;
    expect(await store.getApiKey(db(), 'keys-a', key.id)).toEqual(stored);
    expect(await store.getApiKey(db(), 'keys-b', key.id)).toBeNull();
  });

  it('finds an active key by its hash, and no longer once it is revoked', async () => {
    const key = await addKey(db(), 'keys-a');
    expect((await store.findActiveApiKeyByHash(db(), key.hash))?.id).toBe(key.id);
    const revoked = await store.revokeApiKey(db(), 'keys-a', key.id);
    expect(revoked!.revokedAt).toBeInstanceOf(Date);
    expect(await store.findActiveApiKeyByHash(db(), key.hash)).toBeNull();
    // Revoking again keeps the first revocation time.
    const again = await store.revokeApiKey(db(), 'keys-a', key.id);
    expect(again!.revokedAt!.getTime()).toBe(revoked!.revokedAt!.getTime());
  });

  it("does not revoke another tenant's key", async () => {
    const key = await addKey(db(), 'keys-a');
    expect(await store.revokeApiKey(db(), 'keys-b', key.id)).toBeNull();
    expect(await store.findActiveApiKeyByHash(db(), key.hash)).not.toBeNull();
  });

  it('answers null, not a database error, for ids that are not UUIDs', async () => {
    expect(await store.getApiKey(db(), 'keys-a', 'abc')).toBeNull();
    expect(await store.revokeApiKey(db(), 'keys-a', 'abc')).toBeNull();
    expect(await store.getApiKey(db(), 'keys-a', newId())).toBeNull();
  });

  it('refuses a second key with the same hash', async () => {
    const key = await addKey(db(), 'keys-a');
    const again = store.insertApiKey(db(), { ...key, id: newId(), hash: key.hash });
    await expect(again).rejects.toMatchObject({ code: '23505' });
  });

  it('lists newest first in pages of limit + 1 rows, below a given id', async () => {
    await insertTenant(db(), { id: 'keys-list', name: 'L', parentId: null, metadata: {} });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await addKey(db(), 'keys-list')).id);
    const newestFirst = [...ids].reverse();
    const first = await store.listApiKeys(db(), 'keys-list', undefined, 2);
    expect(first.map((k) => k.id)).toEqual(newestFirst.slice(0, 3));
    const second = await store.listApiKeys(db(), 'keys-list', newestFirst[1], 2);
    expect(second.map((k) => k.id)).toEqual(newestFirst.slice(2, 5));
    const last = await store.listApiKeys(db(), 'keys-list', newestFirst[3], 2);
    expect(last.map((k) => k.id)).toEqual(newestFirst.slice(4));
  });

  it('records use once, then not again within a minute', async () => {
    const key = await addKey(db(), 'keys-a');
    await store.touchApiKey(db(), key.id);
    const first = (await store.getApiKey(db(), 'keys-a', key.id))!.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await store.touchApiKey(db(), key.id);
    expect((await store.getApiKey(db(), 'keys-a', key.id))!.lastUsedAt!.getTime()).toBe(first!.getTime());
  });

  it('deletes the keys of a deleted tenant', async () => {
    await insertTenant(db(), { id: 'keys-gone', name: 'G', parentId: null, metadata: {} });
    const key = await addKey(db(), 'keys-gone');
    await db().query("delete from tenants where id = 'keys-gone'");
    expect(await store.findActiveApiKeyByHash(db(), key.hash)).toBeNull();
  });
});
