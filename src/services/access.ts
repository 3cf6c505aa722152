// Tenant isolation. A key reaches its own tenant and, for a partner, the tenant's direct children;
// anything else is "not found", never "forbidden", so a key cannot learn what exists elsewhere.
// Only after the tenant is reached does a missing permission answer "forbidden".
import { forbidden, notFound } from '../domain/errors.ts';
import type { Actor, Environment, Permission, Tenant } from '../domain/types.ts';
import { getTenant } from '../store/tenants.ts';
import type { Context } from './context.ts';

export async function reachTenant(ctx: Context, actor: Actor, tenantId: string, need?: Permission): Promise<Tenant> {
  let tenant = ctx.caches.tenants.get(tenantId) ?? null;
  if (!tenant) {
    tenant = await getTenant(ctx.db, tenantId);
    if (tenant) ctx.caches.tenants.set(tenantId, tenant);
  }
  const reachable = tenant && (actor.kind === 'operator' || tenant.id === actor.tenantId || tenant.parentId === actor.tenantId);
  if (!tenant || !reachable) throw notFound('tenant', tenantId);
  if (need && actor.kind === 'key' && !actor.permissions.includes(need)) {
    throw forbidden(`this API key lacks the ${need} permission`);
  }
  return tenant;
}

export function requireOperator(actor: Actor): void {
  if (actor.kind !== 'operator') throw forbidden('only the operator token may do this');
}

/** The environment a key is bound to; the operator sees every environment. */
export function actorEnvironment(actor: Actor): Environment | undefined {
  return actor.kind === 'key' ? actor.environment : undefined;
}
