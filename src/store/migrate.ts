// Forward-only migrations: numbered .sql files in ./migrations, applied in order, each once.
// All pending files run in one transaction under an advisory lock, so two processes starting at
// once do not race: the second waits, then finds nothing left to do.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../projectRoot.ts';
import type { Db } from './db.ts';

const migrationsDir = path.join(projectRoot, 'src/store/migrations');
const lockKey = 0x6865_7261; // "hera"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 4)), name: file, sql: readFileSync(path.join(migrationsDir, file), 'utf8') }));
}

/** Applies pending migrations; returns the names of those it applied. */
export async function migrate(db: Db): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [lockKey]);
    await tx.exec(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const rows = await tx.query<{ version: number }>('select version from schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: string[] = [];
    for (const m of listMigrations()) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      done.push(m.name);
    }
    return done;
  });
}

/** Whether every migration this code knows has been applied (for /ready). */
export async function isMigrated(db: Db): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    `select count(*)::int as n from schema_migrations where version = any($1::int[])`,
    [listMigrations().map((m) => m.version)],
  ).catch(() => [{ n: -1 }]);
  return rows[0]?.n === listMigrations().length;
}
