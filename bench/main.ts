// `npm run bench` / `herald bench`: measures R (raw undici throughput to a local receiver) and
// Herald end to end on PostgreSQL and PGlite, and prints a table (or JSON with --json).
// Everything runs on loopback, is bounded in count and time, and is cleaned up afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cappedClaim } from './cappedClaim.ts';
import { adminToken, HeraldClient } from './client.ts';
import { percentile } from './percentile.ts';
import { postgresCpuSeconds, startHerald, startReceiver, treeCpuSeconds, treeRssMb, type HeraldProcess, type ReceiverProcess } from './processes.ts';
import { measureRaw } from './raw.ts';

export interface BenchOptions {
  json: boolean;
  postgresUrl: string;
  deliveries: number;
  /** Deliveries sent before each throughput scenario's timing starts. */
  warmUp: number;
  backlog: number;
  concurrency: number;
  scenarios: string[];
}

export interface Row {
  scenario: string;
  deliveriesPerSecond?: number;
  ratioToR?: number;
  /** The R that ratio is to: the mean of R measured just before and just after the scenario. */
  rAround?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxRssMb?: number;
  /** CPU time per delivery, in µs: Herald's processes (with PGlite, its database too) … */
  heraldCpuUs?: number;
  /** … and the local PostgreSQL server's, when the scenario runs on it … */
  postgresCpuUs?: number;
  /** … and the load generator's (this process, publishing), which shares the machine with them. */
  loadCpuUs?: number;
  note?: string;
}

const log = (options: BenchOptions, message: string) => {
  if (!options.json) process.stderr.write(`${message}\n`);
};

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting for the deliveries');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Samples the resident memory of Herald's processes until stopped; returns the maximum. Sampled
 * at the start and the stop too, so that a scenario shorter than the interval has a figure.
 */
function memorySampler(pids: () => number[]) {
  let max = 0;
  const sample = () => void (max = Math.max(max, pids().reduce((sum, pid) => sum + treeRssMb(pid), 0)));
  sample();
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    return Math.round(max);
  };
}

/**
 * CPU time from now on, of Herald's processes and (`postgres`) of the local PostgreSQL server; read
 * per delivery. Unlike rates, these hardly depend on how fast the machine is at the moment, so they
 * show what a change costs or saves.
 */
function cpuMeter(pids: () => number[], postgres: boolean) {
  const herald = () => pids().reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
  const database = () => (postgres ? postgresCpuSeconds() : undefined);
  const heraldStart = herald();
  const databaseStart = database();
  return (deliveries: number): Pick<Row, 'heraldCpuUs' | 'postgresCpuUs'> => {
    const perDelivery = (seconds: number) => Math.round((seconds * 1e6) / deliveries);
    const databaseNow = database();
    return {
      heraldCpuUs: perDelivery(herald() - heraldStart),
      ...(databaseStart !== undefined && databaseNow !== undefined ? { postgresCpuUs: perDelivery(databaseNow - databaseStart) } : {}),
    };
  };
}

export interface Target {
  name: string;
  /** A PostgreSQL server on this machine, whose CPU time can be read. */
  localPostgres: boolean;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

async function postgresTarget(base: string): Promise<Target> {
  const name = `herald_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name: 'PostgreSQL',
    localPostgres: ['127.0.0.1', 'localhost', '[::1]', ''].includes(url.hostname),
    env: { HERALD_DATABASE_URL: url.toString() },
    async cleanup() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

function pgliteTarget(): Target {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  return { name: 'PGlite', localPostgres: false, env: { HERALD_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

function heraldEnv(options: BenchOptions, target: Target): Record<string, string> {
  return {
    ...target.env,
    HERALD_PORT: '0',
    HERALD_ADMIN_TOKEN: adminToken,
    HERALD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HERALD_ALLOW_HTTP: 'true',
    HERALD_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_RATE_LIMIT: '0',
    HERALD_WORKER_CONCURRENCY: String(options.concurrency),
    HERALD_ENDPOINT_CONCURRENCY: String(options.concurrency),
  };
}

/** Waits until the receiver has `count` deliveries and Herald has recorded every attempt (none pending). */
async function allRecorded(receiver: ReceiverProcess, client: HeraldClient, tenant: string, count: number): Promise<void> {
  await waitFor(async () => (await receiver.ask<{ count: number }>({ cmd: 'stats' })).count >= count, 300_000);
  await waitFor(async () => !(await client.anyPending(tenant)), 60_000, 20);
}

/** Publishes events through the API and times until every delivery is recorded as succeeded. */
async function throughput(options: BenchOptions, receiver: ReceiverProcess, target: Target, fanOut: number): Promise<Row> {
  const herald = await startHerald(heraldEnv(options, target));
  const client = new HeraldClient(herald.url!);
  const stopSampling = memorySampler(() => [herald.child.pid!]);
  try {
    const tenant = `bench-${fanOut}`;
    await client.setup(tenant, receiver.url, fanOut);
    // Warm-up, not counted, as R has one: a fresh process opens its connections and compiles its
    // hot functions during its first seconds, and a 60,000-delivery run would time that too.
    const warmUpEvents = Math.ceil(options.warmUp / fanOut);
    log(options, `  warming up with ${warmUpEvents * fanOut} deliveries …`);
    await client.publishClosedLoop(tenant, warmUpEvents, 64);
    await allRecorded(receiver, client, tenant, warmUpEvents * fanOut);
    await receiver.ask({ cmd: 'reset' });
    const events = Math.ceil(options.deliveries / fanOut);
    const total = events * fanOut;
    const cpu = cpuMeter(() => [herald.child.pid!], target.localPostgres);
    const started = performance.now();
    const progress = setInterval(async () => {
      const { count } = await receiver.ask<{ count: number }>({ cmd: 'stats' });
      log(options, `  … ${count}/${total} delivered`);
    }, 2000);
    const loadStart = process.cpuUsage();
    await client.publishClosedLoop(tenant, events, 64);
    const load = process.cpuUsage(loadStart);
    await allRecorded(receiver, client, tenant, total);
    clearInterval(progress);
    const seconds = (performance.now() - started) / 1000;
    return {
      scenario: `${target.name}, fan-out ${fanOut}`,
      deliveriesPerSecond: Math.round(total / seconds),
      maxRssMb: stopSampling(),
      ...cpu(total),
      loadCpuUs: Math.round((load.user + load.system) / total),
      note: `after a warm-up of ${warmUpEvents * fanOut} deliveries`,
    };
  } finally {
    stopSampling();
    await client.close();
    await herald.stop();
  }
}

/**
 * A backlog of `options.backlog` queued deliveries (written straight into PostgreSQL while no
 * worker runs), then drained by Herald: the rate should stay close to the fresh rate.
 */
async function backlogDrain(options: BenchOptions, receiver: ReceiverProcess, target: Target): Promise<Row> {
  const env = heraldEnv(options, target);
  const api = await startHerald({ ...env, HERALD_ROLES: 'api' });
  const client = new HeraldClient(api.url!);
  const endpoints = await client.setup('bench-backlog', receiver.url, 10);
  await client.close();
  await api.stop();
  const db = new pg.Client({ connectionString: target.env.HERALD_DATABASE_URL });
  await db.connect();
  try {
    const events = Math.ceil(options.backlog / endpoints.length);
    log(options, `  writing ${events * endpoints.length} queued deliveries …`);
    // As Herald writes them: UUIDv7 ids in creation order (one event a millisecond, up to now; its
    // deliveries one after the other in that millisecond), each delivery due when it was created.
    // Random ids would spread every lookup by key over the whole of a 1M-row index.
    await db.query(`create function pg_temp.v7(ms bigint, n int) returns uuid language sql as $$
      select (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(n), 3, '0') || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid $$`);
    await db.query(
      `insert into events (id, tenant_id, type, environment, payload, created_at)
       select pg_temp.v7(ms, 0), 'bench-backlog', 'bench.event', 'live', '{"blob":"' || repeat('x', 700) || '"}', to_timestamp(ms / 1000.0)
       from (select (extract(epoch from now()) * 1000)::bigint - $1 + i as ms from generate_series(1, $1) as i) t`,
      [events],
    );
    await db.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at)
       select pg_temp.v7((extract(epoch from e.created_at) * 1000)::bigint, ep.n::int), e.tenant_id, e.id, ep.id, 'pending', e.created_at, e.created_at
       from events e cross join unnest($1::uuid[]) with ordinality as ep(id, n) where e.tenant_id = 'bench-backlog' order by e.id, ep.n`,
      [endpoints],
    );
    await db.query('analyze');
    const total = events * endpoints.length;
    await receiver.ask({ cmd: 'reset' });
    const worker = await startHerald({ ...env, HERALD_ROLES: 'worker' });
    const stopSampling = memorySampler(() => [worker.child.pid!]);
    const cpu = cpuMeter(() => [worker.child.pid!], target.localPostgres);
    const started = performance.now();
    try {
      await waitFor(async () => {
        const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from deliveries where status = 'pending'`);
        log(options, `  … ${total - rows[0]!.n}/${total} drained`);
        return rows[0]!.n === 0;
      }, 3_600_000, 2_000);
      const seconds = (performance.now() - started) / 1000;
      return { scenario: `PostgreSQL, draining ${total} queued`, deliveriesPerSecond: Math.round(total / seconds), maxRssMb: stopSampling(), ...cpu(total) };
    } finally {
      stopSampling();
      await worker.stop();
    }
  } finally {
    await db.end();
  }
}

/** Publish-accepted → first attempt at the receiver, under open-loop load at `rate` events/s. */
async function latency(options: BenchOptions, receiver: ReceiverProcess, target: Target, rate: number): Promise<Row> {
  const herald = await startHerald(heraldEnv(options, target));
  const client = new HeraldClient(herald.url!);
  try {
    await client.setup('bench-latency', receiver.url, 1);
    // Warm-up at the same rate, not counted: a cold process opens its connections and compiles
    // its hot functions during the first seconds, and that would be measured instead of Herald.
    const warmUp = await client.publishOpenLoop('bench-latency', rate, 3, () => {});
    await waitFor(async () => (await receiver.ask<{ count: number }>({ cmd: 'stats' })).count >= warmUp, 120_000);
    await receiver.ask({ cmd: 'reset' });
    await receiver.ask({ cmd: 'record', on: true });
    const accepted = new Map<string, number>();
    const seconds = 15;
    const total = await client.publishOpenLoop('bench-latency', rate, seconds, (id, at) => accepted.set(id, at));
    await waitFor(async () => (await receiver.ask<{ count: number }>({ cmd: 'stats' })).count >= total, 120_000);
    const { arrivals } = await receiver.ask<{ arrivals: [string, number][] }>({ cmd: 'arrivals' });
    await receiver.ask({ cmd: 'record', on: false });
    const delays = arrivals.filter(([id]) => accepted.has(id)).map(([id, at]) => Math.max(0, at - accepted.get(id)!)).sort((a, b) => a - b);
    return { scenario: `${target.name}, latency at ${rate} events/s (open loop)`, p50Ms: percentile(delays, 0.5), p99Ms: percentile(delays, 0.99), note: `${delays.length} events` };
  } finally {
    await client.close();
    await herald.stop();
  }
}

export async function runBench(options: BenchOptions): Promise<Row[]> {
  const receiver = await startReceiver();
  const rows: Row[] = [];
  try {
    log(options, `measuring R (raw undici, concurrency ${options.concurrency}) …`);
    await measureRaw(`${receiver.url}/raw`, options.concurrency, 1000); // warm-up
    // R drifts with whatever else the machine does (on a shared VM, by half within minutes), so it
    // is measured again after every scenario, and each ratio is to the R measured around it.
    const measureR = async () => Math.round(await measureRaw(`${receiver.url}/raw`, options.concurrency, 5000));
    const rs = [await measureR()];
    const rRow: Row = { scenario: 'R: raw undici POST, signed 1 KB body', ratioToR: 1 };
    rows.push(rRow);
    let fresh: Row | undefined;
    for (const scenario of options.scenarios) {
      const [driver, kind] = scenario.split(':') as ['pg' | 'pglite', string];
      const target = driver === 'pg' ? await postgresTarget(options.postgresUrl) : pgliteTarget();
      let row: Row;
      try {
        log(options, `${target.name}, ${kind} …`);
        if (kind === 'backlog') {
          row = await backlogDrain(options, receiver, target);
          const baseline = rows.find((x) => x.scenario === `${target.name}, fan-out 10`);
          if (baseline) row.note = `${Math.round((row.deliveriesPerSecond! / baseline.deliveriesPerSecond!) * 100)} % of the fresh fan-out 10 rate`;
        } else if (kind === 'capped') {
          row = await cappedClaim(target, Math.max(1_000, Math.round(options.backlog / 10)), (message) => log(options, message));
        } else if (kind === 'latency') {
          const sustained = fresh?.deliveriesPerSecond ?? 500;
          row = await latency(options, receiver, target, Math.max(10, Math.round(sustained / 2)));
          row.note = `${row.note}; 50 % of the fan-out 1 rate (${sustained}/s)`;
        } else {
          row = await throughput(options, receiver, target, Number(kind));
          if (driver === 'pg' && kind === '1') fresh = row;
        }
        rows.push(row);
      } finally {
        await target.cleanup();
      }
      log(options, 'measuring R …');
      rs.push(await measureR());
      if (row.deliveriesPerSecond !== undefined) {
        row.rAround = Math.round((rs.at(-2)! + rs.at(-1)!) / 2);
        row.ratioToR = Number((row.deliveriesPerSecond / row.rAround).toFixed(2));
      }
    }
    const mean = Math.round(rs.reduce((sum, r) => sum + r, 0) / rs.length);
    Object.assign(rRow, {
      deliveriesPerSecond: mean,
      note: `mean of ${rs.length} measurements, ${Math.min(...rs)}–${Math.max(...rs)}; each ratio is to the R measured just before and after its scenario`,
    });
  } finally {
    receiver.stop();
  }
  return rows;
}

export function printTable(rows: Row[]): void {
  const header = ['scenario', 'deliveries/s', '× R', 'R around', 'p50 ms', 'p99 ms', 'max RSS MB', 'Herald CPU µs/delivery', 'PostgreSQL CPU µs/delivery', 'load generator CPU µs/delivery', 'note'];
  const lines = rows.map((r) =>
    [r.scenario, r.deliveriesPerSecond, r.ratioToR, r.rAround, r.p50Ms, r.p99Ms, r.maxRssMb, r.heraldCpuUs, r.postgresCpuUs, r.loadCpuUs, r.note].map((cell) => String(cell ?? '')));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write([format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n') + '\n');
}

export type { HeraldProcess };
