// Fresh databases for tests, on both drivers. Each call clones the migrated template, so tests
// never share state and never wait for migrations.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { pgliteDb } from '../../src/store/pgliteDb.ts';
import { openPostgres } from '../../src/store/postgresDb.ts';
import { databaseUrl, postgresTemplateName, postgresUrl } from './templates.ts';

export type Driver = 'pglite' | 'postgres';
export const drivers: Driver[] = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDb {
  db: Db;
  /** For PostgreSQL: the URL of this database, so a child process can open it too. */
  url?: string;
  drop(): Promise<void>;
}

let pgliteTemplate: Blob | undefined;

export async function freshDb(driver: Driver): Promise<TestDb> {
  if (driver === 'pglite') {
    pgliteTemplate ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
    const db = pgliteDb(await PGlite.create({ loadDataDir: pgliteTemplate }));
    return { db, drop: () => db.close() };
  }
  const name = `herald_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name} template ${postgresTemplateName}`);
  const url = databaseUrl(postgresUrl!, name);
  const db = openPostgres(url, 5);
  return {
    db,
    url,
    async drop() {
      await db.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs `suite` once per driver, each with its own fresh database (see `db()`). */
export function describeEachDriver(name: string, suite: (db: () => Db, driver: Driver) => void): void {
  for (const driver of drivers) {
    describe(`${name} [${driver}]`, () => {
      let testDb: TestDb | undefined;
      beforeAll(async () => {
        testDb = await freshDb(driver);
      });
      afterAll(async () => {
        await testDb?.drop();
      });
      suite(() => testDb!.db, driver);
    });
  }
}
