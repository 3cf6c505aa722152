// The composition root: opens the database, applies migrations, builds the context and starts the
// roles this process runs (HERALD_ROLES).
import { threadId } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { describeConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createSender } from './delivery/httpSender.ts';
import type { Room } from './delivery/room.ts';
import { DeliveryWorker, type WorkerOptions } from './delivery/worker.ts';
import { Background } from './jobs/background.ts';
import { dispatchDeps } from './services/dispatchDeps.ts';
import { operationalHooks } from './services/operationalEvents.ts';
import { NetworkPolicy } from './domain/networkPolicy.ts';
import { TtlCache } from './domain/ttlCache.ts';
import type { Actor, Tenant } from './domain/types.ts';
import { createLogger } from './logger.ts';
import { ensureAdminToken } from './services/auth.ts';
import type { Context } from './services/context.ts';
import { loadOrCreateKey, verifiedSecretBox } from './services/encryptionKey.ts';
import type { Db } from './store/db.ts';
import { createDeliverySignal } from './store/deliverySignal.ts';
import { EventTypeCatalog } from './services/catalog.ts';
import { GroupCommit } from './services/groupCommit.ts';
import { migrate } from './store/migrate.ts';
import { openDb } from './store/openDb.ts';

/** Opens the configured database (or uses `db`), migrates it and builds the services' context. */
export async function openContext(config: Config, log: Logger = createLogger(config.logLevel), existing?: Db): Promise<Context> {
  const db = existing ?? (await openDb(config));
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ applied }, 'applied database migrations');
    const box = await verifiedSecretBox(db, loadOrCreateKey(config.encryptionKey, config.dataDir));
    const signal = await createDeliverySignal(db);
    const network = new NetworkPolicy(config.allowedCidrs);
    const sender = createSender({
      timeoutMs: config.deliveryTimeoutMs,
      maxResponseBytes: config.responseBodyLimit,
      network,
      caFile: config.caFile,
      userAgent: config.userAgent,
    });
    const caches = { actors: new TtlCache<Actor>(5_000), tenants: new TtlCache<Tenant>(5_000) };
    return { db, config, box, network, log, signal, catalog: new EventTypeCatalog(db), sender, caches, publisher: new GroupCommit(db, signal) };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

export interface RunningHerald {
  ctx: Context;
  app?: FastifyInstance;
  worker?: DeliveryWorker;
  /** The address the API listens on, when this process runs the api role. */
  url?: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The worker's room, when publishes on another thread hand deliveries to it (cli/start.ts). */
  room?: Room;
  /** Runs once the context is ready and before the API listens (cli/start.ts starts the worker's thread). */
  beforeListen?(ctx: Context): Promise<void>;
}

export async function startHerald(config: Config, options: StartOptions = {}): Promise<RunningHerald> {
  const ctx = await openContext(config);
  const { log } = ctx;
  log.info({ settings: Object.fromEntries(describeConfig(config).map((s) => [s.env, s.value])) }, 'starting herald');
  const adminToken = await ensureAdminToken(ctx);
  if (adminToken) {
    // Printed once, on the first start, and never stored in clear.
    process.stdout.write(`\nOperator token (shown once; keep it safe): ${adminToken}\n\n`);
  }
  const worker = config.roles.includes('worker') ? startWorker(ctx, {}, options.room) : undefined;
  const background = config.roles.includes('worker') ? new Background(ctx) : undefined;
  background?.start();
  await options.beforeListen?.(ctx);
  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (config.roles.includes('api')) {
    // Loaded only here: a worker-only process never loads the API's modules.
    const { buildApp } = await import('./api/app.ts');
    app = await buildApp(ctx);
    url = await app.listen({ port: config.port, host: config.host });
    log.info({ url }, 'api listening');
  }
  return {
    ctx,
    app,
    worker,
    url,
    async stop() {
      await app?.close();
      await Promise.all([worker?.stop(config.shutdownTimeoutMs), background?.stop()]);
      await closeContext(ctx);
    },
  };
}

/** Starts a delivery worker on `ctx` (this process's worker role; tests start their own). */
export function startWorker(ctx: Context, options: Partial<WorkerOptions> = {}, room?: Room): DeliveryWorker {
  const c = ctx.config;
  const worker = new DeliveryWorker(ctx.db, ctx.signal, dispatchDeps(ctx), {
    concurrency: c.workerConcurrency,
    endpointConcurrency: c.endpointConcurrency,
    claimBatchSize: c.claimBatchSize,
    leaseMs: c.leaseMs,
    pollIntervalMs: c.pollIntervalMs,
    ...options,
  }, ctx.log.child({ role: 'worker' }), operationalHooks(ctx), room);
  worker.start();
  ctx.publisher.handOffTo(worker);
  ctx.log.info({ thread: threadId }, 'worker started');
  return worker;
}

export async function closeContext(ctx: Context): Promise<void> {
  await ctx.signal.close();
  await ctx.sender.close();
  await ctx.db.close();
}
