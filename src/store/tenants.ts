import type { Tenant } from '../domain/types.ts';
import type { Db, Queryable } from './db.ts';

interface TenantRow {
  id: string;
  name: string;
  parent_id: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  parentId: r.parent_id,
  metadata: r.metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Inserts a tenant; null when the id is taken. */
export async function insertTenant(q: Queryable, t: Pick<Tenant, 'id' | 'name' | 'parentId' | 'metadata'>): Promise<Tenant | null> {
  const rows = await q.query<TenantRow>(
    `insert into tenants (id, name, parent_id, metadata) values ($1, $2, $3, $4)
     on conflict (id) do nothing returning *`,
    [t.id, t.name, t.parentId, JSON.stringify(t.metadata)],
  );
  return rows[0] ? toTenant(rows[0]) : null;
}

export async function getTenant(q: Queryable, id: string): Promise<Tenant | null> {
  const rows = await q.query<TenantRow>('select * from tenants where id = $1', [id], 'get_tenant');
  return rows[0] ? toTenant(rows[0]) : null;
}

export interface TenantFilter {
  /** Only these tenants (a partner's reach); undefined for all. */
  ids?: string[];
  parentId?: string;
  afterId?: string;
  limit: number;
}

/** Tenants in id order, `limit + 1` rows so the caller can tell whether another page follows. */
export async function listTenants(q: Queryable, f: TenantFilter): Promise<Tenant[]> {
  const rows = await q.query<TenantRow>(
    `select * from tenants
     where ($1::text[] is null or id = any($1))
       and ($2::text is null or parent_id = $2)
       and ($3::text is null or id > $3)
     order by id limit $4`,
    [f.ids ?? null, f.parentId ?? null, f.afterId ?? null, f.limit + 1],
  );
  return rows.map(toTenant);
}

export async function updateTenant(q: Queryable, id: string, t: Pick<Tenant, 'name' | 'parentId' | 'metadata'>): Promise<Tenant | null> {
  const rows = await q.query<TenantRow>(
    `update tenants set name = $2, parent_id = $3, metadata = $4, updated_at = now() where id = $1 returning *`,
    [id, t.name, t.parentId, JSON.stringify(t.metadata)],
  );
  return rows[0] ? toTenant(rows[0]) : null;
}

/**
 * Deletes a tenant and everything it owns. Keys and endpoints go by cascade; events, deliveries
 * and attempts have no foreign keys (migrations 0006 and 0009) and are deleted first, in the same
 * transaction, so a refused deletion (the tenant has children) deletes nothing.
 */
export async function deleteTenant(db: Db, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('delete from attempts a using deliveries d where d.tenant_id = $1 and a.delivery_id = d.id', [id]);
    await tx.query('delete from deliveries where tenant_id = $1', [id]);
    await tx.query('delete from events where tenant_id = $1', [id]);
    return (await tx.query('delete from tenants where id = $1 returning id', [id])).length === 1;
  });
}

export async function countChildren(q: Queryable, id: string): Promise<number> {
  const rows = await q.query<{ n: number }>('select count(*)::int as n from tenants where parent_id = $1', [id]);
  return rows[0]!.n;
}

/** The ancestors of `id`, nearest first (guards against cycles when re-parenting). */
export async function ancestorIds(q: Queryable, id: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `with recursive up(id, parent_id, depth) as (
       select id, parent_id, 0 from tenants where id = $1
       union all
       select t.id, t.parent_id, up.depth + 1 from tenants t join up on t.id = up.parent_id where up.depth < 100
     ) select id from up where depth > 0 order by depth`,
    [id],
  );
  return rows.map((r) => r.id);
}
