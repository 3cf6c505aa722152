// End to end: the real `herald` command in a child process, on an embedded database in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin/herald.mjs');
const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-cli-'));
  dirs.push(dir);
  return dir;
}

/** The parent's environment without any HERALD_ variable, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
  return { ...clean, ...env };
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function herald(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for the pino line "api listening" and answers its url. */
async function listeningUrl(run: Run): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    for (const line of run.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'api listening' && entry.url) return entry.url;
    }
    if (run.child.exitCode !== null) throw new Error(`herald start exited with ${run.child.exitCode}: ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`herald start did not listen in time:\n${run.stdout()}\n${run.stderr()}`);
}

async function stop(run: Run): Promise<number | null> {
  run.child.kill('SIGTERM');
  return run.exited;
}

const tokenLine = /Operator token \(shown once; keep it safe\): (hadm_\S+)/;

// Each process pays for tsx and Node start-up, and a new embedded database for its initdb, so the
// slow path (one data dir: migrate, then start twice) is one test that runs beside the quick ones.
describe.concurrent('herald CLI', () => {
  it('migrate prepares a new data dir; start then serves /health and prints a working operator token, only on the first start', { timeout: 120_000 }, async () => {
    const env = { HERALD_DATA_DIR: dataDir(), HERALD_PORT: '0' }; // default roles: api and worker
    const migrate = herald(['migrate'], env);
    expect(await migrate.exited, migrate.stderr()).toBe(0);
    expect(migrate.stdout()).toMatch(/^applied: 0001_foundation\.sql/);

    const first = herald(['start'], env);
    const url = await listeningUrl(first);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const token = tokenLine.exec(first.stdout())?.[1];
    expect(token).toBeDefined();
    expect(first.stdout().split(token!)).toHaveLength(2); // printed once, never logged
    expect((await fetch(`${url}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${url}/v1/tenants`, { headers: { authorization: 'Bearer hadm_wrong' } })).status).toBe(401);
    expect(await stop(first)).toBe(0);

    const second = herald(['start'], env);
    const url2 = await listeningUrl(second);
    expect(second.stdout()).not.toMatch(/Operator token/);
    expect((await fetch(`${url2}/v1/tenants`, { headers: { 'x-api-key': token! } })).status).toBe(200);
    expect(await stop(second)).toBe(0);
  });

  it('start exits non-zero naming HERALD_PORT when it is not a port', { timeout: 60_000 }, async () => {
    const run = herald(['start'], { HERALD_DATA_DIR: dataDir(), HERALD_PORT: 'abc' });
    expect(await run.exited).not.toBe(0);
    expect(run.stderr()).toMatch(/HERALD_PORT/);
    expect(run.stderr()).toMatch(/integer/);
    expect(run.stdout()).not.toMatch(/api listening/);
  });

  it('--help lists the start, migrate and config commands', { timeout: 60_000 }, async () => {
    const run = herald(['--help'], {});
    expect(await run.exited).toBe(0);
    for (const command of ['start', 'migrate', 'config']) expect(run.stdout()).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('config lists every setting with its value, masking secrets', { timeout: 60_000 }, async () => {
    const run = herald(['config'], { HERALD_PORT: '9999', HERALD_ADMIN_TOKEN: 'a-very-secret-operator-token' });
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toMatch(/^HERALD_PORT=9999$/m);
    expect(run.stdout()).toMatch(/^HERALD_ADMIN_TOKEN=\(set\)$/m);
    expect(run.stdout()).not.toContain('a-very-secret-operator-token');
  });
});
