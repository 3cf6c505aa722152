// Turns a bearer credential into an Actor: the operator's token or a tenant's API key.
import { timingSafeEqual } from 'node:crypto';
import { generateAdminToken, hashToken } from '../domain/apiKeys.ts';
import type { Actor } from '../domain/types.ts';
import { findActiveApiKeyByHash, touchApiKey } from '../store/apiKeys.ts';
import { getSetting, insertSettingIfAbsent, putSetting } from '../store/settings.ts';
import type { Context } from './context.ts';

const adminTokenSetting = 'admin_token_sha256';

/**
 * Makes sure an operator token exists. With HERALD_ADMIN_TOKEN set, that token is used and nothing
 * is stored. Otherwise, on the first start, a token is generated, its hash stored, and the token
 * returned so the caller can print it once; later starts return null.
 */
export async function ensureAdminToken(ctx: Context): Promise<string | null> {
  if (ctx.config.adminToken) return null;
  const token = generateAdminToken();
  return (await insertSettingIfAbsent(ctx.db, adminTokenSetting, hashToken(token))) ? token : null;
}

/** Replaces the stored operator token with a new one and returns it (`herald admin-token --reset`). */
export async function resetAdminToken(ctx: Context): Promise<string> {
  const token = generateAdminToken();
  await putSetting(ctx.db, adminTokenSetting, hashToken(token));
  return token;
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export async function authenticate(ctx: Context, token: string): Promise<Actor | null> {
  const hash = hashToken(token);
  const cached = ctx.caches.actors.get(hash);
  if (cached) return cached;
  const actor = await lookUpActor(ctx, hash);
  if (actor) ctx.caches.actors.set(hash, actor);
  return actor;
}

async function lookUpActor(ctx: Context, hash: string): Promise<Actor | null> {
  const adminHash = ctx.config.adminToken ? hashToken(ctx.config.adminToken) : await getSetting<string>(ctx.db, adminTokenSetting);
  if (adminHash && sameHash(hash, adminHash)) return { kind: 'operator' };
  const key = await findActiveApiKeyByHash(ctx.db, hash);
  if (!key) return null;
  touchApiKey(ctx.db, key.id).catch((error) => ctx.log.warn({ err: error }, 'could not record API key use'));
  return { kind: 'key', keyId: key.id, tenantId: key.tenantId, permissions: key.permissions, environment: key.environment };
}
