// Searching the delivery log (GET /v1/tenants/{t}/deliveries): each filter, the `q` query
// language with every operator over every field, and precise 400 answers for bad input.
import { beforeAll, expect, it } from 'vitest';
import { expectProblem } from '../support/api.ts';
import { describeEachHerald, type TestHerald } from '../support/herald.ts';
import { newestFirst, queryString, seedDataset, type Dataset, type Params, type Row } from './dataset.ts';


async function search(h: TestHerald, tenantId: string, params: Params): Promise<string[]> {
  const res = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}/deliveries?${queryString({ limit: 250, ...params })}` });
  expect(res.statusCode, res.body).toBe(200);
  const page = res.json() as { data: { id: string }[]; nextCursor: string | null };
  expect(page.nextCursor).toBeNull();
  return page.data.map((d) => d.id);
}

const iso = (ms: number) => new Date(ms).toISOString();

describeEachHerald('delivery search', (h) => {
  let ds: Dataset;
  let rows: Row[];
  const expectRows = async (params: Params, keep: (r: Row) => boolean) => {
    const expected = newestFirst(rows.filter(keep)).map((r) => r.id);
    expect(expected.length, 'the case keeps some rows').toBeGreaterThan(0);
    expect(expected.length, 'the case drops some rows').toBeLessThan(rows.length);
    expect(await search(h(), ds.tenantId, params)).toEqual(expected);
  };

  beforeAll(async () => {
    const tenant = await h().createTenant();
    const other = await h().createTenant();
    ds = await seedDataset(h().ctx.db, tenant, other);
    rows = ds.rows;
  });

  it('lists every delivery of the tenant, newest first, with what the log knows of each', async () => {
    expect(await search(h(), ds.tenantId, {})).toEqual(newestFirst(rows).map((r) => r.id));
    const res = await h().request({ method: 'GET', url: `/v1/tenants/${ds.tenantId}/deliveries?limit=1` });
    const [first] = res.json().data;
    const row = newestFirst(rows)[0]!;
    expect(first).toEqual({
      id: row.id,
      tenantId: ds.tenantId,
      eventId: row.eventId,
      endpointId: row.endpointId,
      eventType: row.eventType,
      environment: 'live',
      status: row.status,
      attemptCount: row.attemptCount,
      nextAttemptAt: row.status === 'pending' ? expect.any(String) : null,
      lastAttemptAt: row.sentOn === null ? null : iso(row.sentOn),
      lastOutcome: expect.toBeOneOf([null, 'success', 'http_5xx']),
      lastStatusCode: expect.toBeOneOf([null, 200, 500]),
      lastError: null,
      succeededAt: row.status === 'succeeded' ? iso(row.sentOn!) : null,
      clonedFrom: null,
      createdAt: iso(row.createdOn),
    });
  });

  it('filters by endpointId, eventType, status, accountId and related entity', async () => {
    await expectRows({ endpointId: ds.endpoints[1] }, (r) => r.endpointId === ds.endpoints[1]);
    await expectRows({ eventType: 'beta.sent' }, (r) => r.eventType === 'beta.sent');
    for (const status of ['pending', 'succeeded', 'failed'] as const) await expectRows({ status }, (r) => r.status === status);
    await expectRows({ accountId: 'acc_2' }, (r) => r.accountId === 'acc_2');
    await expectRows({ relatedEntityId: 'ord_2' }, (r) => r.relatedEntityId === 'ord_2');
    await expectRows({ relatedEntityType: 'order' }, (r) => r.relatedEntityType === 'order');
    await expectRows(
      { endpointId: ds.endpoints[0], status: 'failed', relatedEntityType: 'order' },
      (r) => r.endpointId === ds.endpoints[0] && r.status === 'failed' && r.relatedEntityType === 'order',
    );
    expect(await search(h(), ds.tenantId, { eventType: 'alpha' })).toEqual([]); // exact, not a prefix
  });

  it('filters by creation time: since is inclusive, until exclusive, both in any offset', async () => {
    const t = rows[20]!.createdOn;
    const u = rows[33]!.createdOn;
    await expectRows({ since: iso(t) }, (r) => r.createdOn >= t);
    await expectRows({ until: iso(t) }, (r) => r.createdOn < t);
    await expectRows({ since: iso(t), until: iso(u) }, (r) => r.createdOn >= t && r.createdOn < u);
    const plusTwo = new Date(t + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    await expectRows({ since: plusTwo }, (r) => r.createdOn >= t);
  });

  it('q: every operator over every field, with ; , and parentheses', async () => {
    const t = rows[20]!.createdOn;
    const s = rows[25]!.sentOn!;
    const [a, b] = ds.endpoints;
    const cases: [string, (r: Row) => boolean][] = [
      ['eventType=="beta.sent"', (r) => r.eventType === 'beta.sent'],
      ["eventType=='alpha.*'", (r) => r.eventType.startsWith('alpha.')],
      ['eventType!=alpha.*', (r) => !r.eventType.startsWith('alpha.')],
      ['eventType=in=(beta.sent,gamma.done)', (r) => ['beta.sent', 'gamma.done'].includes(r.eventType)],
      ['eventType=out=(beta.sent,gamma.done)', (r) => !['beta.sent', 'gamma.done'].includes(r.eventType)],
      ['eventType=gt=alpha.deleted', (r) => r.eventType > 'alpha.deleted'],
      ['eventType=le=alpha.deleted', (r) => r.eventType <= 'alpha.deleted'],
      ['status==failed', (r) => r.status === 'failed'],
      ['status!=failed', (r) => r.status !== 'failed'],
      ['status=in=(pending,failed)', (r) => r.status !== 'succeeded'],
      ['status=out=(pending)', (r) => r.status !== 'pending'],
      [`endpointId==${a}`, (r) => r.endpointId === a],
      [`endpointId!=${a}`, (r) => r.endpointId !== a],
      [`endpointId=in=(${b!.toUpperCase()})`, (r) => r.endpointId === b],
      [`endpointId=out=(${b})`, (r) => r.endpointId !== b],
      [`createdOn==${iso(t)}`, (r) => r.createdOn === t],
      [`createdOn!=${iso(t)}`, (r) => r.createdOn !== t],
      [`createdOn=gt=${iso(t)}`, (r) => r.createdOn > t],
      [`createdOn=ge=${iso(t)}`, (r) => r.createdOn >= t],
      [`createdOn=lt=${iso(t)}`, (r) => r.createdOn < t],
      [`createdOn=le=${iso(t)}`, (r) => r.createdOn <= t],
      [`createdOn=in=(${iso(t)},${iso(rows[3]!.createdOn)})`, (r) => r.createdOn === t || r.createdOn === rows[3]!.createdOn],
      [`createdOn>${iso(t).slice(0, 10)}`, (r) => r.createdOn > Date.parse(iso(t).slice(0, 10))],
      [`sentOn=ge=${iso(s)}`, (r) => r.sentOn !== null && r.sentOn >= s],
      [`sentOn=lt=${iso(s)}`, (r) => r.sentOn !== null && r.sentOn < s],
      [`sentOn!=${iso(s)}`, (r) => r.sentOn !== s], // "not this value" includes "never sent"
      [`sentOn=out=(${iso(s)})`, (r) => r.sentOn !== s],
      ['attemptCount==0', (r) => r.attemptCount === 0],
      ['attemptCount!=1', (r) => r.attemptCount !== 1],
      ['attemptCount=gt=2', (r) => r.attemptCount > 2],
      ['attemptCount=ge=2', (r) => r.attemptCount >= 2],
      ['attemptCount=lt=2', (r) => r.attemptCount < 2],
      ['attemptCount=le=2', (r) => r.attemptCount <= 2],
      ['attemptCount=in=(0,3)', (r) => r.attemptCount === 0 || r.attemptCount === 3],
      ['attemptCount=out=(0,3)', (r) => r.attemptCount !== 0 && r.attemptCount !== 3],
      ['relatedEntityId==ord_1', (r) => r.relatedEntityId === 'ord_1'],
      ['relatedEntityId!=ord_1', (r) => r.relatedEntityId !== 'ord_1'], // includes rows without a related entity
      ['relatedEntityId=in=(ord_1,cus_1)', (r) => r.relatedEntityId === 'ord_1' || r.relatedEntityId === 'cus_1'],
      ['relatedEntityId=out=(ord_1,cus_1)', (r) => r.relatedEntityId !== 'ord_1' && r.relatedEntityId !== 'cus_1'],
      ['relatedEntityType==customer', (r) => r.relatedEntityType === 'customer'],
      ['relatedEntityType=out=(customer)', (r) => r.relatedEntityType !== 'customer'],
      ['relatedEntityType=gt=customer', (r) => r.relatedEntityType !== null && r.relatedEntityType > 'customer'],
      ['status==failed;attemptCount=ge=3', (r) => r.status === 'failed' && r.attemptCount >= 3],
      ['status==pending,attemptCount==4', (r) => r.status === 'pending' || r.attemptCount === 4],
      ['status==pending,eventType==beta.sent;attemptCount=gt=1', (r) => r.status === 'pending' || (r.eventType === 'beta.sent' && r.attemptCount > 1)],
      ['(status==pending,eventType==beta.sent);attemptCount=lt=2', (r) => (r.status === 'pending' || r.eventType === 'beta.sent') && r.attemptCount < 2],
      [
        `(endpointId==${a};(eventType==alpha.* , relatedEntityType==customer)) or (status==failed and createdOn=ge=${iso(t)})`,
        (r) => (r.endpointId === a && (r.eventType.startsWith('alpha.') || r.relatedEntityType === 'customer')) || (r.status === 'failed' && r.createdOn >= t),
      ],
    ];
    for (const [q, keep] of cases) {
      const expected = newestFirst(rows.filter(keep)).map((r) => r.id);
      expect(expected.length, `${q} keeps some rows`).toBeGreaterThan(0);
      expect(expected.length, `${q} drops some rows`).toBeLessThan(rows.length);
      expect(await search(h(), ds.tenantId, { q }), q).toEqual(expected);
    }
  });

  it('q combines with the other filters (and)', async () => {
    await expectRows({ q: 'attemptCount=ge=2', status: 'succeeded', endpointId: ds.endpoints[0] }, (r) => r.attemptCount >= 2 && r.status === 'succeeded' && r.endpointId === ds.endpoints[0]);
    expect(await search(h(), ds.tenantId, { q: '  ' })).toHaveLength(rows.length); // blank: no condition
  });

  it('answers 400 problem+json with a precise message for every kind of bad input', async () => {
    const bad = async (params: Params, detail: RegExp, path?: string) => {
      const res = await h().request({ method: 'GET', url: `/v1/tenants/${ds.tenantId}/deliveries?${queryString(params)}` });
      const body = expectProblem(res, 400, 'malformed_request');
      expect(body.detail).toMatch(detail);
      if (path) expect(body.errors?.map((e) => e.path)).toContain(path);
    };
    await bad({ colour: 'red' }, /colour is not a known field/, 'colour');
    await bad({ since: 'yesterday' }, /since.*date-time/, 'since');
    await bad({ until: '2025-13-01T00:00:00Z' }, /until.*date-time/, 'until');
    await bad({ since: '2025-06-01' }, /since.*date-time/, 'since');
    await bad({ status: 'lost' }, /status must be one of "pending", "succeeded", "failed"/, 'status');
    await bad({ endpointId: 'nope' }, /endpointId.*uuid/, 'endpointId');
    await bad({ limit: 0 }, /limit/, 'limit');
    await bad({ limit: 251 }, /limit/, 'limit');
    await bad({ q: 'colour==red' }, /^q: unknown field "colour" at position 0; known fields are eventType, status, endpointId/, 'q');
    await bad({ q: 'status==failed;colour==red' }, /unknown field "colour" at position 15/, 'q');
    await bad({ q: 'eventType=x=1' }, /^q: expected a comparison operator \(==, !=, =gt=, =ge=, =lt=, =le=, =in=, =out=\) at position 9, found "=x="/);
    await bad({ q: 'eventType' }, /expected a comparison operator .* at position 9, found the end of the query/);
    await bad({ q: 'eventType==' }, /expected a value at position 11, found the end of the query/);
    await bad({ q: '(status==failed' }, /expected "\)", ";", ",", "and" or "or" at position 15, found the end of the query/);
    await bad({ q: 'status==failed)' }, /expected ";", ",", "and", "or" or the end of the query at position 14, found "\)"/);
    await bad({ q: 'status==failed;' }, /expected a field name or "\(" at position 15/);
    await bad({ q: 'eventType=="abc' }, /the value quoted at position 11 has no closing "/);
    await bad({ q: 'status==lost' }, /"lost" for status \(at position 0\) is not one of pending, succeeded, failed/);
    await bad({ q: 'attemptCount=gt=many' }, /"many" for attemptCount \(at position 0\) is not an integer/);
    await bad({ q: 'attemptCount==99999999999' }, /"99999999999" for attemptCount .* (is out of range|is not an integer)/);
    await bad({ q: 'createdOn=gt=yesterday' }, /"yesterday" for createdOn \(at position 0\) is not an RFC 3339 date/);
    await bad({ q: 'sentOn=lt=2025-02-30' }, /"2025-02-30" for sentOn .* is not an RFC 3339 date/);
    await bad({ q: 'endpointId==42' }, /"42" for endpointId \(at position 0\) is not a UUID/);
    await bad({ q: 'status=gt=failed' }, /=gt= cannot be used on status \(at position 0\)/);
    await bad({ q: 'status==(failed,pending)' }, /a list of values is only allowed with =in= and =out=, not ==, at position 8/);
    await bad({ q: `${'(' .repeat(25)}status==failed${')'.repeat(25)}` }, /parentheses nest deeper than 20 levels/);
    await bad({ q: 'x'.repeat(5000) }, /the query is 5000 characters long; at most 4096/);
    await bad({ sortBy: 'colour:asc' }, /sortBy "colour:asc" must be field:ASC or field:DESC with a field among createdOn, sentOn, attemptCount, eventType, status/, 'sortBy');
    await bad({ sortBy: 'createdOn:sideways' }, /sortBy "createdOn:sideways" must be/, 'sortBy');
    await bad({ sortBy: ['status:asc', 'createdOn;desc'] }, /sortBy "createdOn;desc"/, 'sortBy');
    await bad({ cursor: 'garbage' }, /cursor is not valid/);
  });

  it('shows another tenant nothing, and a key only its own environment', async () => {
    const other = await h().createTenant();
    expect(await search(h(), other, {})).toEqual([]);
    const liveKey = await h().createKey(ds.tenantId, { environment: 'live' });
    const testKey = await h().createKey(ds.tenantId, { environment: 'test' });
    const asKey = async (key: string) => {
      const res = await h().request({ method: 'GET', url: `/v1/tenants/${ds.tenantId}/deliveries?limit=250`, as: key });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().data as { id: string }[]).length;
    };
    expect(await asKey(liveKey)).toBe(rows.length);
    expect(await asKey(testKey)).toBe(0);
    const res = await h().request({ method: 'GET', url: `/v1/tenants/${other}/deliveries`, as: liveKey });
    expectProblem(res, 404, 'not_found');
  });
});
