import type { Queryable } from './db.ts';

export interface WindowStats {
  deliveries: { total: number; succeeded: number; failed: number; pending: number };
  attempts: { total: number; byOutcome: Record<string, number>; latencyMs: { p50: number | null; p90: number | null; p99: number | null } };
}

/** One endpoint's deliveries by status and attempts by outcome with latency percentiles, since `fromId`. */
export async function endpointWindowStats(q: Queryable, endpointId: string, fromId: string): Promise<WindowStats> {
  const [deliveries] = await q.query<{ total: number; succeeded: number; failed: number; pending: number }>(
    `select count(*)::int as total,
       count(*) filter (where status = 'succeeded')::int as succeeded,
       count(*) filter (where status = 'failed')::int as failed,
       count(*) filter (where status = 'pending')::int as pending
     from deliveries where endpoint_id = $1 and id >= $2`,
    [endpointId, fromId],
  );
  const outcomes = await q.query<{ outcome: string; n: number }>(
    'select outcome, count(*)::int as n from attempts where endpoint_id = $1 and id >= $2 group by outcome',
    [endpointId, fromId],
  );
  const [latency] = await q.query<{ p50: number | null; p90: number | null; p99: number | null }>(
    `select percentile_cont(0.5) within group (order by duration_ms) as p50,
       percentile_cont(0.9) within group (order by duration_ms) as p90,
       percentile_cont(0.99) within group (order by duration_ms) as p99
     from attempts where endpoint_id = $1 and id >= $2 and outcome not in ('endpoint_deleted', 'endpoint_disabled')`,
    [endpointId, fromId],
  );
  const round = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return {
    deliveries: deliveries!,
    attempts: {
      total: outcomes.reduce((sum, o) => sum + o.n, 0),
      byOutcome: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])),
      latencyMs: { p50: round(latency!.p50), p90: round(latency!.p90), p99: round(latency!.p99) },
    },
  };
}
