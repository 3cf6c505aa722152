// The `herald` command.
import { Command } from 'commander';
import { ConfigError, describeConfig, loadConfig } from '../config/load.ts';
import { openContext } from '../herald.ts';
import { start } from './start.ts';
import { resetAdminToken } from '../services/auth.ts';
import { migrate } from '../store/migrate.ts';
import { openDb } from '../store/openDb.ts';

function config() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('herald')
    .description('Herald: a self-hostable, multi-tenant webhook sending service')
    .addHelpText('after', `\nSettings come from environment variables; \`herald config\` lists them.`);

  program
    .command('start')
    .description('run the API and/or the delivery worker (HERALD_ROLES), migrating the database first')
    .action(() => start(config()));

  program
    .command('bench')
    .description('measure throughput and latency against R, raw undici throughput (same as npm run bench; --help for options)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[options...]')
    .action(async (options: string[]) => {
      const { benchMain } = await import('../../bench/run.ts');
      await benchMain(options);
      process.exit(0);
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const db = await openDb(config());
      try {
        const applied = await migrate(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      } finally {
        await db.close();
      }
    });

  program
    .command('config')
    .description('list every setting: its variable, current value (secrets masked) and meaning')
    .action(() => {
      for (const s of describeConfig(config())) process.stdout.write(`${s.env}=${s.value}\n    ${s.description}\n`);
    });

  program
    .command('admin-token')
    .description('replace the generated operator token and print the new one (not needed when HERALD_ADMIN_TOKEN is set)')
    .option('--reset', 'generate a new token; the old one stops working')
    .action(async (options: { reset?: boolean }) => {
      const cfg = config();
      if (cfg.adminToken) return void process.stdout.write('HERALD_ADMIN_TOKEN is set: that is the operator token.\n');
      if (!options.reset) return void process.stdout.write('The token is stored hashed and cannot be shown; use --reset for a new one.\n');
      const ctx = await openContext(cfg);
      try {
        process.stdout.write(`Operator token (shown once): ${await resetAdminToken(ctx)}\n`);
      } finally {
        await ctx.db.close();
      }
    });

  await program.parseAsync(argv);
}
