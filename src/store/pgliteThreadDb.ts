// The embedded database on a thread of its own (pgliteThread.mjs), behind the same Db seam. PGlite
// executes SQL in WASM on the thread that opened it; in Herald's thread that was more than half of
// the thread's time under load (claims and attempt records), which left the machine's second
// core to the other processes. Requests and replies cross in the wire protocol (wireDb.ts): the
// database thread only runs them.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../projectRoot.ts';
import type { Db } from './db.ts';
import { wireDb, type WireTransport } from './wireDb.ts';

const program = path.join(projectRoot, 'src/store/pgliteThread.mjs');

interface Answer {
  id?: number;
  reply?: Uint8Array;
  error?: string;
  ready?: true;
}

/** Starts the thread and opens `dataDir` there (in memory when undefined). */
export async function openPgliteThread(dataDir: string | undefined, postgresqlconf: string): Promise<Db> {
  // The thread's JavaScript only passes bytes along: a young generation of 16 MB (V8's default
  // here is 48) is plenty, and its heap stays small.
  const thread = new Worker(program, { workerData: { dataDir, postgresqlconf }, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
  const waiting = new Map<number, { resolve(reply: Uint8Array): void; reject(error: Error): void }>();
  let nextId = 0;
  let gone: Error | undefined;

  const failAll = (error: Error) => {
    gone ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  await new Promise<void>((resolve, reject) => {
    thread.on('message', (answer: Answer) => {
      if (answer.ready) return resolve();
      const w = waiting.get(answer.id!);
      waiting.delete(answer.id!);
      if (answer.error !== undefined) w?.reject(new Error(`the database thread failed: ${answer.error}`));
      else w?.resolve(answer.reply ?? new Uint8Array(0));
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

  function post(message: { request: Uint8Array } | { close: true }): Promise<Uint8Array> {
    if (gone) return Promise.reject(gone);
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      // A request of its own bytes is handed over, not copied (a Buffer may be a view of a shared pool).
      if ('request' in message) {
        const request = new Uint8Array(message.request);
        thread.postMessage({ id, request }, [request.buffer]);
      } else thread.postMessage({ ...message, id });
    });
  }

  const transport: WireTransport = {
    exchange: (request) => post({ request }),
    async close() {
      if (gone) return;
      await post({ close: true }).catch(() => {});
      gone = new Error('the database is closed');
      await thread.terminate();
    },
  };
  return wireDb(transport);
}
