// Migrated template databases, made once per test run (globalSetup) and cloned per test file, as
// graphile-worker does: cloning is much faster than migrating every time.
import { createHash } from 'node:crypto';
import { listMigrations } from '../../src/store/migrate.ts';

export const postgresUrl = process.env.HERALD_TEST_DATABASE_URL;

/** Changes whenever a migration does, so a stale template is never reused. */
export const migrationsHash = createHash('sha256')
  .update(listMigrations().map((m) => m.name + m.sql).join('\n'))
  .digest('hex')
  .slice(0, 12);

/** Named differently from the templates of earlier harness versions, which were built in place. */
export const postgresTemplateName = `herald_tpl_${migrationsHash}`;

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
