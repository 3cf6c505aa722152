// The project's root folder: the nearest folder above this module holding Herald's package.json.
// Found rather than computed from this file's place, because the same code runs from the sources
// (tests) and from the bundle bin/herald.mjs builds under node_modules/.cache.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'herald') return dir;
    if (path.dirname(dir) === dir) throw new Error(`Herald's package.json was not found above ${from}`);
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
