// Real `herald` processes for lifecycle and crash tests: `node bin/herald.mjs start` with only the
// HERALD_* settings a test gives (the test runner's own are not passed on: any HERALD_* variable
// that is not a setting stops the process at start). Every process started here is killed by
// killAll(), which each test file calls in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const running = new Set<ChildProcess>();

export interface HeraldProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far (JSON log lines at HERALD_LOG_LEVEL). */
  output(): string;
  /** Resolves with the first JSON log line whose msg is `message` (info lines need HERALD_LOG_LEVEL=info). */
  logged(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the API's URL once the process logs "api listening". */
  listening(timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name); rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | string>;
}

export function startHeraldProcess(env: Record<string, string>): HeraldProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HERALD_') && name !== 'NODE_OPTIONS'));
  const child = spawn(process.execPath, [path.join(root, 'bin/herald.mjs'), 'start'], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const exit = once(child, 'exit').then(([code, signal]) => {
    running.delete(child);
    return (code ?? signal) as number | string;
  });
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const within = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`herald process: no ${what} within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  return {
    child,
    output: () => output,
    logged(message, timeoutMs = 30_000) {
      const needle = `"msg":${JSON.stringify(message)}`;
      const found = new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          const line = output.split('\n').slice(0, -1).find((l) => l.includes(needle)); // whole lines only
          if (!line) return;
          listeners.delete(check);
          resolve(JSON.parse(line) as Record<string, unknown>);
        };
        listeners.add(check);
        check();
        void exit.then((code) => reject(new Error(`herald process exited (${code}) before logging ${message}. Output:\n${output}`)));
      });
      return within(found, timeoutMs, JSON.stringify(message));
    },
    async listening(timeoutMs = 30_000) {
      return (await this.logged('api listening', timeoutMs)).url as string;
    },
    exited(timeoutMs = 10_000) {
      return within(exit, timeoutMs, 'exit');
    },
  };
}

/** SIGKILLs every herald process still running (afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exit = once(child, 'exit');
    child.kill('SIGKILL');
    await exit;
  }));
}
