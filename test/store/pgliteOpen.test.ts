// Opening the embedded database from a data directory: a new one is created (in a child process,
// so initdb's memory never stays in Herald's), opened on its own thread with the memory settings,
// and reopened with its data. The thread itself is tested in pgliteThread.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openPglite } from '../../src/store/pgliteDb.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-pglite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('creates a new data directory, opens it with the memory settings, and reopens it with its data', { timeout: 60_000 }, async () => {
  const dir = path.join(root, 'db');
  const rssBefore = process.memoryUsage().rss;
  const first = await openPglite(dir);
  // initdb run in this process (on any thread) would have grown its WASM memory by 500–660 MB;
  // opening takes ~150.
  expect((process.memoryUsage().rss - rssBefore) / 1e6).toBeLessThan(350);
  // What PostgreSQL allocates in PGlite's WASM memory stays resident: small buffers, a small
  // ANALYZE sample, a small VACUUM list (pgliteDb.ts).
  expect(await first.query(`select current_setting('shared_buffers') as buffers, current_setting('default_statistics_target') as statistics,
    current_setting('maintenance_work_mem') as maintenance`)).toEqual([{ buffers: '16MB', statistics: '10', maintenance: '4MB' }]);
  await first.exec(`create table kept (n int); insert into kept values (42);`);
  await first.close();

  const again = await openPglite(dir);
  expect(await again.query('select n from kept')).toEqual([{ n: 42 }]);
  await again.close();
});

it('says why when the data directory cannot be created', { timeout: 60_000 }, async () => {
  const file = path.join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  await expect(openPglite(path.join(file, 'db'))).rejects.toThrow(/could not create the database in .*a-file/);
});
