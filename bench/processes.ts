// Starting and watching the processes a benchmark needs: the receiver and Herald itself.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot as root } from '../src/projectRoot.ts';

// Whatever happens to the benchmark, the processes it started end with it.
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    children.forEach((c) => c.kill('SIGKILL'));
    process.exit(130);
  });
}

export interface ReceiverProcess {
  url: string;
  ask<T>(message: object): Promise<T>;
  stop(): void;
}

export async function startReceiver(): Promise<ReceiverProcess> {
  const child = track(fork(path.join(root, 'bench/receiver.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', () => reject(new Error('the receiver exited')));
  });
  // Each question carries an id and its answer the same id: a progress report still on its way
  // when the next question is asked must not take that question's answer.
  const waiting = new Map<number, (answer: unknown) => void>();
  let nextId = 0;
  child.on('message', (m: { id?: number }) => {
    const resolve = m.id === undefined ? undefined : waiting.get(m.id);
    waiting.delete(m.id!);
    resolve?.(m);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    ask: (message) =>
      new Promise((resolve) => {
        const id = ++nextId;
        waiting.set(id, resolve as (answer: unknown) => void);
        child.send({ ...message, id });
      }),
    stop: () => child.kill(),
  };
}

export interface HeraldProcess {
  child: ChildProcess;
  /** The API's URL, when the process runs the api role. */
  url?: string;
  stop(): Promise<void>;
}

/** Runs `herald start` with `env` and waits until it listens (api role) or has started (worker). */
export async function startHerald(env: Record<string, string>): Promise<HeraldProcess> {
  // HERALD_BENCH_PROFILE=dir writes a CPU profile of each Herald process into dir.
  const profile = process.env.HERALD_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HERALD_BENCH_PROFILE}`] : [];
  const child = track(spawn(process.execPath, [...profile, 'bin/herald.mjs', 'start'], {
    cwd: root,
    env: { ...process.env, HERALD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const wantsApi = (env.HERALD_ROLES ?? 'api,worker').includes('api');
  const url = await new Promise<string | undefined>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (process.env.HERALD_BENCH_LOG) process.stderr.write(`[herald] ${line}\n`);
        if (line.includes('"api listening"')) resolve(JSON.parse(line).url as string);
        else if (!wantsApi && line.includes('"worker started"')) resolve(undefined);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => process.env.HERALD_BENCH_LOG && process.stderr.write(chunk));
    child.once('exit', (code) => reject(new Error(`herald exited with code ${code}`)));
  });
  return {
    child,
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

/** Resident memory, in MB, of a process and all its descendants (Linux /proc). */
export function treeRssMb(pid: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  let kb = 0;
  for (const p of tree) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended
    }
  }
  return kb / 1024;
}
