// PGlite has no autovacuum: maintenance refreshes its planner statistics, or the search indexes
// could go unused on a growing table.
import { expect, it } from 'vitest';
import { refreshStatistics } from '../../src/services/maintenance.ts';
import { describeEachHerald } from '../support/herald.ts';
import { seedMany } from '../support/seed.ts';

describeEachHerald('planner statistics', (h, driver) => {
  const reltuples = async () =>
    (await h().ctx.db.query<{ n: number }>("select reltuples::int as n from pg_class where relname = 'deliveries'"))[0]!.n;

  // PostgreSQL's autovacuum does this by itself, so the function does nothing there.
  it.skipIf(driver !== 'pglite')('are refreshed by maintenance on PGlite', async () => {
    const tenant = await h().createTenant();
    await seedMany(h().ctx.db, { tenantId: tenant, type: 'stats.test', from: Date.now() - 60_000, count: 500, endpointId: '01900000-0000-7000-8000-000000000001' });
    expect(await reltuples()).toBeLessThan(500);
    await refreshStatistics(h().ctx);
    expect(await reltuples()).toBeGreaterThanOrEqual(500);
  });
});
