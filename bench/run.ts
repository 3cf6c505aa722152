// Entry point of `npm run bench` and `herald bench`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { printTable, runBench } from './main.ts';

const scenarios = ['pg:10', 'pg:1', 'pglite:10', 'pglite:1', 'pg:backlog', 'pg:latency', 'pg:capped', 'pglite:capped'];

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0.');
  return n;
}

function naturalNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more.');
  return n;
}

function scenarioList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = list.filter((s) => !scenarios.includes(s));
  if (list.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`${unknown.length > 0 ? `unknown: ${unknown.join(', ')}; ` : ''}choose from ${scenarios.join(', ')}.`);
  }
  return list;
}

export async function benchMain(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('measure Herald against R, raw undici throughput to the same local receiver')
    .option('--json', 'print one JSON object instead of a table', false)
    .option('--postgres <url>', 'PostgreSQL server to create the benchmark database on', process.env.HERALD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--deliveries <n>', 'deliveries per throughput scenario', positiveInteger, 60_000)
    .option('--warm-up <n>', 'deliveries sent before each throughput scenario is timed (0: timed cold)', naturalNumber, 10_000)
    .option('--backlog <n>', 'queued deliveries for the backlog scenario (a tenth of them, 1,000 at least, for the capped ones)', positiveInteger, 1_000_000)
    .option('--concurrency <n>', 'requests in flight (R and Herald alike)', positiveInteger, 128)
    .addOption(new Option('--scenarios <list>', 'comma-separated, any of them').argParser(scenarioList).default(scenarios, scenarios.join(',')))
    .parse(argv, { from: 'user' });
  const o = program.opts<{ json: boolean; postgres: string; deliveries: number; warmUp: number; backlog: number; concurrency: number; scenarios: string[] }>();
  const rows = await runBench({ json: o.json, postgresUrl: o.postgres, deliveries: o.deliveries, warmUp: o.warmUp, backlog: o.backlog, concurrency: o.concurrency, scenarios: o.scenarios });
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
