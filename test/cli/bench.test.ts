// `herald bench` end to end at a small size: one JSON object with R and every scenario asked for,
// ratios against R, memory and CPU time sampled, and nothing left behind; bad options are refused
// before anything starts. The figures themselves are `npm run bench`'s business, not a test's.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect, it } from 'vitest';
import { postgresUrl } from '../support/templates.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

function bench(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
  return run(process.execPath, [path.join(root, 'bin/herald.mjs'), 'bench', ...args], { cwd: root, env, timeout: 180_000 });
}

async function benchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>(`select datname from pg_database where datname like 'herald\\_bench\\_%'`)).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

const localPostgres = postgresUrl !== undefined && ['127.0.0.1', 'localhost'].includes(new URL(postgresUrl).hostname);

const benchDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('herald-bench-'));

interface Row {
  scenario: string;
  deliveriesPerSecond?: number;
  ratioToR?: number;
  rAround?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxRssMb?: number;
  heraldCpuUs?: number;
  postgresCpuUs?: number;
  loadCpuUs?: number;
  note?: string;
}

it('prints one JSON object with R and each scenario, and cleans up after itself', { timeout: 210_000 }, async () => {
  const scenarios = postgresUrl ? 'pglite:10,pg:1,pg:latency,pg:backlog,pglite:capped' : 'pglite:10,pglite:capped';
  const dirsBefore = benchDirs();
  const databasesBefore = postgresUrl ? await benchDatabases() : [];
  const { stdout } = await bench(['--json', '--scenarios', scenarios, '--deliveries', '200', '--warm-up', '100', '--backlog', '300', '--concurrency', '16',
    ...(postgresUrl ? ['--postgres', postgresUrl] : [])]);

  const { rows } = JSON.parse(stdout) as { rows: Row[] };
  const [r, ...rest] = rows;
  const capped = rest.pop()!;
  const latency = rest.find((row) => row.scenario.includes('latency'));
  const measured = rest.filter((row) => row !== latency);
  expect(r).toMatchObject({ scenario: 'R: raw undici POST, signed 1 KB body', ratioToR: 1 });
  expect(r!.deliveriesPerSecond).toBeGreaterThan(0);
  // R before the scenarios and after each of them.
  expect(r!.note).toMatch(new RegExp(`^mean of ${rows.length} measurements, \\d+–\\d+;`));
  expect(measured.map((row) => row.scenario)).toEqual(
    postgresUrl ? ['PGlite, fan-out 10', 'PostgreSQL, fan-out 1', 'PostgreSQL, draining 300 queued'] : ['PGlite, fan-out 10'],
  );
  // Claim times beside a capped backlog of a tenth of --backlog, 1,000 at least.
  expect(capped.scenario).toBe('PGlite, claim of 50 beside a capped backlog of 1000');
  expect(capped.p50Ms).toBeGreaterThan(0);
  expect(capped.p99Ms).toBeGreaterThanOrEqual(capped.p50Ms!);
  if (postgresUrl) {
    // Publish-accepted → first attempt, open loop at half the fan-out 1 rate measured before it.
    const fanOut1 = measured.find((row) => row.scenario === 'PostgreSQL, fan-out 1')!;
    const rate = Math.max(10, Math.round(fanOut1.deliveriesPerSecond! / 2));
    expect(latency).toMatchObject({ scenario: `PostgreSQL, latency at ${rate} events/s (open loop)` });
    expect(latency!.note).toMatch(new RegExp(`^(\\d+) events; 50 % of the fan-out 1 rate \\(${fanOut1.deliveriesPerSecond}/s\\)$`));
    // Every event published in its 15 s was timed (none lost between accept and arrival).
    expect(Number(latency!.note!.split(' ')[0])).toBe(rate * 15);
    expect(latency!.p50Ms).toBeGreaterThanOrEqual(0);
    expect(latency!.p99Ms).toBeGreaterThanOrEqual(latency!.p50Ms!);
    expect(latency!.p99Ms).toBeLessThan(10_000);
  } else expect(latency).toBeUndefined();
  for (const row of measured) {
    expect(row.deliveriesPerSecond).toBeGreaterThan(0);
    // Each ratio is to the R measured around its scenario, one of those the R row averages.
    expect(row.rAround).toBeGreaterThan(0);
    expect(row.ratioToR).toBe(Number((row.deliveriesPerSecond! / row.rAround!).toFixed(2)));
    expect(row.maxRssMb).toBeGreaterThan(20);
    // CPU per delivery: Herald's always; the PostgreSQL server's when it runs on this machine
    // (PGlite runs inside Herald, so it has none of its own).
    expect(row.heraldCpuUs).toBeGreaterThan(0);
    if (row.scenario.startsWith('PGlite')) expect(row.postgresCpuUs).toBeUndefined();
    else if (localPostgres) expect(row.postgresCpuUs).toBeGreaterThan(0);
    // The load generator's share, where it publishes (a drain publishes nothing); and the deliveries
    // sent before the timing started (a whole number of events).
    if (row.scenario.includes('fan-out')) {
      expect(row.loadCpuUs).toBeGreaterThan(0);
      expect(row.note).toBe('after a warm-up of 100 deliveries');
    } else expect(row.loadCpuUs).toBeUndefined();
  }
  expect(benchDirs()).toEqual(dirsBefore);
  if (postgresUrl) expect(await benchDatabases()).toEqual(databasesBefore);
});

it('refuses an unknown scenario or a count that is not a positive whole number, saying why', async () => {
  await expect(bench(['--scenarios', 'pg:10,nope'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('unknown: nope; choose from pg:10, pg:1') });
  await expect(bench(['--deliveries', '0'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("'--deliveries <n>' argument '0' is invalid") });
  await expect(bench(['--concurrency', 'many'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('must be a whole number above 0') });
  await expect(bench(['--warm-up', '-1'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('must be a whole number, 0 or more') });
});
