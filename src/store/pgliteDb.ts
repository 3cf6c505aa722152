import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { setLocal, type Db, type Queryable } from './db.ts';
import { openPgliteThread } from './pgliteThreadDb.ts';

type PgliteLike = Pick<PGlite, 'query' | 'exec'>;

function queryable(pg: PgliteLike): Queryable {
  return {
    async query(sql, params) {
      return (await pg.query(sql, params as unknown[] | undefined)).rows as never[];
    },
    async exec(sql) {
      await pg.exec(sql);
    },
  };
}

/**
 * Wraps a PGlite instance open on this thread: the tests' databases, cloned from a template. Herald
 * itself opens PGlite on a thread of its own (openPglite). PGlite is one connection: it runs one
 * statement or transaction at a time.
 */
export function pgliteDb(pg: PGlite): Db {
  return {
    driver: 'pglite',
    ...queryable(pg),
    transaction: (work) => pg.transaction((tx) => work(queryable(tx))),
    withSettings(settings) {
      const set = setLocal(settings);
      const tuned = <T>(work: (tx: Queryable) => Promise<T>) =>
        pg.transaction(async (tx) => {
          await tx.exec(set);
          return work(queryable(tx));
        });
      return {
        query: (sql, params) => tuned((tx) => tx.query(sql, params)),
        exec: (sql) => tuned((tx) => tx.exec(sql)),
      };
    },
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => pg.close(),
  };
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
 * PostgreSQL's shared buffers live in PGlite's WASM memory, which only grows: the default 128 MB
 * of buffers (plus 64 MB for VACUUM) end up resident for good once a busy queue has touched them.
 * The data files are on disk, so pages outside the buffers are still in the OS page cache.
 */
const memorySettings = 'shared_buffers = 32MB\nmaintenance_work_mem = 16MB';

/**
 * Opens (creating if needed) the embedded database stored in `dataDir`; in memory when undefined.
 * It runs on a thread of its own (pgliteThreadDb.ts).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  if (dataDir && !existsSync(path.join(dataDir, 'PG_VERSION'))) await createInChild(dataDir);
  return openPgliteThread(dataDir, memorySettings);
}
