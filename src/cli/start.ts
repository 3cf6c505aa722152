// `herald start`. With HERALD_SPLIT_ROLES and both roles on PostgreSQL, the worker runs in a
// child process so that the API and the worker each get a core (Node runs JavaScript on one).
// The child is restarted if it dies, and stopped with the parent. With PGlite both roles share
// one process: the embedded database belongs to the process that opened it.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { startHerald } from '../herald.ts';
import { projectRoot } from '../projectRoot.ts';

const bin = path.join(projectRoot, 'bin/herald.mjs');

export async function start(config: Config): Promise<void> {
  const split = config.splitRoles && config.databaseUrl !== undefined && config.roles.includes('api') && config.roles.includes('worker');
  // The parent migrates and creates the operator token first, so the child finds both done.
  const herald = await startHerald(split ? { ...config, roles: ['api'] } : config);
  const log = herald.ctx.log;
  let child: ChildProcess | undefined;
  let stopping = false;
  const spawnWorker = () => {
    child = fork(bin, ['start'], { env: { ...process.env, HERALD_ROLES: 'worker' }, stdio: 'inherit' });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ code, signal }, 'worker process ended; restarting it');
      setTimeout(spawnWorker, 1_000).unref();
    });
  };
  if (split) spawnWorker();

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const childDone = child && child.exitCode === null ? new Promise((resolve) => child!.once('exit', resolve)) : undefined;
    child?.kill('SIGTERM');
    await Promise.all([herald.stop(), childDone]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
