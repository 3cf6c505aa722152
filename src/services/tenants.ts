import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { conflict, FieldErrors } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Actor, Tenant } from '../domain/types.ts';
import * as store from '../store/tenants.ts';
import { reachTenant, requireOperator } from './access.ts';
import type { Context } from './context.ts';

// Tenant ids are chosen by the operator (a brand or merchant id it already has) or generated.
const tenantIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface TenantInput {
  id?: string;
  name: string;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
}

async function checkParent(ctx: Context, tenantId: string, parentId: string | null | undefined, errors: FieldErrors): Promise<void> {
  if (!parentId) return;
  if (parentId === tenantId) return errors.add('parentId', 'a tenant cannot be its own parent');
  if (!(await store.getTenant(ctx.db, parentId))) return errors.add('parentId', `tenant ${JSON.stringify(parentId)} does not exist`);
  if ((await store.ancestorIds(ctx.db, parentId)).includes(tenantId)) {
    errors.add('parentId', `tenant ${JSON.stringify(parentId)} is below this tenant: that would make a cycle`);
  }
}

function checkName(name: string, errors: FieldErrors): void {
  if (name.trim().length === 0) errors.add('name', 'must not be empty');
}

export async function createTenant(ctx: Context, actor: Actor, input: TenantInput): Promise<Tenant> {
  requireOperator(actor);
  const id = input.id ?? newId();
  const errors = new FieldErrors();
  if (!tenantIdPattern.test(id)) errors.add('id', 'must be 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  checkName(input.name, errors);
  await checkParent(ctx, id, input.parentId, errors);
  errors.throwIfAny();
  const tenant = await store.insertTenant(ctx.db, { id, name: input.name, parentId: input.parentId ?? null, metadata: input.metadata ?? {} });
  if (!tenant) throw conflict(`a tenant with id ${JSON.stringify(id)} already exists`);
  return tenant;
}

export function getTenant(ctx: Context, actor: Actor, id: string): Promise<Tenant> {
  return reachTenant(ctx, actor, id);
}

export interface TenantListQuery {
  parentId?: string;
  limit: number;
  cursor?: string;
}

/** The operator lists every tenant; a key lists what it reaches (itself and its children). */
export async function listTenants(ctx: Context, actor: Actor, query: TenantListQuery): Promise<Page<Tenant>> {
  const afterId = query.cursor ? String(decodeCursor(query.cursor, ['string'])[0]) : undefined;
  let ids: string[] | undefined;
  if (actor.kind === 'key') {
    const children = await store.listTenants(ctx.db, { parentId: actor.tenantId, limit: 10_000 });
    ids = [actor.tenantId, ...children.map((t) => t.id)];
  }
  const rows = await store.listTenants(ctx.db, { ids, parentId: query.parentId, afterId, limit: query.limit });
  return toPage(rows, query.limit, (t) => [t.id]);
}

export async function updateTenant(ctx: Context, actor: Actor, id: string, input: Partial<Omit<TenantInput, 'id'>>): Promise<Tenant> {
  const current = await reachTenant(ctx, actor, id); // first: another tenant is a 404, not a 403
  requireOperator(actor);
  const next = {
    name: input.name ?? current.name,
    parentId: input.parentId === undefined ? current.parentId : input.parentId,
    metadata: input.metadata ?? current.metadata,
  };
  const errors = new FieldErrors();
  checkName(next.name, errors);
  if (next.parentId !== current.parentId) await checkParent(ctx, id, next.parentId, errors);
  errors.throwIfAny();
  ctx.caches.tenants.delete(id);
  return (await store.updateTenant(ctx.db, id, next))!;
}

/** Deletes a tenant with its keys and endpoints. A partner with children must lose them first. */
export async function deleteTenant(ctx: Context, actor: Actor, id: string): Promise<void> {
  await reachTenant(ctx, actor, id);
  requireOperator(actor);
  const children = await store.countChildren(ctx.db, id);
  if (children > 0) throw conflict(`tenant ${JSON.stringify(id)} is the parent of ${children} tenant(s): move or delete them first`);
  await store.deleteTenant(ctx.db, id);
  ctx.caches.tenants.delete(id);
  ctx.caches.actors.clear(); // its keys are gone
}
