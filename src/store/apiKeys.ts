import { isUuid } from '../domain/ids.ts';
import type { ApiKey, Environment, Permission } from '../domain/types.ts';
import type { Queryable } from './db.ts';

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  last4: string;
  permissions: Permission[];
  environment: Environment;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  prefix: r.prefix,
  last4: r.last4,
  permissions: r.permissions,
  environment: r.environment,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const columns = 'id, tenant_id, name, prefix, last4, permissions, environment, created_at, last_used_at, revoked_at';

export async function insertApiKey(
  q: Queryable,
  k: Pick<ApiKey, 'id' | 'tenantId' | 'name' | 'prefix' | 'last4' | 'permissions' | 'environment'> & { hash: string },
): Promise<ApiKey> {
  const rows = await q.query<ApiKeyRow>(
    `insert into api_keys (id, tenant_id, name, key_hash, prefix, last4, permissions, environment)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${columns}`,
    [k.id, k.tenantId, k.name, k.hash, k.prefix, k.last4, k.permissions, k.environment],
  );
  return toApiKey(rows[0]!);
}

/** The live (not revoked) key with this hash. */
export async function findActiveApiKeyByHash(q: Queryable, hash: string): Promise<ApiKey | null> {
  const rows = await q.query<ApiKeyRow>(`select ${columns} from api_keys where key_hash = $1 and revoked_at is null`, [hash], 'find_api_key');
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function getApiKey(q: Queryable, tenantId: string, id: string): Promise<ApiKey | null> {
  if (!isUuid(id)) return null; // PostgreSQL would refuse to compare it with a uuid column
  const rows = await q.query<ApiKeyRow>(`select ${columns} from api_keys where tenant_id = $1 and id = $2`, [tenantId, id]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

/** Newest first, `limit + 1` rows. */
export async function listApiKeys(q: Queryable, tenantId: string, beforeId: string | undefined, limit: number): Promise<ApiKey[]> {
  const rows = await q.query<ApiKeyRow>(
    `select ${columns} from api_keys where tenant_id = $1 and ($2::uuid is null or id < $2)
     order by id desc limit $3`,
    [tenantId, beforeId ?? null, limit + 1],
  );
  return rows.map(toApiKey);
}

export async function revokeApiKey(q: Queryable, tenantId: string, id: string): Promise<ApiKey | null> {
  if (!isUuid(id)) return null;
  const rows = await q.query<ApiKeyRow>(
    `update api_keys set revoked_at = coalesce(revoked_at, now()) where tenant_id = $1 and id = $2 returning ${columns}`,
    [tenantId, id],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

/** Records use at most once a minute per key, so authentication does not write on every request. */
export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(
    `update api_keys set last_used_at = now()
     where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [id],
  );
}
