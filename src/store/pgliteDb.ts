import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.ts';
import { exchange } from './pgliteExchange.mjs';
import { openPgliteThread } from './pgliteThreadDb.ts';
import { wireDb } from './wireDb.ts';

/**
 * Wraps a PGlite instance open on this thread: the tests' databases, cloned from a template. Herald
 * itself opens PGlite on a thread of its own (openPglite). Both speak to it in the wire protocol
 * (wireDb.ts).
 */
export function pgliteDb(pg: PGlite): Db {
  return wireDb({
    exchange: (request) => exchange(pg, request),
    close: () => pg.close(),
  });
}

/**
 * Creating a database runs initdb inside PGlite's WASM memory, which grows to about 660 MB and
 * never shrinks while the process lives (a worker thread gives the WASM memory back, but the
 * process keeps ~300 MB of it resident). So a new data directory is created by a short-lived
 * child process; opening an existing directory costs 125–250 MB (measured on PGlite 0.5).
 */
async function createInChild(dataDir: string): Promise<void> {
  const code = `const { PGlite } = await import(process.argv[1]); await (await PGlite.create(process.argv[2])).close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, import.meta.resolve('@electric-sql/pglite'), dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  if (exitCode !== 0) throw new Error(`could not create the database in ${dataDir}: ${stderr.trim() || `exit code ${exitCode}`}`);
}

/**
 * What PostgreSQL allocates lives in PGlite's WASM memory, which only grows: whatever a moment
 * needs stays resident for good.
 * - Shared buffers: the default 128 MB end up resident once a busy queue has touched them. The
 *   data files are on disk, so pages outside the buffers are still in the OS page cache: 16 MB
 *   instead of 32 cost no CPU time per delivery in `npm run bench` and saved 15–25 MB at the peak.
 * - ANALYZE (run by the worker's upkeep, PGlite having no autovacuum) holds a sample of 300 rows
 *   per unit of statistics target, with their payloads: at the default 100, 30,000 events grew
 *   the memory from 48 to 112 MB over 40,000 deliveries; at 10 it stays at 55 MB. The hot
 *   statements do not depend on statistics (store/claim.ts, store/deliveries.ts).
 * - VACUUM sizes its list of dead rows by maintenance_work_mem, up to the table's size.
 */
const memorySettings = ['shared_buffers = 16MB', 'maintenance_work_mem = 4MB', 'default_statistics_target = 10'].join('\n');

/**
 * Opens (creating if needed) the embedded database stored in `dataDir`; in memory when undefined.
 * It runs on a thread of its own (pgliteThreadDb.ts).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir && !existsSync(path.join(dataDir, 'PG_VERSION'))) await createInChild(dataDir);
  return openPgliteThread(dataDir, memorySettings);
}
