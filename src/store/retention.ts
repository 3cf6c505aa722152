// Retention: attempts, finished deliveries and events older than the cutoff are deleted in small
// batches, each its own short statement, so no long lock is ever held. Ids are UUIDv7 and sort like
// creation times, so "older than" is a range on each primary key.
import type { Queryable } from './db.ts';

export interface PurgeCounts {
  attempts: number;
  deliveries: number;
  events: number;
  idempotencyKeys: number;
  jobs: number;
}

async function deleteBatch(q: Queryable, sql: string, params: unknown[]): Promise<number> {
  return (await q.query(sql, params)).length;
}

/** Deletes one batch from each table; call until it returns all zeros. */
export async function purgeBatch(q: Queryable, cutoffId: string, cutoff: Date, batchSize: number): Promise<PurgeCounts> {
  const attempts = await deleteBatch(
    q,
    'delete from attempts where id in (select id from attempts where id < $1 order by id limit $2) returning 1',
    [cutoffId, batchSize],
  );
  // A delivery still pending is kept whatever its age: purging it would lose it.
  const deliveries = await deleteBatch(
    q,
    `delete from deliveries where id in (
       select d.id from deliveries d where d.id < $1 and d.status <> 'pending'
         and not exists (select 1 from attempts a where a.delivery_id = d.id)
       order by d.id limit $2) returning 1`,
    [cutoffId, batchSize],
  );
  const events = await deleteBatch(
    q,
    `delete from events where id in (
       select e.id from events e where e.id < $1 and not exists (select 1 from deliveries d where d.event_id = e.id)
       order by e.id limit $2) returning 1`,
    [cutoffId, batchSize],
  );
  const idempotencyKeys = await deleteBatch(
    q,
    `delete from idempotency_keys where (tenant_id, scope, key) in (
       select tenant_id, scope, key from idempotency_keys where expires_at < now() limit $1) returning 1`,
    [batchSize],
  );
  const jobs = await deleteBatch(
    q,
    `delete from jobs where id in (select id from jobs where finished_at < $1 limit $2) returning 1`,
    [cutoff.toISOString(), batchSize],
  );
  return { attempts, deliveries, events, idempotencyKeys, jobs };
}
