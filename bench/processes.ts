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
  // HERALD_BENCH_NODE_ARGS: more options for Herald's node, e.g. --trace-gc (not allowed in NODE_OPTIONS).
  const nodeArgs = process.env.HERALD_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = track(spawn(process.execPath, [...profile, ...nodeArgs, 'bin/herald.mjs', 'start'], {
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

/** A process and all its descendants (Linux /proc). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(statFields(Number(entry))[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** The fields of /proc/<pid>/stat after the command name: state, ppid, … (man 5 proc). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Sums `read(pid)` over `pids`, skipping processes that ended meanwhile. */
function sumOver(pids: number[], read: (pid: number) => number): number {
  let sum = 0;
  for (const p of pids) {
    try {
      sum += read(p);
    } catch {
      // ended
    }
  }
  return sum;
}

/** Resident memory, in MB, of a process and all its descendants (Linux /proc). */
export function treeRssMb(pid: number): number {
  return sumOver(processTree(pid), (p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0)) / 1024;
}

/** CPU seconds (user + system, all threads) used so far by a process (Linux /proc). */
const cpuSeconds = (pid: number) => {
  const fields = statFields(pid);
  // utime and stime, in clock ticks: USER_HZ, which Linux fixes at 100 for /proc.
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** CPU seconds used so far by a process and its descendants. */
export const treeCpuSeconds = (pid: number): number => sumOver(processTree(pid), cpuSeconds);

/**
 * CPU seconds used so far by the PostgreSQL server processes running on this machine, all of them
 * (backends, WAL writer, checkpointer, autovacuum); undefined when none runs here.
 */
export function postgresCpuSeconds(): number | undefined {
  const pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false;
    }
  });
  return pids.length === 0 ? undefined : sumOver(pids, cpuSeconds);
}
