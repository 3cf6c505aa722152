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
  /** Resolves with the API's URL once the process logs "api listening" (needs HERALD_LOG_LEVEL=info). */
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
    listening(timeoutMs = 30_000) {
      const found = new Promise<string>((resolve, reject) => {
        const check = () => {
          for (const line of output.split('\n')) {
            if (!line.includes('"api listening"')) continue;
            listeners.delete(check);
            return resolve((JSON.parse(line) as { url: string }).url);
          }
        };
        listeners.add(check);
        check();
        void exit.then((code) => reject(new Error(`herald process exited (${code}) before listening. Output:\n${output}`)));
      });
      return within(found, timeoutMs, '"api listening"');
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
