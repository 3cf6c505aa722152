import { generateApiKey } from '../domain/apiKeys.ts';
import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { FieldErrors, notFound } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { defaultKeyPermissions, type Actor, type ApiKey, type Environment, type Permission } from '../domain/types.ts';
import * as store from '../store/apiKeys.ts';
import { reachTenant, requireOperator } from './access.ts';
import type { Context } from './context.ts';

export interface ApiKeyInput {
  name: string;
  permissions?: Permission[];
  environment?: Environment;
}

/** Creates a key; the returned `key` is the only time the secret is ever shown. */
export async function createApiKey(ctx: Context, actor: Actor, tenantId: string, input: ApiKeyInput): Promise<ApiKey & { key: string }> {
  await reachTenant(ctx, actor, tenantId); // first: another tenant is a 404, not a 403
  requireOperator(actor);
  const errors = new FieldErrors();
  if (input.name.trim().length === 0) errors.add('name', 'must not be empty');
  errors.throwIfAny();
  const environment = input.environment ?? 'live';
  const generated = generateApiKey(environment);
  const apiKey = await store.insertApiKey(ctx.db, {
    id: newId(),
    tenantId,
    name: input.name,
    hash: generated.hash,
    prefix: generated.prefix,
    last4: generated.last4,
    permissions: [...new Set(input.permissions ?? defaultKeyPermissions)],
    environment,
  });
  return { ...apiKey, key: generated.key };
}

export async function listApiKeys(ctx: Context, actor: Actor, tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<ApiKey>> {
  await reachTenant(ctx, actor, tenantId);
  requireOperator(actor);
  const beforeId = query.cursor ? String(decodeCursor(query.cursor, ['uuid'])[0]) : undefined;
  return toPage(await store.listApiKeys(ctx.db, tenantId, beforeId, query.limit), query.limit, (k) => [k.id]);
}

export async function getApiKey(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<ApiKey> {
  await reachTenant(ctx, actor, tenantId);
  requireOperator(actor);
  const key = await store.getApiKey(ctx.db, tenantId, id);
  if (!key) throw notFound('API key', id);
  return key;
}

/** Revokes a key at once; revoking twice is harmless. */
export async function revokeApiKey(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<ApiKey> {
  await reachTenant(ctx, actor, tenantId);
  requireOperator(actor);
  const key = await store.revokeApiKey(ctx.db, tenantId, id);
  ctx.caches.actors.clear(); // revocation takes effect at once in this process
  if (!key) throw notFound('API key', id);
  return key;
}
