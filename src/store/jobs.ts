// Background jobs (replays). A job is claimed with a lease like a delivery, and records its
// position after every chunk, so a job survives its worker crashing.
import { isUuid } from '../domain/ids.ts';
import type { Queryable } from './db.ts';

export interface Job {
  id: string;
  tenantId: string;
  kind: string;
  params: Record<string, unknown>;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number | null;
  processed: number;
  createdCount: number;
  position: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  tenant_id: string;
  kind: string;
  params: Record<string, unknown>;
  status: Job['status'];
  total: number | null;
  processed: number;
  created_count: number;
  position: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  params: r.params,
  status: r.status,
  total: r.total,
  processed: r.processed,
  createdCount: r.created_count,
  position: r.position,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const columns = 'id, tenant_id, kind, params, status, total, processed, created_count, position, error, created_at, started_at, finished_at';

export async function insertJob(q: Queryable, job: { id: string; tenantId: string; kind: string; params: Record<string, unknown> }): Promise<Job> {
  const rows = await q.query<JobRow>(
    `insert into jobs (id, tenant_id, kind, params, status) values ($1, $2, $3, $4, 'queued') returning ${columns}`,
    [job.id, job.tenantId, job.kind, JSON.stringify(job.params)],
  );
  return toJob(rows[0]!);
}

export async function getJob(q: Queryable, tenantId: string, id: string): Promise<Job | null> {
  if (!isUuid(id)) return null;
  const rows = await q.query<JobRow>(`select ${columns} from jobs where tenant_id = $1 and id = $2`, [tenantId, id]);
  return rows[0] ? toJob(rows[0]) : null;
}

/** Takes the oldest runnable job whose lease is free, for `leaseMs`. */
export async function claimJob(q: Queryable, leaseMs: number): Promise<Job | null> {
  const rows = await q.query<JobRow>(
    `update jobs j set status = 'running', started_at = coalesce(j.started_at, now()),
       locked_until = now() + make_interval(secs => $1 / 1000.0)
     from (select id from jobs where status in ('queued', 'running') and (locked_until is null or locked_until < now())
           order by created_at limit 1 for update skip locked) next
     where j.id = next.id returning ${columns.split(', ').map((c) => `j.${c}`).join(', ')}`,
    [leaseMs],
  );
  return rows[0] ? toJob(rows[0]) : null;
}

/** Records progress after a chunk and extends the lease. */
export async function advanceJob(
  q: Queryable,
  id: string,
  progress: { total?: number; processed: number; created: number; position: string | null },
  leaseMs: number,
): Promise<void> {
  await q.query(
    `update jobs set total = coalesce($2, total), processed = processed + $3, created_count = created_count + $4, position = $5,
       locked_until = now() + make_interval(secs => $6 / 1000.0)
     where id = $1`,
    [id, progress.total ?? null, progress.processed, progress.created, progress.position, leaseMs],
  );
}

export async function finishJob(q: Queryable, id: string, outcome: { status: 'succeeded' | 'failed'; error?: string }): Promise<void> {
  await q.query(`update jobs set status = $2, error = $3, finished_at = now(), locked_until = null where id = $1`, [id, outcome.status, outcome.error ?? null]);
}
