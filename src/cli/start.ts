// `herald start`. With HERALD_SPLIT_ROLES on PostgreSQL and both roles, the worker runs in a worker
// thread so that the API and the worker each get a core (Node runs JavaScript on one thread). The
// thread is restarted if it dies, and stopped with the process. With PGlite both roles share one
// thread, and the embedded database runs on a thread of its own (pgliteThreadDb.ts).
import path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import { startHerald } from '../herald.ts';
import { projectRoot } from '../projectRoot.ts';

const bin = path.join(projectRoot, 'bin/herald.mjs');

export async function start(config: Config): Promise<void> {
  const split = config.splitRoles && config.databaseUrl !== undefined && config.roles.includes('api') && config.roles.includes('worker');
  // The main thread migrates and creates the operator token first, so the worker finds both done.
  const herald = await startHerald(split ? { ...config, roles: ['api'] } : config);
  const log = herald.ctx.log;
  let worker: Worker | undefined;
  let stopping = false;
  const startWorker = () => {
    worker = new Worker(bin, { argv: ['start'], env: { ...process.env, HERALD_ROLES: 'worker' } });
    worker.on('error', (error) => log.error({ err: error }, 'worker thread failed'));
    worker.once('exit', (code) => {
      if (stopping) return;
      log.error({ code }, 'worker thread ended; restarting it');
      setTimeout(startWorker, 1_000).unref();
    });
  };
  if (split) startWorker();

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const workerDone = worker ? new Promise((resolve) => worker!.once('exit', resolve)) : undefined;
    worker?.postMessage('stop');
    await Promise.all([herald.stop(), workerDone]);
    process.exit(0); // in a worker thread, ends only the thread
  };
  if (isMainThread) {
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  } else {
    // Signals reach only the main thread, which passes them on.
    parentPort!.once('message', () => void stop('stop from the main thread'));
  }
}
