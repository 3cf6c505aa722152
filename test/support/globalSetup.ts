import { writeFileSync } from 'node:fs';
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

/** A migrated PGlite data dir, dumped to a file each test file loads. */
async function makePgliteTemplate(): Promise<string> {
  const instance = await PGlite.create();
  await migrate(pgliteDb(instance));
  const dump = await instance.dumpDataDir('none');
  await instance.close();
  const file = path.join(tmpdir(), `herald-pglite-template-${migrationsHash}-${process.pid}.tar`);
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  return file;
}

async function makePostgresTemplate(base: string): Promise<void> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${postgresTemplateName} with (force)`);
    await admin.query(`create database ${postgresTemplateName}`);
  } finally {
    await admin.end();
  }
  const db = openPostgres(databaseUrl(base, postgresTemplateName), 1);
  await migrate(db);
  await db.close();
}

export default async function setup(project: TestProject) {
  if (postgresUrl) await makePostgresTemplate(postgresUrl);
  else if (process.env.CI) throw new Error('HERALD_TEST_DATABASE_URL must be set in CI: the PostgreSQL tests may not be skipped there');
  else console.warn('\n  HERALD_TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped; the PGlite tests run.\n');
  project.provide('pgliteTemplate', await makePgliteTemplate());
}
