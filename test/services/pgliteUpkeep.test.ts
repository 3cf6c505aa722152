// PGlite has no autovacuum: a worker vacuums and analyses its tables as they grow, or dead queue
// rows would pile up and plans made for an empty queue would stay in use on a large one.
import { expect, it } from 'vitest';
import { tidyPglite } from '../../src/services/maintenance.ts';
import { describeEachHerald } from '../support/herald.ts';
import { seedMany } from '../support/seed.ts';

describeEachHerald('PGlite upkeep', (h, driver) => {
  const stats = async () =>
    (await h().ctx.db.query<{ tuples: number }>("select reltuples::int as tuples from pg_class where relname = 'deliveries'"))[0]!;

  // PostgreSQL's autovacuum does this by itself, so the function does nothing there.
  it.skipIf(driver !== 'pglite')('vacuums and analyses a table once it has grown, and leaves it alone until it grows again', async () => {
    const tenant = await h().createTenant();
    await tidyPglite(h().ctx);
    await seedMany(h().ctx.db, { tenantId: tenant, type: 'stats.test', from: Date.now() - 60_000, count: 2_000, endpointId: '01900000-0000-7000-8000-000000000001' });
    expect((await stats()).tuples).toBeLessThan(2_000);
    expect(await tidyPglite(h().ctx)).toContain('deliveries');
    expect((await stats()).tuples).toBeGreaterThanOrEqual(2_000);
    expect(await tidyPglite(h().ctx)).toEqual([]);
  });

  it.skipIf(driver !== 'postgres')('does nothing on PostgreSQL', async () => {
    expect(await tidyPglite(h().ctx)).toEqual([]);
  });
});
