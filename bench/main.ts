// `npm run bench` / `herald bench`: measures R (raw undici throughput to a local receiver) and
// Herald end to end on PostgreSQL and PGlite, and prints a table (or JSON with --json).
// Everything runs on loopback, is bounded in count and time, and is cleaned up afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { adminToken, HeraldClient } from './client.ts';
import { startHerald, startReceiver, treeRssMb, type HeraldProcess, type ReceiverProcess } from './processes.ts';
import { measureRaw } from './raw.ts';

export interface BenchOptions {
  json: boolean;
  postgresUrl: string;
  deliveries: number;
  backlog: number;
  concurrency: number;
  scenarios: string[];
}

interface Row {
  scenario: string;
  deliveriesPerSecond?: number;
  ratioToR?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxRssMb?: number;
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

/** Samples the resident memory of Herald's processes until stopped; returns the maximum. */
function memorySampler(pids: () => number[]) {
  let max = 0;
  const timer = setInterval(() => {
    max = Math.max(max, pids().reduce((sum, pid) => sum + treeRssMb(pid), 0));
  }, 250);
  return () => {
    clearInterval(timer);
    return Math.round(max);
  };
}

interface Target {
  name: string;
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
  return { name: 'PGlite', env: { HERALD_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
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

/** Publishes events through the API and times until every delivery is recorded as succeeded. */
async function throughput(options: BenchOptions, receiver: ReceiverProcess, target: Target, fanOut: number): Promise<Row> {
  const herald = await startHerald(heraldEnv(options, target));
  const client = new HeraldClient(herald.url!);
  const stopSampling = memorySampler(() => [herald.child.pid!]);
  try {
    const tenant = `bench-${fanOut}`;
    await client.setup(tenant, receiver.url, fanOut);
    await receiver.ask({ cmd: 'reset' });
    const events = Math.ceil(options.deliveries / fanOut);
    const total = events * fanOut;
    const started = performance.now();
    const progress = setInterval(async () => {
      const { count } = await receiver.ask<{ count: number }>({ cmd: 'stats' });
      log(options, `  … ${count}/${total} delivered`);
    }, 2000);
    await client.publishClosedLoop(tenant, events, 64);
    await waitFor(async () => (await receiver.ask<{ count: number }>({ cmd: 'stats' })).count >= total, 300_000);
    await waitFor(async () => !(await client.anyPending(tenant)), 60_000, 20);
    clearInterval(progress);
    const seconds = (performance.now() - started) / 1000;
    return { scenario: `${target.name}, fan-out ${fanOut}`, deliveriesPerSecond: Math.round(total / seconds), maxRssMb: stopSampling() };
  } finally {
    stopSampling();
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
    const r = Math.round(await measureRaw(`${receiver.url}/raw`, options.concurrency, 5000));
    rows.push({ scenario: 'R: raw undici POST, signed 1 KB body', deliveriesPerSecond: r, ratioToR: 1 });
    for (const scenario of options.scenarios) {
      const [driver, fan] = scenario.split(':') as ['pg' | 'pglite', string];
      const target = driver === 'pg' ? await postgresTarget(options.postgresUrl) : pgliteTarget();
      try {
        log(options, `${target.name}, fan-out ${fan} …`);
        const row = await throughput(options, receiver, target, Number(fan));
        rows.push({ ...row, ratioToR: Number((row.deliveriesPerSecond! / r).toFixed(2)) });
      } finally {
        await target.cleanup();
      }
    }
  } finally {
    receiver.stop();
  }
  return rows;
}

export function printTable(rows: Row[]): void {
  const header = ['scenario', 'deliveries/s', '× R', 'p50 ms', 'p99 ms', 'max RSS MB', 'note'];
  const lines = rows.map((r) => [r.scenario, r.deliveriesPerSecond ?? '', r.ratioToR ?? '', r.p50Ms ?? '', r.p99Ms ?? '', r.maxRssMb ?? '', r.note ?? ''].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write([format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n') + '\n');
}

export type { HeraldProcess };
