// Group commit: concurrent publishes share writes, each still gets exactly its own answer, and a
// failed write acknowledges none of the publishes it carried.
import { beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { GroupCommit } from '../../src/services/groupCommit.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('group commit', (h) => {
  let tenants: string[];
  beforeAll(async () => {
    await h().request({ method: 'PUT', url: '/v1/event-types/batch.test', payload: {} });
    tenants = [await h().createTenant(), await h().createTenant()];
    // Tenant 0 has two subscribed endpoints, tenant 1 one.
    for (const [tenant, count] of [[tenants[0]!, 2], [tenants[1]!, 1]] as const) {
      for (let i = 0; i < count; i++) {
        const res = await h().request({ method: 'POST', url: `/v1/tenants/${tenant}/endpoints`, payload: { url: `https://example.com/${tenant}/${i}`, eventTypes: ['batch.test'] } });
        expect(res.statusCode, res.body).toBe(201);
      }
    }
  });

  /** The database, counting the statements that write events, and the most of them at once. */
  function countingDb(db: Db, fail = false, delayMs = 0) {
    const counter = { writes: 0, inFlight: 0, mostInFlight: 0 };
    const wrapped: Db = {
      ...db,
      async query(sql, params, name) {
        if (!sql.includes('insert into events')) return db.query(sql, params, name);
        counter.writes++;
        counter.mostInFlight = Math.max(counter.mostInFlight, ++counter.inFlight);
        try {
          if (fail) throw new Error('the database went away');
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return await db.query(sql, params, name);
        } finally {
          counter.inFlight--;
        }
      },
    };
    return { wrapped, counter };
  }

  const input = (n: number) => ({ type: 'batch.test', data: { n }, payload: `{"n":${n}}` });

  it('writes concurrent publishes together and answers each with its own events and fan-out', async () => {
    const { wrapped, counter } = countingDb(h().ctx.db);
    const group = new GroupCommit(wrapped, h().ctx.signal, 1);
    const requests = Array.from({ length: 40 }, (_, i) => ({ tenantId: tenants[i % 2]!, inputs: [input(i), input(i + 100)], keyEnvironment: undefined }));
    const answers = await Promise.all(requests.map((r) => group.publish(r)));
    expect(counter.writes).toBeLessThan(requests.length / 4); // batched, not one write each
    answers.forEach((events, i) => {
      expect(events).toHaveLength(2);
      for (const e of events) expect(e.deliveries).toBe(i % 2 === 0 ? 2 : 1);
    });
    const ids = answers.flat().map((e) => e.id);
    expect(new Set(ids).size).toBe(80);
    const rows = await h().ctx.db.query<{ tenant_id: string; payload: string; deliveries: number }>(
      `select e.tenant_id, e.payload, (select count(*)::int from deliveries d where d.event_id = e.id) as deliveries
       from events e where e.id = any($1::uuid[])`,
      [ids],
    );
    expect(rows).toHaveLength(80);
    for (const row of rows) expect(row.deliveries).toBe(row.tenant_id === tenants[0] ? 2 : 1);
    // Each answer's ids belong to its own request's tenant and payloads.
    for (const [i, events] of answers.entries()) {
      const own = await h().ctx.db.query<{ tenant_id: string; payload: string }>('select tenant_id, payload from events where id = any($1::uuid[]) order by payload', [events.map((e) => e.id)]);
      expect(own.map((r) => r.tenant_id)).toEqual([requests[i]!.tenantId, requests[i]!.tenantId]);
      expect(own.map((r) => r.payload).sort()).toEqual([`{"n":${i}}`, `{"n":${i + 100}}`].sort());
    }
  });

  it('publishes made in the same turn of the event loop share one write, even with writes free', async () => {
    const { wrapped, counter } = countingDb(h().ctx.db);
    const group = new GroupCommit(wrapped, h().ctx.signal, 2); // two writes may run at once: neither is needed
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => group.publish({ tenantId: tenants[0]!, inputs: [input(i)], keyEnvironment: undefined })));
    expect(counter.writes).toBe(1);
    expect(answers.map((events) => events.length)).toEqual(Array(10).fill(1));
  });

  it('by default writes one batch at a time on PostgreSQL, and two on PGlite, whose one connection would idle between them', async () => {
    const { wrapped, counter } = countingDb(h().ctx.db, false, 20);
    const group = new GroupCommit(wrapped, h().ctx.signal);
    const answers: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      answers.push(group.publish({ tenantId: tenants[0]!, inputs: [input(i)], keyEnvironment: undefined }));
      await new Promise((resolve) => setTimeout(resolve, 5)); // each publish in a turn of its own, while a write runs
    }
    await Promise.all(answers);
    expect(counter.mostInFlight).toBe(h().ctx.db.driver === 'pglite' ? 2 : 1);
  });

  it('a failed write rejects every publish it carried and stores none of them', async () => {
    const { wrapped } = countingDb(h().ctx.db, true);
    const group = new GroupCommit(wrapped, h().ctx.signal, 1);
    const before = (await h().ctx.db.query<{ n: number }>('select count(*)::int as n from events'))[0]!.n;
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => group.publish({ tenantId: tenants[0]!, inputs: [input(i)], keyEnvironment: undefined })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((await h().ctx.db.query<{ n: number }>('select count(*)::int as n from events'))[0]!.n).toBe(before);
  });
});
