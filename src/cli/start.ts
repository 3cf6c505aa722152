// `herald start`. With HERALD_SPLIT_ROLES on PostgreSQL and both roles, the worker runs in a worker
// thread so that the API and the worker each get a core (Node runs JavaScript on one thread).
// Publishes hand deliveries to it across threads (threadHandoff.ts). The thread is restarted if it
// dies, and stopped with the process. With PGlite both roles share one thread, and the embedded
// database runs on a thread of its own (pgliteThreadDb.ts).
import { once } from 'node:events';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import { Room } from '../delivery/room.ts';
import { receiveOnWorkerThread, remoteTaker, type WorkerThreadMessage } from '../delivery/threadHandoff.ts';
import { startHerald } from '../herald.ts';
import { projectRoot } from '../projectRoot.ts';

const bin = path.join(projectRoot, 'bin/herald.mjs');

export async function start(config: Config): Promise<void> {
  if (!isMainThread) return startWorkerThread(config);
  const split = config.splitRoles && config.databaseUrl !== undefined && config.roles.includes('api') && config.roles.includes('worker');
  // The main thread migrates and creates the operator token first, so the worker finds both done.
  const herald = await startHerald(split ? { ...config, roles: ['api'] } : config);
  const log = herald.ctx.log;
  let worker: Worker | undefined;
  let stopping = false;
  const startWorker = () => {
    // A room for each thread: one that died took the slots reserved in its room with it.
    const room = Room.create({ concurrency: config.workerConcurrency, endpointConcurrency: config.endpointConcurrency, leaseMs: config.leaseMs });
    const thread = new Worker(bin, { argv: ['start'], env: { ...process.env, HERALD_ROLES: 'worker' }, workerData: { room: room.shared } });
    worker = thread;
    herald.ctx.publisher.handOffTo(remoteTaker(room, thread));
    thread.on('error', (error) => log.error({ err: error }, 'worker thread failed'));
    thread.once('exit', (code) => {
      herald.ctx.publisher.handOffTo(undefined);
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
    // The API first: publishes in flight finish and post their handoffs before the stop.
    await herald.stop().catch((error: unknown) => log.error({ err: error }, 'could not stop the api cleanly'));
    if (worker) {
      const exited = once(worker, 'exit');
      worker.postMessage({ stop: true } satisfies WorkerThreadMessage);
      await exited;
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** The worker role on its thread: handoffs and the stop come from the main thread (signals reach only it). */
async function startWorkerThread(config: Config): Promise<void> {
  const herald = await startHerald(config, new Room((workerData as { room: SharedArrayBuffer }).room));
  const worker = herald.worker!;
  parentPort!.on('message', (message: WorkerThreadMessage) => {
    if (receiveOnWorkerThread(worker, message)) return;
    herald.ctx.log.info("stopping on the main thread's request");
    void herald.stop().then(() => process.exit(0)); // ends only this thread
  });
}
