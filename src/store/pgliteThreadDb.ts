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
  const thread = new Worker(program, { workerData: { dataDir, postgresqlconf } });
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

  function post(message: { request: Uint8Array<ArrayBuffer> } | { close: true }): Promise<Uint8Array> {
    if (gone) return Promise.reject(gone);
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      // A request has an ArrayBuffer of its own (WireTransport): handed over, not copied.
      if ('request' in message) thread.postMessage({ id, request: message.request }, [message.request.buffer]);
      else thread.postMessage({ ...message, id });
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
