// Export (GET …/deliveries/export?format=csv|json|ndjson): the search's filters, streamed; headers,
// CSV quoting and formula escaping; and 100,000 rows read as a stream from a real port, counted
// exactly, with the memory the export holds measured while it runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request } from 'undici';
import { beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { exportColumns } from '../../src/services/export.ts';
import { expectProblem, parseCsv } from '../support/api.ts';
import { describeEachHerald } from '../support/herald.ts';
import { daysAgo, seedDelivery, seedEvent, seedMany } from '../support/seed.ts';

const errors = [
  '=HYPERLINK("http://evil.example","click")',
  '+1 555 0100',
  '-2+3',
  '@SUM(A1:A2)',
  '\tleading tab',
  '\rleading CR',
  'line one\nline two',
  'plain, with a comma',
  'say "hi"',
  'héllo ✓',
  'ok=fine',
  null,
];

describeEachHerald('delivery export', (h, driver) => {
  let tenant: string;
  let endpoint: string;
  const ids: string[] = []; // newest first
  const start = daysAgo(1);
  beforeAll(async () => {
    tenant = await h().createTenant();
    endpoint = newId();
    const db = h().ctx.db;
    for (const [i, lastError] of errors.entries()) {
      const at = start + i * 60_000;
      const eventId = await seedEvent(db, { tenantId: tenant, type: i % 2 ? 'export.odd' : 'export.even', at });
      ids.unshift(await seedDelivery(db, { tenantId: tenant, eventId, endpointId: i < 8 ? endpoint : newId(), at, status: i % 3 === 0 ? 'succeeded' : 'failed', lastError }));
    }
  });

  const get = (query: string) => h().request({ method: 'GET', url: `/v1/tenants/${tenant}/deliveries/export?${query}` });

  it('CSV: headers, one record per delivery newest first, RFC 4180 quoting, formulas defused', async () => {
    const res = await get('format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="deliveries.csv"');
    const [header, ...records] = parseCsv(res.body);
    expect(header).toEqual([...exportColumns]);
    expect(records.map((r) => r[0])).toEqual(ids);
    const column = (name: (typeof exportColumns)[number]) => exportColumns.indexOf(name);
    const cells = records.map((r) => r[column('lastError')]).reverse();
    expect(cells).toEqual([
      `'=HYPERLINK("http://evil.example","click")`,
      "'+1 555 0100",
      "'-2+3",
      "'@SUM(A1:A2)",
      "'\tleading tab",
      "'\rleading CR",
      'line one\nline two',
      'plain, with a comma',
      'say "hi"',
      'héllo ✓',
      'ok=fine',
      '',
    ]);
    expect(res.body).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    const first = records.at(-1)!;
    expect(first[column('eventType')]).toBe('export.even');
    expect(first[column('status')]).toBe('succeeded');
    expect(first[column('attemptCount')]).toBe('1');
    expect(first[column('lastStatusCode')]).toBe('200');
    expect(new Date(first[column('createdAt')]!).toISOString()).toBe(first[column('createdAt')]);
    expect(first[column('nextAttemptAt')]).toBe('');
    expect(first[column('clonedFrom')]).toBe('');
  });

  it('JSON parses as an array of the same rows, raw values (no spreadsheet escaping); NDJSON is one row per line', async () => {
    const json = await get('format=json');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['content-disposition']).toBe('attachment; filename="deliveries.json"');
    const rows = JSON.parse(json.body) as Record<string, unknown>[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => r.lastError).reverse()).toEqual(errors);
    expect(Object.keys(rows[0]!)).toEqual([...exportColumns]);
    expect(rows.at(-1)).toMatchObject({ eventType: 'export.even', status: 'succeeded', attemptCount: 1, lastStatusCode: 200, clonedFrom: null, environment: 'live' });

    const ndjson = await get('format=ndjson');
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson.headers['content-disposition']).toBe('attachment; filename="deliveries.ndjson"');
    expect(ndjson.body.endsWith('\n')).toBe(true);
    const lines = ndjson.body.slice(0, -1).split('\n');
    expect(lines).toHaveLength(errors.length);
    expect(lines.map((l) => JSON.parse(l))).toEqual(rows);
  });

  it('takes the search filters, q and sortBy; CSV is the default format; no rows is a header or []', async () => {
    const csvIds = async (query: string) => parseCsv((await get(query)).body).slice(1).map((r) => r[0]);
    expect(await csvIds('')).toEqual(ids);
    expect(await csvIds(`endpointId=${endpoint}&status=failed`)).toEqual(ids.filter((_, i) => {
      const n = errors.length - 1 - i;
      return n < 8 && n % 3 !== 0;
    }));
    expect(await csvIds(`q=${encodeURIComponent('eventType==export.odd')}&sortBy=createdOn:ASC`)).toEqual([...ids].reverse().filter((_, n) => n % 2 === 1));
    expect(await csvIds(`since=${encodeURIComponent(new Date(start + 10 * 60_000).toISOString())}`)).toEqual(ids.slice(0, 2));

    const none = 'eventType=nothing.here';
    expect((await get(`format=csv&${none}`)).body).toBe(`${exportColumns.join(',')}\r\n`);
    expect(JSON.parse((await get(`format=json&${none}`)).body)).toEqual([]);
    expect((await get(`format=ndjson&${none}`)).body).toBe('');
  });

  it('answers 400 problem+json, before streaming, for a bad format, filter, query or sort', async () => {
    const bad = async (query: string, detail: RegExp) => {
      for (const format of ['csv', 'json', 'ndjson']) {
        const res = await get(`format=${format}&${query}`);
        expect(expectProblem(res, 400, 'malformed_request').detail).toMatch(detail);
        expect(res.headers['content-disposition']).toBeUndefined();
      }
    };
    expect(expectProblem(await get('format=xlsx'), 400, 'malformed_request').detail).toMatch(/format must be one of "csv", "json", "ndjson"/);
    await bad('colour=red', /colour is not a known field/);
    await bad('limit=5', /limit is not a known field/);
    await bad('since=yesterday', /since.*date-time/);
    await bad(`q=${encodeURIComponent('status==')}`, /^q: expected a value at position 8/);
    await bad(`q=${encodeURIComponent('colour==red')}`, /^q: unknown field "colour" at position 0/);
    await bad(`q=${encodeURIComponent('attemptCount=gt=lots')}`, /"lots" for attemptCount \(at position 0\) is not an integer/);
    await bad('sortBy=colour', /sortBy "colour" must be/);
    expectProblem(await h().request({ method: 'GET', url: `/v1/tenants/t_nobody/deliveries/export` }), 404, 'not_found');
  });

  it(`streams 100,000 rows from a real port with bounded memory [${driver}]`, async () => {
    const rows = 100_000;
    const big = await h().createTenant();
    const seedStart = Date.now();
    await seedMany(h().ctx.db, { tenantId: big, type: 'bulk.row', from: daysAgo(2), count: rows, stepMs: 1, endpointId: newId(), status: 'failed', lastError: 'connection refused' });
    // A database that grew to this size would have statistics (autovacuum); one bulk insert has not yet.
    await h().ctx.db.query('analyze deliveries');
    await h().ctx.db.query('analyze events');
    const seedMs = Date.now() - seedStart;

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const address = await h().app.listen({ port: 0, host: '127.0.0.1' }); // closed with the app
    {
      gc();
      const baseline = process.memoryUsage();
      let peakHeap = 0;
      let peakRss = 0;
      const sample = () => {
        gc();
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed - baseline.heapUsed);
        peakRss = Math.max(peakRss, now.rss - baseline.rss);
      };
      const started = performance.now();
      const res = await request(`${address}/v1/tenants/${big}/deliveries/export?format=csv`, { headers: h().operator });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-length']).toBeUndefined(); // streamed, not buffered
      let bytes = 0;
      let lines = 0;
      let chunks = 0;
      let partial = '';
      let previousId: string | undefined;
      let ordered = true;
      let nextSample = 4 << 20;
      for await (const chunk of res.body) {
        const text = partial + (chunk as Buffer).toString('utf8');
        bytes += (chunk as Buffer).length;
        chunks++;
        const records = text.split('\r\n');
        partial = records.pop()!;
        for (const record of records) {
          if (lines++ === 0) continue; // the header
          const id = record.slice(0, 36);
          if (previousId !== undefined && id >= previousId) ordered = false;
          previousId = id;
        }
        if (bytes >= nextSample) {
          sample();
          nextSample += 4 << 20;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      sample();
      expect(partial).toBe('');
      expect(lines - 1).toBe(rows);
      expect(ordered, 'newest first, each row once').toBe(true);
      // Holding the export would take at least its size; the stream holds a few chunks.
      expect(peakHeap).toBeLessThan(bytes / 2);
      const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
      console.log(
        `[export ${driver}] ${rows} rows, ${mb(bytes)} CSV in ${seconds.toFixed(2)} s (${chunks} network chunks): ` +
          `${Math.round(rows / seconds)} rows/s, ${mb(bytes / seconds)}/s; retained heap growth at most ${mb(peakHeap)}, ` +
          `rss growth at most ${mb(peakRss)}; seeding took ${(seedMs / 1000).toFixed(1)} s`,
      );
    }
  }, 180_000);
});
