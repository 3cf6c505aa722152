#!/usr/bin/env node
// Herald's executable. The TypeScript sources are bundled with esbuild into plain ES modules under
// node_modules/.cache/herald/<hash of the output>/ at every start (a tenth of a second) and run
// from there. So `npm install && npm start` needs no build step, yet the running process carries
// no TypeScript loader (compiling each module as it loads cost about 80 MB per process), and the
// modules a role does not use — the API in a worker process — are split out and never loaded.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Without worker threads, esbuild builds in a process that exits when the build is done. With them
// (its default), it starts a worker thread and a process of its own that both stay for the life of
// Herald, about 50 MB for nothing.
process.env.ESBUILD_WORKER_THREADS = '0';
const { buildSync } = await import('esbuild');

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = path.join(root, 'node_modules/.cache/herald');
// Built as if in place (cache/build), then moved to its final folder of the same depth, so the
// source maps' relative paths stay right.
const { outputFiles } = buildSync({
  entryPoints: { main: path.join(root, 'src/cli/main.ts') },
  outdir: path.join(cache, 'build'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  write: false,
  logLevel: 'warning',
});
const hash = createHash('sha256');
for (const file of outputFiles) hash.update(file.path).update(file.contents);
const dir = path.join(cache, hash.digest('hex').slice(0, 16));
if (!existsSync(dir)) {
  // Written aside and renamed into place: processes starting together never see half a bundle.
  const partial = `${dir}.${process.pid}`;
  for (const file of outputFiles) {
    const target = path.join(partial, path.relative(path.join(cache, 'build'), file.path));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process got there first
  }
}
process.setSourceMapsEnabled(true);
const { main } = await import(pathToFileURL(path.join(dir, 'main.js')).href);
await main(process.argv);
