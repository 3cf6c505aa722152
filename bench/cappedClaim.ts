// How long a claim takes beside an endpoint at its cap whose backlog is older than everyone
// else's: the claim must reach the other endpoints' due rows without reading that whole backlog
// (store/claim.ts). Claims run straight against the store, as the worker makes them: 50 at a time,
// with the capped endpoint's slots all in flight.
import { newId } from '../src/domain/ids.ts';
import { claimDueDeliveries } from '../src/store/claim.ts';
import { releaseDeliveries } from '../src/store/deliveries.ts';
import { insertEndpoint } from '../src/store/endpoints.ts';
import { migrate } from '../src/store/migrate.ts';
import { openDb } from '../src/store/openDb.ts';
import { insertTenant } from '../src/store/tenants.ts';
import type { Row, Target } from './main.ts';
import { percentile } from './percentile.ts';

const claimSize = 50;
const endpointCap = 16;
const otherEndpoints = 4;
const warmUp = 10;
const measured = 50;

export async function cappedClaim(target: Target, depth: number, log: (message: string) => void): Promise<Row> {
  const db = await openDb({ databaseUrl: target.env.HERALD_DATABASE_URL, dataDir: target.env.HERALD_DATA_DIR ?? '', dbPoolSize: 2 });
  try {
    await migrate(db);
    const tenantId = 'bench-capped';
    await insertTenant(db, { id: tenantId, name: tenantId, parentId: null, metadata: {} });
    const endpoint = async () => {
      const id = newId();
      await insertEndpoint(db, {
        id, tenantId, url: `https://capped.invalid/${id}`, description: '', eventTypes: ['*'], accountIds: null, environment: 'live',
        enabled: true, headers: {}, metadata: {}, secretSealed: 'never used: nothing is sent',
      });
      return id;
    };
    const capped = await endpoint();
    const others = [];
    for (let i = 0; i < otherEndpoints; i++) others.push(await endpoint());
    const eventId = newId();
    await db.query(`insert into events (id, tenant_id, type, environment, payload, created_at) values ($1, $2, 'bench.event', 'live', '{}', now())`, [eventId, tenantId]);
    // Enqueues n deliveries to an endpoint, due in order from `ago` on, a millisecond apart.
    const enqueue = (endpointId: string, n: number, ago: string) => db.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at)
       select gen_random_uuid(), $1, $2, $3, 'pending', now() - $4::interval + g * interval '1 millisecond', now() from generate_series(1, $5) g`,
      [tenantId, eventId, endpointId, ago, n],
    );
    log(`  writing ${depth} deliveries to the capped endpoint …`);
    for (let done = 0; done < depth; done += 50_000) await enqueue(capped, Math.min(50_000, depth - done), '100 days');
    for (const other of others) await enqueue(other, 1_000, '1 day');
    await db.query('analyze deliveries');

    const times: number[] = [];
    let endpointCursor: string | null = null;
    for (let i = 0; i < warmUp + measured; i++) {
      const started = performance.now();
      const claim = await claimDueDeliveries(db, {
        limit: claimSize, leaseMs: 60_000, endpointCap, inFlight: new Map([[capped, endpointCap]]), scanLimit: 4 * claimSize, endpointCursor,
      });
      if (i >= warmUp) times.push(performance.now() - started);
      if (claim.claimed.length !== claimSize || claim.claimed.some((d) => d.endpointId === capped)) {
        throw new Error(`a claim beside the capped endpoint took ${claim.claimed.length} deliveries, not ${claimSize} of the others'`);
      }
      endpointCursor = claim.endpointCursor;
      await releaseDeliveries(db, claim.claimed.map((d) => d.id));
    }
    times.sort((a, b) => a - b);
    return {
      scenario: `${target.name}, claim of ${claimSize} beside a capped backlog of ${depth}`,
      p50Ms: percentile(times, 0.5),
      p99Ms: percentile(times, 0.99),
      note: `${measured} claims for ${otherEndpoints} other endpoints, whose rows are all younger`,
    };
  } finally {
    await db.close();
  }
}
