import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './db.ts';
import { openPostgres } from './postgresDb.ts';

export interface DbSettings {
  databaseUrl?: string | undefined;
  dataDir: string;
  dbPoolSize: number;
}

/** PostgreSQL when a URL is configured, otherwise the embedded database under the data dir. */
export async function openDb(settings: DbSettings): Promise<Db> {
  if (settings.databaseUrl) return openPostgres(settings.databaseUrl, settings.dbPoolSize);
  const dir = path.resolve(settings.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const { openPglite } = await import('./pgliteDb.ts'); // PGlite is loaded only when used
  return openPglite(dir);
}
