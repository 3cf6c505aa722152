import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/store/migrate.ts';
import { pgliteDb } from '../../src/store/pgliteDb.ts';
import { openPostgres } from '../../src/store/postgresDb.ts';
import { databaseUrl, migrationsHash, postgresTemplateName, postgresUrl } from './templates.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/** The PGlite version: a template made by another version may not load. */
function pgliteVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(process.cwd(), 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return `unknown-${process.pid}`; // cannot tell: do not share the file
  }
}

/**
 * A migrated PGlite data dir, dumped to a file each test file loads. Creating a PGlite database
 * takes seconds (initdb), so the file is kept in the temp dir and reused by later runs with the
 * same migrations and PGlite version; it is written under another name and renamed when complete.
 */
async function makePgliteTemplate(): Promise<string> {
  const file = path.join(tmpdir(), `herald-pglite-template-${migrationsHash}-${pgliteVersion()}.tar`);
  if (existsSync(file)) return file;
  const instance = await PGlite.create();
  await migrate(pgliteDb(instance));
  const dump = await instance.dumpDataDir('none');
  await instance.close();
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
  return file;
}

/**
 * A migrated template database, reused by later runs with the same migrations: it only ever gets
 * its name once complete (built under another name, then renamed), and it is never dropped here,
 * since another test run may be cloning it.
 */
async function makePostgresTemplate(base: string): Promise<void> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [postgresTemplateName]);
    if (found.rowCount) return;
    const building = `herald_building_${migrationsHash}_${process.pid}`;
    await admin.query(`drop database if exists ${building}`);
    await admin.query(`create database ${building}`);
    const db = openPostgres(databaseUrl(base, building), 1);
    await migrate(db);
    await db.close();
    try {
      await admin.query(`alter database ${building} rename to ${postgresTemplateName}`);
    } catch {
      await admin.query(`drop database if exists ${building}`); // another run finished first
    }
  } finally {
    await admin.end();
  }
}

export default async function setup(project: TestProject) {
  if (!postgresUrl && process.env.CI) throw new Error('HERALD_TEST_DATABASE_URL must be set in CI: the PostgreSQL tests may not be skipped there');
  if (!postgresUrl) console.warn('\n  HERALD_TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped; the PGlite tests run.\n');
  const [pgliteTemplate] = await Promise.all([makePgliteTemplate(), postgresUrl ? makePostgresTemplate(postgresUrl) : undefined]);
  project.provide('pgliteTemplate', pgliteTemplate);
}
