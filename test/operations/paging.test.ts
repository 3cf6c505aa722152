// Paging the delivery search: keyset cursors for every sortBy (single keys, several keys, mixed
// directions, ties, rows never sent), cursors that stay correct while new deliveries arrive,
// cursors refused when they do not belong to the query, and offset paging.
import { beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { searchDeliveryOffset } from '../../src/services/deliveries.ts';
import { expectProblem, walkPages } from '../support/api.ts';
import { describeEachHerald, type TestHerald } from '../support/herald.ts';
import { seedDelivery, seedEvent } from '../support/seed.ts';
import { eventTypes, queryString, seedDataset, sortRows, type Dataset, type SortSpec } from './dataset.ts';

const url = (tenantId: string, sort: SortSpec[], extra = '') =>
  `/v1/tenants/${tenantId}/deliveries?${queryString({ sortBy: sort.map(([f, d]) => `${f}:${d.toUpperCase()}`) })}${extra}`;

async function firstPage(h: TestHerald, path: string, limit: number): Promise<{ ids: string[]; nextCursor: string | null }> {
  const res = await h.request({ method: 'GET', url: `${path}${path.includes('?') ? '&' : '?'}limit=${limit}` });
  expect(res.statusCode, res.body).toBe(200);
  const page = res.json() as { data: { id: string }[]; nextCursor: string | null };
  return { ids: page.data.map((d) => d.id), nextCursor: page.nextCursor };
}

describeEachHerald('delivery paging', (h) => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await seedDataset(h().ctx.db, await h().createTenant(), await h().createTenant());
  });

  const sorts: SortSpec[][] = [
    ...(['createdOn', 'sentOn', 'attemptCount', 'eventType', 'status'] as const).flatMap((field) => [
      [[field, 'asc']] as SortSpec[],
      [[field, 'desc']] as SortSpec[],
    ]),
    [['status', 'asc'], ['createdOn', 'desc']],
    [['attemptCount', 'desc'], ['eventType', 'asc']],
    [['eventType', 'desc'], ['sentOn', 'asc'], ['attemptCount', 'desc']],
    [['sentOn', 'desc'], ['status', 'asc']],
    [['status', 'desc'], ['attemptCount', 'asc'], ['sentOn', 'desc'], ['createdOn', 'asc']],
  ];

  it.each(sorts.map((s) => [s.map(([f, d]) => `${f}:${d}`).join(','), s] as const))('sortBy %s: pages of 7 join up to the full order', async (_, sort) => {
    const expected = sortRows(ds.rows, sort).map((r) => r.id);
    const { ids, pages } = await walkPages(h(), url(ds.tenantId, sort), { limit: 7 });
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
    expect((await firstPage(h(), url(ds.tenantId, sort), 250)).ids).toEqual(expected);
  });

  it('pages one row at a time through ties (same createdOn, rows never sent)', async () => {
    for (const sort of [[['sentOn', 'asc']], [['createdOn', 'desc'], ['attemptCount', 'asc']]] as SortSpec[][]) {
      const { ids } = await walkPages(h(), url(ds.tenantId, sort), { limit: 1 });
      expect(ids).toEqual(sortRows(ds.rows, sort).map((r) => r.id));
    }
  });

  it('sortBy defaults to createdOn:DESC, and a field alone to ASC', async () => {
    const newest = sortRows(ds.rows, [['createdOn', 'desc']]).map((r) => r.id);
    expect((await walkPages(h(), `/v1/tenants/${ds.tenantId}/deliveries`, { limit: 10 })).ids).toEqual(newest);
    const byCount = sortRows(ds.rows, [['attemptCount', 'asc']]).map((r) => r.id);
    expect((await walkPages(h(), `/v1/tenants/${ds.tenantId}/deliveries?sortBy=attemptCount`, { limit: 10 })).ids).toEqual(byCount);
  });

  it('filters and sorts page together', async () => {
    const sort: SortSpec[] = [['eventType', 'asc'], ['createdOn', 'desc']];
    const expected = sortRows(ds.rows.filter((r) => r.status !== 'pending' && r.attemptCount >= 2), sort).map((r) => r.id);
    const { ids } = await walkPages(h(), url(ds.tenantId, sort, `&${queryString({ q: 'status!=pending;attemptCount=ge=2' })}`), { limit: 4 });
    expect(ids).toEqual(expected);
  });

  {
    const cases: SortSpec[][] = [[['createdOn', 'desc']], [['createdOn', 'asc']], [['attemptCount', 'desc'], ['eventType', 'asc']], [['status', 'asc'], ['sentOn', 'desc']]];
    it.each(cases.map((s) => [s.map(([f, d]) => `${f}:${d}`).join(','), s] as const))(
      'sortBy %s: while deliveries arrive between pages, every row there at the start is seen once, none twice',
      async (_, sort) => {
        const tenantId = await h().createTenant();
        const existing = await seedDataset(h().ctx.db, tenantId, tenantId, 30);
        const start = new Set(existing.rows.map((r) => r.id));
        const seen: string[] = [];
        let cursor: string | null = null;
        let arrivals = 0;
        do {
          const res = await h().request({ method: 'GET', url: `${url(tenantId, sort)}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` });
          expect(res.statusCode, res.body).toBe(200);
          const page = res.json() as { data: { id: string }[]; nextCursor: string | null };
          seen.push(...page.data.map((d) => d.id));
          cursor = page.nextCursor;
          // New deliveries, created now, with every status and attempt count.
          for (let i = 0; i < 3; i++, arrivals++) {
            const at = Date.now();
            const eventId = await seedEvent(h().ctx.db, { tenantId, type: eventTypes[arrivals % 4]!, at });
            await seedDelivery(h().ctx.db, {
              tenantId,
              eventId,
              endpointId: existing.endpoints[0],
              at,
              status: (['pending', 'failed', 'succeeded'] as const)[arrivals % 3],
              attemptCount: arrivals % 3 === 0 ? 0 : arrivals % 5,
            });
          }
        } while (cursor);
        expect(new Set(seen).size, 'no row twice').toBe(seen.length);
        expect(seen.filter((id) => start.has(id)).sort()).toEqual([...start].sort());
        expect(arrivals).toBeGreaterThan(20);
      },
    );
  }

  it('orders and pages by timestamps finer than a millisecond (rows written by SQL)', async () => {
    const tenantId = await h().createTenant();
    const base = '2025-03-01 10:00:00.123';
    const endpointId = newId();
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const at = Date.parse('2025-03-01T10:00:00.123Z');
      const eventId = await seedEvent(h().ctx.db, { tenantId, type: 'alpha.created', at });
      // created_at 10:00:00.123000, .123001, … and sent at .123456 + i µs: all in the same millisecond.
      ids.push(await seedDelivery(h().ctx.db, { tenantId, eventId, endpointId, at, createdAtSql: `${base}${String(i % 5).padStart(3, '0')}+00`, lastAttemptAtSql: `${base}45${i}+00` }));
    }
    for (const sort of [[['createdOn', 'asc']], [['createdOn', 'desc']], [['sentOn', 'asc']], [['sentOn', 'desc']]] as SortSpec[][]) {
      const all = (await firstPage(h(), url(tenantId, sort), 250)).ids;
      expect(all.slice().sort()).toEqual(ids.slice().sort());
      const { ids: paged } = await walkPages(h(), url(tenantId, sort), { limit: 2 });
      expect(paged, sort.join()).toEqual(all);
    }
  });

  it('refuses a cursor that is garbage, tampered with, or from another sortBy (400, never 500)', async () => {
    const base = `/v1/tenants/${ds.tenantId}/deliveries`;
    const byType = await firstPage(h(), url(ds.tenantId, [['eventType', 'asc']]), 5);
    const byCount = await firstPage(h(), url(ds.tenantId, [['attemptCount', 'desc']]), 5);
    const byDefault = await firstPage(h(), base, 5);
    const bad = async (path: string, cursor: string, detail: RegExp) => {
      const res = await h().request({ method: 'GET', url: `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` });
      expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(detail);
    };
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    await bad(base, 'garbage', /cursor is not valid: pass the nextCursor of a previous page unchanged/);
    await bad(base, '!!!', /cursor is not valid/);
    await bad(base, forged({ a: 1 }), /cursor is not valid/);
    // Same shape (three strings), other sort: refused by its signature.
    await bad(base, byType.nextCursor!, /cursor is not valid for this sort: pass the nextCursor of a previous page with the same sortBy/);
    await bad(url(ds.tenantId, [['eventType', 'desc']]), byType.nextCursor!, /not valid for this sort/);
    await bad(url(ds.tenantId, [['status', 'asc']]), byType.nextCursor!, /not valid for this sort/);
    // Other shape (a number where a date is expected).
    await bad(base, byCount.nextCursor!, /cursor is not valid/);
    await bad(url(ds.tenantId, [['attemptCount', 'desc']]), byDefault.nextCursor!, /cursor is not valid/);
    // Right shape and signature, wrong values.
    const [signature, time] = JSON.parse(Buffer.from(byDefault.nextCursor!, 'base64url').toString()) as string[];
    await bad(base, forged([signature, time, 'not-a-uuid']), /not valid for this sort/);
    await bad(base, forged([signature, 'not a date', newId()]), /cursor is not valid/);
    await bad(url(ds.tenantId, [['attemptCount', 'desc']]), forged(['attemptCount:desc', 1e12, newId()]), /cursor is not valid/);
    // And the real ones still work.
    expect((await h().request({ method: 'GET', url: `${base}?cursor=${byDefault.nextCursor}` })).statusCode).toBe(200);
  });

  it('offset paging (for surfaces documented that way) gives the same order and the total count', async () => {
    const sort: SortSpec[] = [['status', 'asc'], ['sentOn', 'desc']];
    const expected = sortRows(ds.rows, sort).map((r) => r.id);
    const seen: string[] = [];
    for (let offset = 0; offset < expected.length + 10; offset += 10) {
      const page = await searchDeliveryOffset(h().ctx, { kind: 'operator' }, ds.tenantId, {
        sortBy: sort.map(([f, d]) => `${f}:${d}`),
        limit: 10,
        offset,
      });
      expect(page.totalCount).toBe(expected.length);
      seen.push(...page.data.map((d) => d.id));
    }
    expect(seen).toEqual(expected);
    const filtered = await searchDeliveryOffset(h().ctx, { kind: 'operator' }, ds.tenantId, { q: 'status==failed', limit: 3, offset: 3 });
    expect(filtered.totalCount).toBe(ds.rows.filter((r) => r.status === 'failed').length);
    expect(filtered.data.map((d) => d.id)).toEqual(sortRows(ds.rows.filter((r) => r.status === 'failed'), [['createdOn', 'desc']]).slice(3, 6).map((r) => r.id));
  });
});
