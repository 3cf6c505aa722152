// Entry point of `npm run bench` and `herald bench`.
import { Command } from 'commander';
import { printTable, runBench } from './main.ts';

export async function benchMain(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('measure Herald against R, raw undici throughput to the same local receiver')
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--postgres <url>', 'PostgreSQL server to create the benchmark database on', process.env.HERALD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--deliveries <n>', 'deliveries per throughput scenario', '60000')
    .option('--backlog <n>', 'queued deliveries for the backlog scenario', '1000000')
    .option('--concurrency <n>', 'requests in flight (R and Herald alike)', '128')
    .option('--scenarios <list>', 'comma-separated: pg:10, pg:1, pglite:10, pglite:1, pg:backlog, pg:latency', 'pg:10,pg:1,pglite:10,pglite:1,pg:backlog,pg:latency')
    .parse(argv, { from: 'user' });
  const o = program.opts<{ json: boolean; postgres: string; deliveries: string; backlog: string; concurrency: string; scenarios: string }>();
  const rows = await runBench({
    json: o.json,
    postgresUrl: o.postgres,
    deliveries: Number(o.deliveries),
    backlog: Number(o.backlog),
    concurrency: Number(o.concurrency),
    scenarios: o.scenarios.split(',').map((s) => s.trim()),
  });
  if (o.json) process.stdout.write(`${JSON.stringify({ rows })}\n`);
  else printTable(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchMain(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
}
