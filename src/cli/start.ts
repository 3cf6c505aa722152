// `herald start`. With HERALD_SPLIT_ROLES on PostgreSQL and both roles, the worker runs in a worker
// thread so that the API and the worker each get a core (Node runs JavaScript on one thread).
// Publishes hand deliveries to it across threads (threadHandoff.ts). The thread runs before the API
// listens, is restarted if it dies, and is stopped with the process. With PGlite both roles share
// one thread, and the embedded database runs on a thread of its own (pgliteThreadDb.ts).
import { once } from 'node:events';
import path from 'node:path';
import v8 from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import { Room } from '../delivery/room.ts';
import { receiveOnWorkerThread, remoteTaker, type WorkerThreadMessage } from '../delivery/threadHandoff.ts';
import { startHerald } from '../herald.ts';
import { projectRoot } from '../projectRoot.ts';
import type { Context } from '../services/context.ts';

const bin = path.join(projectRoot, 'bin/herald.mjs');

export async function start(config: Config): Promise<void> {
  if (!isMainThread) return startWorkerThread(config);
  tuneV8();
  const split = config.splitRoles && config.databaseUrl !== undefined && config.roles.includes('api') && config.roles.includes('worker');
  let workerThread: WorkerThread | undefined;
  // The main thread migrates and creates the operator token first, so the worker finds both done.
  // The API listens once the worker's thread runs: had publishes come first, their deliveries would
  // have waited in the queue, and fresh ones cannot overtake a queue (worker.ts).
  const herald = await startHerald(split ? { ...config, roles: ['api'] } : config, {
    beforeListen: split ? async (ctx) => void (workerThread = await superviseWorkerThread(ctx)) : undefined,
  });
  const log = herald.ctx.log;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    // The API first: publishes in flight finish and post their handoffs before the stop.
    await herald.stop().catch((error: unknown) => log.error({ err: error }, 'could not stop the api cleanly'));
    await workerThread?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/**
 * V8 settings for a long-running server, process-wide (the database and worker threads follow
 * them); an operator's own `node --…` for either is left alone.
 * - V8 lets a heap grow fourfold between full collections on a machine of 16 GB or more, though
 *   Herald's live heap is some 35 MB: the main thread's reached 174 MB before its first
 *   mark-compact. Half again as large keeps PGlite's peak 70–120 MB lower for the same CPU time per
 *   delivery (README, Performance).
 * - No allocation-site pretenuring. When a burst keeps a hot path's objects alive across two young
 *   collections, V8 may decide to allocate every later object of that site in the old generation,
 *   where they die just as young and cost a full collection every 330 ms. It did so in 3 of 10 runs
 *   of a publishing lab (api role, PostgreSQL, 64 publishes in flight): 102–106 against 73–78 µs
 *   of CPU per publish, 17–18 against 3–4 mark-compacts. Without it, 16 runs of 16 were fast.
 */
function tuneV8(): void {
  const given = (flag: string) => process.execArgv.some((arg) => arg.replaceAll('_', '-').replace(/^--no-/, '--').startsWith(flag));
  if (!given('--heap-growing-percent')) v8.setFlagsFromString('--heap-growing-percent=50');
  if (!given('--allocation-site-pretenuring')) v8.setFlagsFromString('--no-allocation-site-pretenuring');
}

interface WorkerThread {
  stop(): Promise<void>;
}

/** Runs the worker role on a thread fed by this thread's publishes; resolves once it runs. */
async function superviseWorkerThread(ctx: Context): Promise<WorkerThread> {
  const { config, log } = ctx;
  let thread: Worker;
  let stopping = false;
  const run = () => {
    // A room for each thread: one that died took the slots reserved in its room with it.
    const room = Room.create({ concurrency: config.workerConcurrency, endpointConcurrency: config.endpointConcurrency, leaseMs: config.leaseMs });
    thread = new Worker(bin, { argv: ['start'], env: { ...process.env, HERALD_ROLES: 'worker' }, workerData: { room: room.shared } });
    thread.on('error', (error) => log.error({ err: error }, 'worker thread failed'));
    const exited = once(thread, 'exit').then(() => Promise.reject(new Error('the worker thread ended before it ran')));
    const running = Promise.race([once(thread, 'message'), exited]).then(() => ctx.publisher.handOffTo(remoteTaker(room, thread)));
    thread.once('exit', (code) => {
      ctx.publisher.handOffTo(undefined);
      if (stopping) return;
      log.error({ code }, 'worker thread ended; restarting it');
      // Its failure to start is logged by the 'error' listener.
      setTimeout(() => void run().catch(() => {}), 1_000).unref();
    });
    return running;
  };
  await run();
  return {
    async stop() {
      stopping = true;
      const exited = once(thread, 'exit');
      thread.postMessage({ stop: true } satisfies WorkerThreadMessage);
      await exited;
    },
  };
}

/** The worker role on its thread: handoffs and the stop come from the main thread (signals reach only it). */
async function startWorkerThread(config: Config): Promise<void> {
  const herald = await startHerald(config, { room: new Room((workerData as { room: SharedArrayBuffer }).room) });
  const worker = herald.worker!;
  parentPort!.on('message', (message: WorkerThreadMessage) => {
    if (receiveOnWorkerThread(worker, message)) return;
    herald.ctx.log.info("stopping on the main thread's request");
    void herald.stop().then(() => process.exit(0)); // ends only this thread
  });
  parentPort!.postMessage('running');
}
