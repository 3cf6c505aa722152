// The embedded database on a thread of its own (pgliteThread.mjs), behind the same Db seam. PGlite
// executes SQL in WASM on the thread that opened it; in Herald's thread that was more than half of
// the thread's time under load (claims and attempt records), which left the machine's second
// core to the other processes. Each statement now costs a message each way instead.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../projectRoot.ts';
import { setLocal, type Db, type Queryable } from './db.ts';

const program = path.join(projectRoot, 'src/store/pgliteThread.mjs');

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message: string } & Record<string, unknown>;
  channel?: string;
  payload?: string;
  ready?: true;
}

/** Starts the thread and opens `dataDir` there (in memory when undefined). */
export async function openPgliteThread(dataDir: string | undefined, postgresqlconf: string): Promise<Db> {
  const thread = new Worker(program, { workerData: { dataDir, postgresqlconf } });
  const waiting = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 0;
  let gone: Error | undefined;

  const failAll = (error: Error) => {
    gone ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    thread.on('message', (reply: Reply) => {
      if (reply.ready) return resolve();
      if (reply.channel !== undefined) return listeners.get(reply.channel)?.forEach((listener) => listener(reply.payload ?? ''));
      const w = waiting.get(reply.id!);
      waiting.delete(reply.id!);
      // The SQLSTATE code, constraint, … stay on the error, as the other driver reports them.
      if (reply.error) w?.reject(Object.assign(new Error(reply.error.message), reply.error));
      else w?.resolve(reply.result);
    });
    thread.once('error', (error) => {
      reject(error);
      failAll(error);
    });
    thread.once('exit', (code) => {
      const error = new Error(`the database thread ended (exit code ${code})`);
      reject(error);
      failAll(error);
    });
  });
  await ready;

  function call<T>(message: Record<string, unknown>): Promise<T> {
    if (gone) return Promise.reject(gone);
    const id = ++nextId;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (result: unknown) => void, reject });
      thread.postMessage({ ...message, id });
    });
  }
  const on = (tx?: number): Queryable => ({
    query: (sql, params) => call({ op: 'query', tx, sql, params }),
    exec: (sql) => call({ op: 'exec', tx, sql }),
  });

  return {
    driver: 'pglite',
    ...on(),
    async transaction(work) {
      const tx = await call<number>({ op: 'begin' });
      let result;
      try {
        result = await work(on(tx));
      } catch (error) {
        await call({ op: 'end', tx, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: 'end', tx, commit: true });
      return result;
    },
    withSettings(settings) {
      const set = setLocal(settings);
      return {
        query: (sql, params) => call({ op: 'tuned', set, sql, params }),
        exec: (sql) => call({ op: 'tuned', set, sql, exec: true }),
      };
    },
    async listen(channel, onNotify) {
      let set = listeners.get(channel);
      if (!set) {
        listeners.set(channel, (set = new Set()));
        await call({ op: 'listen', channel });
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
        if (set.size === 0 && listeners.get(channel) === set) {
          listeners.delete(channel);
          await call({ op: 'unlisten', channel });
        }
      };
    },
    async close() {
      if (gone) return;
      await call({ op: 'close' }).catch(() => {});
      gone = new Error('the database is closed');
      await thread.terminate();
    },
  };
}
